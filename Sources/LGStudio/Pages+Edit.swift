extension StudioPages {
    /// `/edit`: sample, paint a stroke over the label map, edit, undo, download.
    static let edit = document(title: "Edit", active: "edit", body: """
    <div class="row">
      <figure><img id="image" class="pix" alt="generated image"><figcaption>image</figcaption></figure>
      <figure><div class="stack"><img id="labels" class="pix" alt="label map">
        <canvas id="paint" class="paint" width="256" height="256"></canvas></div>
        <figcaption>label map — paint the classes you want here</figcaption></figure>
      <figure><img id="beforeimage" class="pix" alt="image before the last edit"><figcaption>image before the last edit</figcaption></figure>
      <figure><img id="before" class="pix" alt="label map before the last edit"><figcaption>label map before the last edit</figcaption></figure>
    </div>
    <div class="row">
      <div class="panel">
        <div>Class</div><div id="palette" class="palette"></div>
        <label>Brush width <input id="brush" type="range" min="4" max="64" value="24"> <span id="brushv">24</span> px</label>
        <label>Iterations <input id="iters" type="number" min="1" max="500" value="50"></label>
        <label>Learning rate <input id="lr" type="number" min="0.0001" max="1" step="0.001" value="0.01"></label>
      </div>
      <div class="panel">
        <button id="new" class="act" type="button">New sample</button>
        <button id="submit" class="act" type="button">Submit edit</button>
        <button id="undo" class="sec" type="button">Undo</button>
        <button id="clear" class="sec" type="button">Clear stroke</button>
        <div>Download: <a id="dl-image" href="/api/edit/image.png">image</a> ·
          <a id="dl-labels" href="/api/edit/labels.png">label map</a> ·
          <a id="dl-stroke" href="/api/edit/stroke.png">stroke</a></div>
      </div>
      <div class="panel"><b>Last edit</b><table class="kv" id="metrics"></table></div>
    </div>
    """, script: """
    let cls = 1, busy = false, model = null;
    const painter = makePainter($('paint'), () => model.palette[cls], () => +$('brush').value);
    $('brush').oninput = () => { $('brushv').textContent = $('brush').value; };
    function show(v) {
      $('image').src = v.image; $('labels').src = v.labels;
      $('before').src = v.previousLabels || v.labels;
      $('beforeimage').src = v.previousImage || v.image;
      $('undo').disabled = !v.canUndo;
      document.body.dataset.edits = v.edits;
    }
    function showMetrics(m) {
      const t = $('metrics'); t.innerHTML = '';
      const keys = ['changed_inside', 'painted_class_inside', 'agreement_inside_before', 'agreement_inside_after', 'agreement_outside_after'];
      for (const k of keys) if (m && k in m) {
        const tr = document.createElement('tr'); tr.dataset.key = k; tr.dataset.value = m[k];
        tr.innerHTML = '<td></td><td></td>'; tr.children[0].textContent = k.replace(/_/g, ' ');
        tr.children[1].textContent = (100 * m[k]).toFixed(1) + ' %'; t.appendChild(tr);
      }
    }
    async function run(label, f) {
      if (busy) return; busy = true; document.body.dataset.busy = '1';
      for (const b of document.querySelectorAll('button.act')) b.disabled = true;
      status(label + '…');
      try { await f(); status(label + ': done'); } catch (e) { console.error(e); }
      finally { busy = false; document.body.dataset.busy = '0';
        for (const b of document.querySelectorAll('button.act')) b.disabled = false; }
    }
    $('new').onclick = () => run('New sample', async () => { show(await api('/api/edit/sample', {})); painter.clear(); showMetrics(null); });
    $('submit').onclick = () => run('Editing', async () => {
      if (!painter.painted()) { status('paint a stroke first', true); throw new Error('no stroke'); }
      const v = await api('/api/edit/submit', {stroke: painter.dataURL(), iterations: +$('iters').value, lr: +$('lr').value});
      show(v); showMetrics(v.metrics); painter.clear();
    });
    $('undo').onclick = () => run('Undo', async () => { show(await api('/api/edit/undo', {})); showMetrics(null); });
    $('clear').onclick = () => painter.clear();
    (async () => {
      model = await api('/healthz');
      $('model').textContent = model.generator + ' · extractor ' + model.extractor;
      renderPalette($('palette'), model.classes, model.palette, cls, i => { cls = i; });
      try { show(await api('/api/edit/state')); } catch (e) { await run('New sample', async () => show(await api('/api/edit/sample', {}))); }
      document.body.dataset.ready = '1'; status('ready');
    })();
    """)
}
