#!/usr/bin/env python3
"""Browser test of `worker studio` (docs/studio.md): headless Chromium via Selenium.

Starts `worker studio` on a zoo StyleGAN2, then
  /edit:  paints a stroke with synthetic pointer events, submits, and checks
          that the label map took the painted class inside the stroke;
  /train: annotates two samples (the predictor's labels plus a painted
          stroke), trains, validates, saves, and evaluates the saved
          extractor with `worker run-local --kind evaluate` (as jobs do).
Screenshots go to docs/images/studio-*.png. Without chromium, chromedriver
or selenium it prints SKIP and exits 0.

  python3 scripts/browser/studio_test.py [--worker .build/release/worker] [--generator stylegan2_toyface32]
"""
import argparse
import base64
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def skip(msg):
    print(f"SKIP studio browser test: {msg}")
    sys.exit(0)


def fail(msg):
    print(f"FAIL studio browser test: {msg}")
    sys.exit(1)


# --- a minimal PNG reader (8-bit gray, RGB, palette, gray+alpha, RGBA; all filters) ---
def png_decode(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    p, idat, palette = 8, b"", []
    while p < len(data):
        (n,) = struct.unpack(">I", data[p:p + 4])
        kind, body = data[p + 4:p + 8], data[p + 8:p + 8 + n]
        p += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and body[12] == 0, "only 8-bit non-interlaced PNGs"
        elif kind == b"PLTE":
            palette = [tuple(body[i:i + 3]) for i in range(0, len(body), 3)]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw, stride = zlib.decompress(idat), w * ch
    out, prev = bytearray(), bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b, c = prev[i], (prev[i - ch] if i >= ch else 0)
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return w, h, ctype, ch, bytes(out), palette


def data_url_png(url):
    assert url.startswith("data:image/png;base64,"), url[:40]
    return png_decode(base64.b64decode(url.split(",", 1)[1]))


def label_indices(url):
    w, h, ctype, ch, px, _ = data_url_png(url)
    assert ctype == 3, f"label maps are palette PNGs, got colour type {ctype}"
    return w, list(px)


def stroke_mask(url, r):
    """The canvas's painted pixels (alpha >= 128) at label resolution r, read at each label pixel's centre."""
    w, h, ctype, ch, px, _ = data_url_png(url)
    mask = []
    for y in range(r):
        sy = min(h - 1, (2 * y + 1) * h // (2 * r))
        for x in range(r):
            sx = min(w - 1, (2 * x + 1) * w // (2 * r))
            mask.append(px[(sy * w + sx) * ch + ch - 1] >= 128)
    return mask


# Synthetic pointer events on the paint canvas: a zig-zag over a square.
PAINT_JS = """
const c = document.getElementById('paint'), r = c.getBoundingClientRect();
const [x0, y0, x1, y1, step] = arguments;
function ev(type, x, y) {
  c.dispatchEvent(new PointerEvent(type, {bubbles: true, cancelable: true, pointerId: 1, pointerType: 'mouse',
    isPrimary: true, buttons: type === 'pointerup' ? 0 : 1, clientX: r.left + x, clientY: r.top + y}));
}
ev('pointerdown', x0, y0);
for (let y = y0; y <= y1; y += step) { ev('pointermove', x1, y); ev('pointermove', x1, Math.min(y1, y + step / 2)); ev('pointermove', x0, Math.min(y1, y + step / 2)); ev('pointermove', x0, Math.min(y1, y + step)); }
ev('pointerup', x0, y1);
return c.toDataURL('image/png');
"""


def click(driver, css):
    el = driver.find_element("css selector", css)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def wait(driver, cond, timeout, what):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = driver.execute_script(cond)
        if v:
            return v
        time.sleep(0.2)
    status = driver.execute_script("return document.getElementById('status').textContent")
    fail(f"timed out after {timeout} s waiting for {what} (status line: {status!r})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", default=os.path.join(ROOT, ".build/release/worker"))
    ap.add_argument("--generator", default="stylegan2_toyface32")
    ap.add_argument("--screenshots", default=os.path.join(ROOT, "docs/images"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    a = ap.parse_args()
    if not os.path.exists(a.chromium):
        skip(f"no chromium ({a.chromium}); apt-get install --no-install-recommends chromium chromium-driver")
    if not os.path.exists(a.chromedriver):
        skip(f"no chromedriver ({a.chromedriver})")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        skip("python selenium is not installed (pip install selenium)")
    if not os.path.exists(a.worker):
        fail(f"no worker binary at {a.worker}; build it first (swift build -c release)")

    tmp = tempfile.mkdtemp(prefix="studio-browser-")
    server = subprocess.Popen([a.worker, "studio", "--generator", a.generator, "--http", "127.0.0.1:0", "--seed", "1",
                               "--out", os.path.join(tmp, "studio")], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    driver = None
    try:
        base = None
        t0 = time.time()
        while base is None and time.time() - t0 < 300:
            line = server.stdout.readline()
            if not line:
                fail(f"worker studio exited ({server.poll()}) before serving")
            print("  server:", line.rstrip())
            m = re.search(r"serving .* on (http://[^/]+)/edit", line)
            if m:
                base = m.group(1)
        if base is None:
            fail("worker studio did not start serving within 300 s")
        # Keep draining the server's output so it never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()

        opts = webdriver.ChromeOptions()
        opts.binary_location = a.chromium
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"]:
            opts.add_argument(arg)
        driver = webdriver.Chrome(service=Service(a.chromedriver), options=opts)
        os.makedirs(a.screenshots, exist_ok=True)

        # ---- /edit ----
        driver.get(base + "/edit")
        wait(driver, "return document.body.dataset.ready === '1'", 60, "the edit page")
        model = driver.execute_script("return model")
        n = len(model["classes"])
        r, before = label_indices(driver.find_element("id", "labels").get_attribute("src"))
        # Hair over the middle of the face (any class 1 for a generator without hair).
        cls = model["classes"].index("hair") if "hair" in model["classes"] else 1
        click(driver, f"#palette button[data-cls='{cls}']")
        driver.execute_script("document.getElementById('brush').value = 24")
        canvas_url = driver.execute_script(PAINT_JS, 72, 72, 184, 184, 16)
        mask = stroke_mask(canvas_url, r)
        inside = [i for i in range(r * r) if mask[i]]
        if len(inside) < r * r // 10:
            fail(f"the synthetic stroke painted only {len(inside)} label pixels")
        driver.execute_script("document.getElementById('iters').value = 60; document.getElementById('lr').value = 0.02")
        click(driver, "#submit")
        wait(driver, "return document.body.dataset.edits === '1' && document.body.dataset.busy === '0'", 300, "the edit")
        _, after = label_indices(driver.find_element("id", "labels").get_attribute("src"))
        _, shown_before = label_indices(driver.find_element("id", "before").get_attribute("src"))
        if shown_before != before:
            fail("the page's 'before' label map is not the sample's")
        hit_b = sum(before[i] == cls for i in inside)
        hit_a = sum(after[i] == cls for i in inside)
        changed = sum(before[i] != after[i] for i in inside)
        print(f"edit: class {cls} ({model['classes'][cls]}) inside the stroke {hit_b} -> {hit_a} of {len(inside)} pixels; {changed} changed")
        if hit_a < hit_b + len(inside) // 4:
            fail("the label map did not take the painted class inside the stroke")
        # The page's download links answer PNGs (fetched in the page, with its session cookie).
        kinds = driver.execute_async_script("""
          const done = arguments[arguments.length - 1];
          Promise.all(['dl-image', 'dl-labels', 'dl-stroke'].map(id => fetch(document.getElementById(id).href)
            .then(r => r.status + ' ' + r.headers.get('content-type')))).then(done);""")
        if kinds != ["200 image/png"] * 3:
            fail(f"downloads answered {kinds}")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(a.screenshots, "studio-edit.png"))
        click(driver, "#undo")
        wait(driver, "return document.body.dataset.edits === '0' && document.body.dataset.busy === '0'", 60, "undo")
        _, undone = label_indices(driver.find_element("id", "labels").get_attribute("src"))
        if undone != before:
            fail("undo did not restore the sample's label map")

        # ---- /train ----
        driver.get(base + "/train")
        wait(driver, "return document.body.dataset.ready === '1' && document.body.dataset.busy !== '1'", 60, "the train page")
        for k in range(2):
            wait(driver, "return !document.getElementById('suggest').disabled && document.getElementById('suggest').dataset.src", 30, "a sample")
            click(driver, "#suggest")
            time.sleep(0.5)
            # A hand correction: background painted into the top-left corner.
            click(driver, "#palette button[data-cls='0']")
            driver.execute_script(PAINT_JS, 8, 8, 40, 40, 8)
            click(driver, "#annotate")
            wait(driver, f"return document.body.dataset.annotated === '{k + 1}' && document.body.dataset.busy === '0'", 60, f"annotation {k + 1}")
        driver.execute_script("document.getElementById('maxsteps').value = 1000; document.getElementById('lr').value = 0.01")
        click(driver, "#start")
        wait(driver, "return document.body.dataset.phase === 'running' || document.body.dataset.phase === 'finished'", 30, "training to start")
        wait(driver, "return document.body.dataset.phase === 'finished'", 600, "training to finish")
        miou = float(driver.execute_script("return document.body.dataset.miou"))
        print(f"train: 1000 steps, mIoU on the annotations {miou:.3f}")
        if miou < 0.4:
            fail(f"mIoU on the annotations {miou:.3f} < 0.4 after training")
        click(driver, "#validate")
        wait(driver, "return document.body.dataset.validationMiou !== undefined && document.querySelectorAll('#thumbs figure').length === 4", 120, "validation")
        vm = float(driver.execute_script("return document.body.dataset.validationMiou"))
        print(f"validate: mIoU vs the predictor on 4 fresh samples {vm:.3f}")
        driver.execute_script("document.getElementById('savename').value = 'browser_lse'")
        click(driver, "#save")
        saved = wait(driver, "return document.body.dataset.saved", 60, "save")
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(a.screenshots, "studio-train.png"))
        if not os.path.exists(saved):
            fail(f"the saved extractor {saved} does not exist")

        # ---- the saved extractor, evaluated as a job ----
        ev = subprocess.run([a.worker, "run-local", "--kind", "evaluate", "--set", f"SE_path={saved}", "--set", "eval_samples=20",
                             "--set", "seed=3", "--expr", os.path.join(tmp, "expr"), "--results", os.path.join(tmp, "results")],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
        m = re.search(r"mIoU ([0-9.]+)", ev.stdout)
        if ev.returncode != 0 or not m:
            fail(f"evaluate of the saved extractor failed ({ev.returncode}): {ev.stdout[-800:]} {ev.stderr[-800:]}")
        print(f"evaluate (run-local, 20 samples): mIoU {float(m.group(1)):.3f}")
        # An untrained LSE scores about 0.01 here; two annotated samples give about 0.2.
        if float(m.group(1)) < 0.1:
            fail(f"the saved extractor's mIoU {m.group(1)} < 0.1")
        print("PASS studio browser test")
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
