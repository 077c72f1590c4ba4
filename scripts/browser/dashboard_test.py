#!/usr/bin/env python3
"""The coordinator's dashboard in a real browser (headless chromium via
selenium and /usr/bin/chromedriver).

Starts a coordinator (dashboard on a free loopback port) with a small grid of
test_sleep jobs and an lg-queue-worker, opens the dashboard, checks the jobs
table and a job page against the database (sqlite3), cancels and retries a
job through the page (accepting the confirm() dialogs), runs one real
fixture train job on the numeric `worker` and checks its label sheet, and saves
screenshots to docs/images/dashboard-*.png.

    python3 scripts/browser/dashboard_test.py [--bin BIN] [--shots DIR]

BIN: the folder of the coordinator and lg-queue-worker binaries (default:
`swift build -c release -Xswiftc -enable-testing --show-bin-path`).
Without chromium, chromedriver or selenium it says so and exits 0 (skipped).
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMEDRIVER = "/usr/bin/chromedriver"


def skip(why):
    print(f"dashboard browser test: SKIPPED: {why}")
    sys.exit(0)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def wait_for(what, check, timeout=30.0, interval=0.25):
    """Calls check() until it returns a true value; fails after timeout."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            v = check()
            if v:
                return v
        except Exception as e:  # the page may be mid-refresh
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin")
    ap.add_argument("--shots", default=os.path.join(ROOT, "docs", "images"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    chromium = find_chromium()
    if not chromium:
        skip("no chromium (apt-get install --no-install-recommends chromium chromium-driver)")
    if not os.path.exists(CHROMEDRIVER):
        skip(f"no {CHROMEDRIVER} (apt-get install --no-install-recommends chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select
    except ImportError:
        skip("no Python selenium (pip install selenium)")

    bin_dir = args.bin or subprocess.check_output(
        ["swift", "build", "-c", "release", "-Xswiftc", "-enable-testing", "--show-bin-path"], cwd=ROOT, text=True).strip()
    coordinator = os.path.join(bin_dir, "coordinator")
    worker = os.path.join(bin_dir, "lg-queue-worker")
    for exe in (coordinator, worker):
        if not os.access(exe, os.X_OK):
            sys.exit(f"dashboard browser test: no {exe}; build first (swift build -c release -Xswiftc -enable-testing)")

    tmp = tempfile.mkdtemp(prefix="lg-dash-browser-")
    db = os.path.join(tmp, "queue.sqlite")
    env = dict(os.environ, LINEARGAN_TEST_KINDS="1")
    grids = os.path.join(tmp, "grids")
    os.makedirs(grids)
    # 8 jobs of ~20 s on 2 slots: some run, some wait, long enough to act on.
    with open(os.path.join(grids, "browser_demo.json"), "w") as f:
        json.dump({"grid": "browser_demo", "description": "test_sleep jobs for the dashboard's browser test",
                   "kind": "test_sleep", "fixed": {"steps": 100, "step_ms": 200, "value": 1},
                   "axes": [{"name": "i", "values": list(range(8))}]}, f)
    procs = []
    driver = None
    try:
        coord = subprocess.Popen([coordinator, "serve", "--db", db, "--listen", "127.0.0.1:0",
                                  "--port-file", os.path.join(tmp, "port"),
                                  "--http", "127.0.0.1:0", "--http-port-file", os.path.join(tmp, "http-port"),
                                  "--heartbeat", "1", "--lease", "20"],
                                 env=env, stdout=open(os.path.join(tmp, "coordinator.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(coord)
        wait_for("the coordinator's ports", lambda: os.path.getsize(os.path.join(tmp, "http-port")) > 0
                 and os.path.getsize(os.path.join(tmp, "port")) > 0, timeout=30)
        port = open(os.path.join(tmp, "port")).read().strip()
        http_port = open(os.path.join(tmp, "http-port")).read().strip()
        base = f"http://127.0.0.1:{http_port}"
        subprocess.run([coordinator, "enqueue", "browser_demo", "--db", db, "--grids", grids],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        wk = subprocess.Popen([worker, "--connect", f"127.0.0.1:{port}", "--slots", "2",
                               "--secret", os.path.join(tmp, "secret"), "--workdir", os.path.join(tmp, "work"),
                               "--name", "browser-worker"],
                              env=env, stdout=open(os.path.join(tmp, "worker.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(wk)
        conn = sqlite3.connect(db, timeout=10)

        def db_rows(sql, *a):
            return conn.execute(sql, a).fetchall()

        wait_for("two running jobs", lambda: db_rows("SELECT COUNT(*) FROM jobs WHERE state='running'")[0][0] == 2)

        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,950"):
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        driver.set_page_load_timeout(30)
        os.makedirs(args.shots, exist_ok=True)

        def shot(name):
            path = os.path.join(args.shots, f"dashboard-{name}.png")
            driver.save_screenshot(path)
            print(f"  screenshot {os.path.relpath(path, ROOT)}")

        # --- the jobs table against the database ---
        driver.get(base + "/")
        rows_css = "#jobs tbody tr[data-id]"

        def table_matches_db():
            shown = [(int(r.get_attribute("data-id")), r.get_attribute("data-state"),
                      r.find_elements(By.TAG_NAME, "td")[1].text, r.find_elements(By.TAG_NAME, "td")[2].get_attribute("title"))
                     for r in driver.find_elements(By.CSS_SELECTOR, rows_css)]
            stored = [(i, s, g, k) for i, s, g, k in db_rows("SELECT id, state, grid, key FROM jobs ORDER BY id LIMIT 50")]
            return shown == stored and len(shown) == 8
        wait_for("the jobs table to match the database", table_matches_db)
        total = driver.find_element(By.ID, "range").get_attribute("data-total")
        assert total == "8", total
        # A running job shows its worker and progress.
        def running_row_ok():
            for r in driver.find_elements(By.CSS_SELECTOR, rows_css + '[data-state="running"]'):
                tds = r.find_elements(By.TAG_NAME, "td")
                if tds[5].text == "browser-worker" and tds[6].text.endswith("%") and "ago" in tds[9].text:
                    return True
            return False
        wait_for("a running row with worker, progress and heartbeat", running_row_ok)
        # Incremental refresh: progress of a running job moves without a reload.
        marker = driver.execute_script("window.__notReloaded = 1; return 1;")
        first = db_rows("SELECT id, progress FROM jobs WHERE state='running' ORDER BY id LIMIT 1")[0]
        def progressed():
            for r in driver.find_elements(By.CSS_SELECTOR, rows_css):
                if int(r.get_attribute("data-id")) == first[0]:
                    pct = int(r.find_elements(By.TAG_NAME, "td")[6].text.rstrip("%").split()[-1])
                    return pct > round(100 * first[1]) or r.get_attribute("data-state") != "running"
            return False
        wait_for("the table to refresh by itself", progressed, timeout=20)
        assert driver.execute_script("return window.__notReloaded") == marker, "the page reloaded"
        shot("jobs")
        # The state filter, server side.
        Select(driver.find_element(By.ID, "f-state")).select_by_visible_text("queued")
        def only_queued():
            rows = driver.find_elements(By.CSS_SELECTOR, rows_css)
            n = db_rows("SELECT COUNT(*) FROM jobs WHERE state='queued'")[0][0]
            return rows and all(r.get_attribute("data-state") == "queued" for r in rows) and \
                driver.find_element(By.ID, "range").get_attribute("data-total") == str(n)
        wait_for("the state filter", only_queued)
        assert "state=queued" in driver.current_url, driver.current_url

        # --- a job page against the database ---
        jid = db_rows("SELECT id FROM jobs WHERE state='running' ORDER BY id LIMIT 1")[0][0]
        driver.get(f"{base}/jobs/{jid}")
        params = json.loads(db_rows("SELECT params FROM jobs WHERE id=?", jid)[0][0])
        def job_page_ok():
            ptab = {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
                    for r in driver.find_elements(By.CSS_SELECTOR, "#params tbody tr")}
            want = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in params.items()}
            hist = driver.find_elements(By.CSS_SELECTOR, "#history tbody tr")
            events = db_rows("SELECT to_state FROM job_events WHERE job_id=? ORDER BY id", jid)
            summary = {r.find_element(By.TAG_NAME, "th").text: r.find_element(By.TAG_NAME, "td").text
                       for r in driver.find_elements(By.CSS_SELECTOR, "#summary tbody tr")}
            state, attempt, maxa = db_rows("SELECT state, attempt, max_attempts FROM jobs WHERE id=?", jid)[0]
            return ptab == want and len(hist) == len(events) and \
                [h.find_elements(By.TAG_NAME, "td")[2].text for h in hist] == [e[0] for e in events] and \
                summary.get("state") == state and summary.get("attempt") == f"{attempt} of {maxa}"
        wait_for(f"job page {jid} to match the database", job_page_ok)
        # The live log tail: the job's stderr lines arrive with the heartbeats and are appended.
        def log_tail_grows():
            shown = driver.find_element(By.ID, "log").text.splitlines()
            stored = [r[0] for r in db_rows("SELECT line FROM job_logs WHERE job_id=? ORDER BY id", jid)]
            steps = [l for l in shown if l.startswith("test_sleep: step")]
            return len(steps) >= 2 and set(steps) <= set(stored)
        wait_for(f"job page {jid}'s log tail to show its lines", log_tail_grows)
        first = len(driver.find_element(By.ID, "log").text.splitlines())
        wait_for("more log lines without a reload", lambda: len(driver.find_element(By.ID, "log").text.splitlines()) > first)
        driver.execute_script("document.getElementById('checkpoints') ? document.getElementById('checkpoints').scrollIntoView() : "
                              "document.getElementById('log').scrollIntoView()")
        shot("job-log")

        # --- cancel and retry through the page (confirm dialogs accepted) ---
        target = db_rows("SELECT id FROM jobs WHERE state='queued' ORDER BY id DESC LIMIT 1")[0][0]
        driver.get(f"{base}/jobs/{target}")
        wait_for("the cancel button", lambda: driver.find_element(By.ID, "act-cancel").is_enabled())
        driver.find_element(By.ID, "act-cancel").click()
        alert = driver.switch_to.alert
        assert f"Cancel job {target}" in alert.text, alert.text
        alert.accept()
        wait_for("the job to be cancelled in the database",
                 lambda: db_rows("SELECT state FROM jobs WHERE id=?", target)[0][0] == "cancelled")
        wait_for("the page to say so", lambda: "cancelled" in driver.find_element(By.ID, "act-msg").text)
        wait_for("the retry button", lambda: driver.find_element(By.ID, "act-retry").is_enabled())
        # Dismissing the confirm changes nothing.
        driver.find_element(By.ID, "act-retry").click()
        driver.switch_to.alert.dismiss()
        time.sleep(1)
        assert db_rows("SELECT state FROM jobs WHERE id=?", target)[0][0] == "cancelled"
        driver.find_element(By.ID, "act-retry").click()
        driver.switch_to.alert.accept()
        wait_for("the job to be queued again", lambda: db_rows("SELECT state, attempt FROM jobs WHERE id=?", target)[0] in [("queued", 0), ("running", 1)])
        wait_for("the history to show cancel and retry", lambda: [td.text for td in driver.find_elements(
            By.CSS_SELECTOR, "#history tbody tr td:nth-child(3)")][:3] == ["queued", "cancelled", "queued"])
        print(f"  cancelled and retried job {target} through its page")
        # A refused action shows the server's reason: retry a queued job (the
        # button is disabled then, so through the page's own script).
        driver.execute_script("document.getElementById('act-retry').disabled = false;")
        driver.find_element(By.ID, "act-retry").click()
        driver.switch_to.alert.accept()
        wait_for("the refusal", lambda: "only failed or cancelled jobs can be retried" in driver.find_element(By.ID, "act-msg").text)
        assert db_rows("SELECT state FROM jobs WHERE id=?", target)[0][0] in ("queued", "running")
        shot("job")

        # --- the other pages ---
        driver.get(base + "/grids")
        wait_for("the grids table", lambda: driver.find_elements(By.CSS_SELECTOR, '#grids tr[data-grid="browser_demo"]'))
        row = driver.find_element(By.CSS_SELECTOR, '#grids tr[data-grid="browser_demo"]')
        assert row.find_elements(By.TAG_NAME, "td")[-1].text == "8", row.text
        shot("grids")
        driver.get(base + "/workers")
        wait_for("the workers table", lambda: driver.find_elements(By.CSS_SELECTOR, '#workers tr[data-worker="browser-worker"]'))
        shot("workers")
        driver.get(base + "/results")
        wait_for("the results page", lambda: "no finished jobs yet" in driver.find_element(By.ID, "content").text
                 or driver.find_elements(By.CSS_SELECTOR, "section[data-table]"))
        shot("results")
        # /metrics: the daemon's counters against the state history.
        def events(to):
            return db_rows("SELECT COUNT(*) FROM job_events WHERE to_state=? AND from_state IS NOT NULL", to)[0][0]
        before = (events("running"), events("succeeded"))
        metrics = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
        after = (events("running"), events("succeeded"))
        value = {l.split(" ")[0]: float(l.split(" ")[1]) for l in metrics.splitlines() if l and not l.startswith("#")}
        assert before[0] <= value["lg_claims_total"] <= after[0], (before, after, metrics)
        assert before[1] <= value["lg_completions_total"] <= after[1], (before, after, metrics)
        running = db_rows("SELECT COUNT(*) FROM jobs WHERE grid='browser_demo' AND state='running'")[0][0]
        assert abs(value['lg_jobs{grid="browser_demo",state="running"}'] - running) <= 1, metrics
        assert value["lg_workers_connected"] == 1 and value["lg_slots"] == 2, metrics
        print(f"  /metrics: {int(value['lg_claims_total'])} claims, {int(value['lg_completions_total'])} completions, as the database says")
        # A real train job (fixture StyleGAN2 + face UNet, 8 steps) on the
        # numeric worker: its job page shows the uploaded label sheet, drawn
        # once (the element survives the page's refreshes).
        numeric = os.path.join(bin_dir, "worker")
        if os.access(numeric, os.X_OK):
            subprocess.run([coordinator, "enqueue", "fixture_smoke", "--db", db, "--grids", os.path.join(ROOT, "jobs"),
                            "--set", "SE=LSE"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
            tid = db_rows("SELECT id FROM jobs WHERE grid='fixture_smoke'")[0][0]
            real_env = {k: v for k, v in os.environ.items() if k != "LINEARGAN_TEST_KINDS"}
            procs.append(subprocess.Popen([numeric, "--connect", f"127.0.0.1:{port}", "--slots", "1",
                                           "--secret", os.path.join(tmp, "secret"), "--workdir", os.path.join(tmp, "work-numeric"),
                                           "--name", "browser-numeric"], cwd=ROOT, env=real_env,
                                          stdout=open(os.path.join(tmp, "numeric-worker.log"), "w"), stderr=subprocess.STDOUT))
            wait_for(f"train job {tid} to finish", lambda: db_rows("SELECT state FROM jobs WHERE id=?", tid)[0][0]
                     in ("succeeded", "failed"), timeout=300, interval=1)
            assert db_rows("SELECT state FROM jobs WHERE id=?", tid)[0][0] == "succeeded", db_rows("SELECT last_error FROM jobs WHERE id=?", tid)
            driver.get(f"{base}/jobs/{tid}")
            img = wait_for("the label sheet image", lambda: driver.execute_script(
                "const i = document.getElementById('label-sheet'); return i && i.complete && i.naturalWidth > 0 ? i : null"))
            width = driver.execute_script("return arguments[0].naturalWidth", img)
            time.sleep(4)  # past a refresh: the same element, not a re-fetched one
            assert driver.execute_script("return arguments[0].isConnected", img), "the label sheet was redrawn by a refresh"
            driver.execute_script("arguments[0].scrollIntoView()", img)
            shot("job-label-sheet")
            print(f"  train job {tid}: label sheet shown ({width} px wide), kept across refreshes")
        else:
            print(f"  (no {numeric}: the label-sheet check is skipped)")
        print("dashboard browser test: OK")
    except BaseException:
        for log in ("coordinator.log", "worker.log", "numeric-worker.log"):
            p = os.path.join(tmp, log)
            if os.path.exists(p):
                print(f"--- {log} (last 30 lines)")
                print("".join(open(p).readlines()[-30:]))
        raise
    finally:
        if driver:
            driver.quit()
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if args.keep:
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
