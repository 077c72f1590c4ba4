/// The studio's pages: HTML, CSS and JavaScript served from the binary (no
/// files beside the executable, nothing from a CDN).
enum StudioPages {
    static func document(title: String, active: String, body: String, script: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · LinearGAN studio</title>
        <style>\(css)</style></head>
        <body>
        <header><b>LinearGAN studio</b>
        <nav><a href="/edit" class="\(active == "edit" ? "on" : "")">Edit</a>
        <a href="/train" class="\(active == "train" ? "on" : "")">Train</a></nav>
        <span id="model" class="muted"></span></header>
        <main>\(body)</main>
        <div id="status" role="status"></div>
        <script>\(commonJS)</script>
        <script>\(script)</script>
        </body></html>
        """
    }

    static let css = """
    body{font:14px/1.4 system-ui,sans-serif;margin:0;padding-bottom:3em;color:#222;background:#fafafa}
    header{display:flex;gap:1.5em;align-items:center;padding:.6em 1em;background:#263238;color:#fff}
    header a{color:#cfd8dc;text-decoration:none;margin-right:1em}header a.on{color:#fff;border-bottom:2px solid #fff}
    .muted{color:#777;font-size:12px}
    header .muted{color:#90a4ae}
    main{padding:1em;display:flex;flex-direction:column;gap:1em}
    .row{display:flex;gap:1.2em;flex-wrap:wrap;align-items:flex-start}
    figure{margin:0}figcaption{font-size:12px;color:#555;margin-top:.2em}
    .pix{width:240px;height:240px;image-rendering:pixelated;border:1px solid #ccc;background:#eee;display:block}
    .stack{position:relative;width:242px;height:242px}
    .stack>*{position:absolute;left:0;top:0}
    canvas.paint{width:240px;height:240px;border:1px solid transparent;cursor:crosshair;touch-action:none}
    .panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.8em;display:flex;flex-direction:column;gap:.5em}
    .palette{display:flex;flex-wrap:wrap;gap:.3em;max-width:520px}
    .palette button{display:flex;align-items:center;gap:.3em;border:1px solid #bbb;background:#fff;border-radius:4px;padding:.15em .4em;cursor:pointer}
    .palette button.on{outline:2px solid #1565c0}
    .swatch{width:14px;height:14px;border:1px solid #888;display:inline-block}
    button.act{padding:.35em .8em;border-radius:4px;border:1px solid #1565c0;background:#1976d2;color:#fff;cursor:pointer}
    button.act:disabled{background:#90a4ae;border-color:#90a4ae;cursor:default}
    button.sec{padding:.35em .8em;border-radius:4px;border:1px solid #999;background:#fff;cursor:pointer}
    #status{position:fixed;bottom:0;left:0;right:0;padding:.4em 1em;background:#eceff1;font-size:13px;min-height:1.2em}
    #status.err{background:#ffebee;color:#b71c1c}
    table.kv td{padding:.1em .6em .1em 0}
    .thumbs{display:flex;flex-wrap:wrap;gap:.6em;max-width:640px}.thumbs img{width:96px;height:96px;image-rendering:pixelated;border:1px solid #ccc}
    .thumbs figure{display:flex;gap:2px}
    input[type=number]{width:6em}
    """

    /// Shared helpers: the JSON API, the status line, the palette and the paint canvas.
    static let commonJS = """
    'use strict';
    const $ = (id) => document.getElementById(id);
    function status(msg, err) { const s = $('status'); s.textContent = msg; s.className = err ? 'err' : ''; }
    async function api(path, body) {
      const opt = body === undefined ? {method: 'GET'} : {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)};
      opt.credentials = 'same-origin';
      const r = await fetch(path, opt);
      let j = null; try { j = await r.json(); } catch (e) {}
      if (!r.ok) { const m = (j && j.error) || ('HTTP ' + r.status); status(m, true); throw new Error(m); }
      return j;
    }
    /** A palette of class buttons; onPick(index) on click. */
    function renderPalette(el, names, colours, current, onPick) {
      el.innerHTML = '';
      names.forEach((n, i) => {
        const b = document.createElement('button');
        b.type = 'button'; b.dataset.cls = i; b.className = i === current ? 'on' : '';
        b.innerHTML = '<span class="swatch"></span>'; b.firstChild.style.background = colours[i];
        b.appendChild(document.createTextNode(i + ' ' + n));
        b.onclick = () => { onPick(i); [...el.children].forEach(c => c.className = c === b ? 'on' : ''); };
        el.appendChild(b);
      });
    }
    /** A paint canvas: square brush of `width()` pixels in `colour()`, no anti-aliasing. */
    function makePainter(canvas, colour, width, onPaint) {
      const ctx = canvas.getContext('2d');
      let last = null;
      function pos(e) { const r = canvas.getBoundingClientRect();
        return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; }
      function dab(x, y) { const w = width(); ctx.fillStyle = colour();
        ctx.fillRect(Math.round(x - w / 2), Math.round(y - w / 2), w, w); }
      function line(a, b) { const n = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1])));
        for (let i = 0; i <= n; i++) dab(a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n); }
      canvas.addEventListener('pointerdown', e => { e.preventDefault(); try { canvas.setPointerCapture(e.pointerId); } catch (x) {}
        last = pos(e); dab(last[0], last[1]); if (onPaint) onPaint(); });
      canvas.addEventListener('pointermove', e => { if (!last) return; const p = pos(e); line(last, p); last = p; });
      const end = () => { last = null; };
      canvas.addEventListener('pointerup', end); canvas.addEventListener('pointercancel', end);
      return {
        clear() { ctx.clearRect(0, 0, canvas.width, canvas.height); },
        painted() { const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i] >= 128) return true; return false; },
        dataURL() { return canvas.toDataURL('image/png'); },
        /** Draws an image over the whole canvas (nearest neighbour), e.g. a suggested label map. */
        drawImage(src) { return new Promise((ok, fail) => { const im = new Image(); im.onload = () => {
          ctx.imageSmoothingEnabled = false; ctx.clearRect(0, 0, canvas.width, canvas.height);
          ctx.drawImage(im, 0, 0, canvas.width, canvas.height); ok(); }; im.onerror = fail; im.src = src; }); },
      };
    }
    """
}
