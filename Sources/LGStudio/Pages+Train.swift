extension StudioPages {
    /// `/train`: name classes, annotate samples by painting, train an LSE in
    /// the background, validate on fresh samples, save it.
    static let train = document(title: "Train", active: "train", body: """
    <div class="row">
      <div class="panel">
        <b>Classes</b> <span class="muted">(comma-separated; class 0, usually the background, is left out of the mIoU as in the paper)</span>
        <div><input id="classnames" size="60"> <button id="setclasses" class="sec" type="button">Set classes</button></div>
        <div id="palette" class="palette"></div>
        <label>Brush width <input id="brush" type="range" min="4" max="64" value="24"> <span id="brushv">24</span> px</label>
      </div>
    </div>
    <div class="row">
      <figure><img id="image" class="pix" alt="sample to annotate"><figcaption>sample</figcaption></figure>
      <figure><div class="stack"><img id="under" class="pix" alt="sample">
        <canvas id="paint" class="paint" width="256" height="256" style="opacity:.75"></canvas></div>
        <figcaption>annotation — paint classes; unpainted pixels are not used</figcaption></figure>
      <div class="panel">
        <button id="new" class="act" type="button">New sample</button>
        <button id="suggest" class="sec" type="button">Start from the predictor's labels</button>
        <button id="clear" class="sec" type="button">Clear</button>
        <button id="annotate" class="act" type="button">Add annotation</button>
        <div>Annotated samples: <b id="annotated">0</b></div>
      </div>
    </div>
    <div class="row">
      <div class="panel">
        <b>Training</b>
        <label>Learning rate <input id="lr" type="number" min="0.0001" max="1" step="0.001" value="0.01"></label>
        <label>Max steps <input id="maxsteps" type="number" min="1" value="1000"></label>
        <div><button id="start" class="act" type="button">Start</button>
          <button id="pause" class="sec" type="button">Pause</button>
          <button id="resume" class="sec" type="button">Resume</button>
          <button id="stop" class="sec" type="button">Stop</button></div>
        <table class="kv"><tr><td>phase</td><td id="phase">idle</td></tr>
          <tr><td>step</td><td id="step">0</td></tr><tr><td>loss</td><td id="loss">–</td></tr>
          <tr><td>mIoU on annotations</td><td id="miou">–</td></tr></table>
        <div class="muted">mean loss per pass over the annotations</div>
        <svg id="curve" width="260" height="80" style="background:#fff;border:1px solid #ddd"><polyline id="curveline" fill="none" stroke="#1976d2" stroke-width="1.5" points=""/></svg>
      </div>
      <div class="panel">
        <b>Validate on fresh samples</b>
        <div><label>Samples <input id="vcount" type="number" min="1" max="16" value="4"></label>
          <button id="validate" class="act" type="button">Validate</button></div>
        <div>mIoU vs the predictor: <b id="vmiou">–</b></div>
        <div id="thumbs" class="thumbs"></div>
      </div>
      <div class="panel">
        <b>Save the extractor</b>
        <div><input id="savename" value="studio_lse"> <button id="save" class="act" type="button">Save</button></div>
        <div>Saved: <code id="saved">–</code></div>
      </div>
    </div>
    """, script: """
    let cls = 1, state = null, busy = false;
    const painter = makePainter($('paint'), () => state.palette[cls], () => +$('brush').value);
    $('brush').oninput = () => { $('brushv').textContent = $('brush').value; };
    function fmt(x, d) { return x === null || x === undefined ? '–' : (+x).toFixed(d); }
    function showState(s) {
      const classesChanged = !state || state.classes.join(',') !== s.classes.join(',');
      state = s;
      if (classesChanged) {
        if (cls >= s.classes.length) cls = 1;
        renderPalette($('palette'), s.classes, s.palette, cls, i => { cls = i; });
        if (document.activeElement !== $('classnames')) $('classnames').value = s.classes.join(', ');
      }
      $('annotated').textContent = s.annotated; $('phase').textContent = s.phase; $('step').textContent = s.step + ' / ' + s.maxSteps;
      $('loss').textContent = fmt(s.loss, 4); $('miou').textContent = s.annotationMIoU == null ? '–' : (100 * s.annotationMIoU).toFixed(1) + ' %';
      if (s.saved) $('saved').textContent = s.saved;
      if (s.error) status('training: ' + s.error, true);
      const h = s.lossHistory, mx = Math.max(1e-6, ...h);
      $('curveline').setAttribute('points', h.map((v, i) => (i * 260 / Math.max(1, h.length - 1)).toFixed(1) + ',' + (78 - 76 * v / mx).toFixed(1)).join(' '));
      const b = document.body.dataset; b.phase = s.phase; b.step = s.step; b.annotated = s.annotated;
      b.miou = s.annotationMIoU == null ? '' : s.annotationMIoU;
    }
    async function run(label, f) {
      if (busy) return; busy = true; document.body.dataset.busy = '1';
      status(label + '…');
      try { await f(); status(label + ': done'); } catch (e) { console.error(e); }
      finally { busy = false; document.body.dataset.busy = '0'; }
    }
    async function newSample() {
      const v = await api('/api/train/sample', {});
      $('image').src = v.image; $('under').src = v.image; painter.clear();
      $('suggest').disabled = !v.suggestion; $('suggest').dataset.src = v.suggestion || '';
      showState(v.state);
    }
    $('new').onclick = () => run('New sample', newSample);
    $('suggest').onclick = () => run('Predictor labels', () => painter.drawImage($('suggest').dataset.src));
    $('clear').onclick = () => painter.clear();
    $('annotate').onclick = () => run('Annotating', async () => {
      if (!painter.painted()) { status('paint the annotation first', true); throw new Error('nothing painted'); }
      showState(await api('/api/train/annotate', {stroke: painter.dataURL()})); painter.clear();
      await newSample();
    });
    $('setclasses').onclick = () => run('Classes', async () =>
      showState(await api('/api/train/classes', {names: $('classnames').value.split(',').map(x => x.trim()).filter(x => x)})));
    for (const c of ['start', 'pause', 'resume', 'stop']) $(c).onclick = () => run(c, async () =>
      showState(await api('/api/train/control', {command: c, lr: +$('lr').value, max_steps: +$('maxsteps').value})));
    $('validate').onclick = () => run('Validating', async () => {
      const v = await api('/api/train/validate', {count: +$('vcount').value});
      const t = $('thumbs'); t.innerHTML = '';
      for (const s of v.samples) { const f = document.createElement('figure');
        for (const src of [s.image, s.labels, s.predictorLabels]) if (src) { const im = document.createElement('img'); im.src = src; f.appendChild(im); }
        t.appendChild(f); }
      $('vmiou').textContent = v.mIoU == null ? 'n/a (classes differ from the predictor)' : (100 * v.mIoU).toFixed(1) + ' %';
      document.body.dataset.validationMiou = v.mIoU == null ? '' : v.mIoU;
    });
    $('save').onclick = () => run('Saving', async () => {
      const v = await api('/api/train/save', {name: $('savename').value});
      $('saved').textContent = v.path; document.body.dataset.saved = v.path;
    });
    async function poll() { try { showState(await api('/api/train/state')); } catch (e) {} setTimeout(poll, 500); }
    (async () => {
      const m = await api('/healthz'); $('model').textContent = m.generator + ' · label resolution ' + m.labelResolution;
      showState(await api('/api/train/state'));
      await newSample();
      document.body.dataset.ready = '1'; status('ready'); setTimeout(poll, 500);
    })();
    """)
}
