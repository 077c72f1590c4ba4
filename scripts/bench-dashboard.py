#!/usr/bin/env python3
"""Times the dashboard's jobs page over a large queue (docs/benchmarks.md).

Enqueues N test_sleep jobs (default 100,000) through `coordinator enqueue`,
marks a third of them succeeded with an mIoU metric row and a few hundred
running (plain SQL on the database, before the coordinator starts), starts
`coordinator serve --http 127.0.0.1:0`, and times GET /api/jobs requests
over one keep-alive connection: median and worst of --repeat runs each.

    python3 scripts/bench-dashboard.py [--jobs 100000] [--repeat 20] [--bin BIN]
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--bin")
    a = ap.parse_args()
    bin_dir = a.bin or subprocess.check_output(
        ["swift", "build", "-c", "release", "-Xswiftc", "-enable-testing", "--show-bin-path"], cwd=ROOT, text=True).strip()
    coordinator = os.path.join(bin_dir, "coordinator")
    tmp = tempfile.mkdtemp(prefix="lg-dash-bench-")
    env = dict(os.environ, LINEARGAN_TEST_KINDS="1")
    try:
        db = os.path.join(tmp, "queue.sqlite")
        os.makedirs(os.path.join(tmp, "grids"))
        half = a.jobs // 2
        for name, lo, hi in (("bench_a", 0, half), ("bench_b", half, a.jobs)):
            with open(os.path.join(tmp, "grids", name + ".json"), "w") as f:
                json.dump({"grid": name, "kind": "test_sleep", "fixed": {"steps": 10},
                           "axes": [{"name": "i", "values": list(range(lo, hi))}]}, f)
        t0 = time.time()
        for name in ("bench_a", "bench_b"):
            subprocess.run([coordinator, "enqueue", name, "--db", db, "--grids", os.path.join(tmp, "grids")],
                           env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"enqueued {a.jobs} jobs in {time.time() - t0:.1f} s")
        con = sqlite3.connect(db)
        rnd = random.Random(0)
        now = time.time()
        done = list(range(1, a.jobs + 1, 3))
        con.executemany("UPDATE jobs SET state='succeeded', attempt=1, progress=1, started_at=?, finished_at=? WHERE id=?",
                        [(now - 60, now, i) for i in done])
        con.executemany("INSERT INTO metrics(job_id, key, value) VALUES (?, 'mIoU', ?)", [(i, rnd.random()) for i in done])
        running = list(range(2, a.jobs + 1, 331))
        con.executemany("UPDATE jobs SET state='running', attempt=1, lease_owner='bench', lease_expires_at=?, started_at=?, "
                        "heartbeat_at=?, progress=? WHERE id=? AND state='queued'", [(now + 3600, now - 30, now, rnd.random(), i) for i in running])
        con.commit()
        con.close()
        coord = subprocess.Popen([coordinator, "serve", "--db", db, "--listen", "127.0.0.1:0", "--port-file", os.path.join(tmp, "port"),
                                  "--http", "127.0.0.1:0", "--http-port-file", os.path.join(tmp, "http-port")],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            hp = os.path.join(tmp, "http-port")
            for _ in range(200):
                if os.path.exists(hp) and os.path.getsize(hp) > 0:
                    break
                time.sleep(0.1)
            port = int(open(hp).read())
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            deep = a.jobs - 50
            cases = [
                ("first page (50 rows)", "/api/jobs?limit=50"),
                (f"deep page (offset {deep:,})", f"/api/jobs?limit=50&offset={deep}"),
                ("state=queued, first page", "/api/jobs?state=queued&limit=50"),
                ("state=queued, deep page", f"/api/jobs?state=queued&limit=50&offset={a.jobs // 3}"),
                ("grid=bench_b, deep page", f"/api/jobs?grid=bench_b&limit=50&offset={half - 50}"),
                ("sort=progress desc, first page", "/api/jobs?sort=progress&order=desc&limit=50"),
                ("page of 500 rows", "/api/jobs?limit=500&offset=50000"),
                ("GET /api/filters (the page's menus)", "/api/filters"),
                ("GET /api/grids", "/api/grids"),
                ("GET /metrics", "/metrics"),
                ("GET / (the page itself)", "/"),
            ]
            print(f"| request ({a.jobs:,} jobs) | rows | total | median ms | worst ms |")
            print("|---|---|---|---|---|")
            for label, path in cases:
                times = []
                for _ in range(a.repeat):
                    t = time.perf_counter()
                    c.request("GET", path)
                    r = c.getresponse()
                    body = r.read()
                    times.append(1000 * (time.perf_counter() - t))
                    assert r.status == 200, (r.status, body[:200])
                o = json.loads(body) if path.startswith("/api/jobs") else None
                rows, total = (len(o["jobs"]), f"{o['total']:,}") if o else ("", "")
                print(f"| {label} | {rows} | {total} | {statistics.median(times):.1f} | {max(times):.1f} |")
        finally:
            coord.send_signal(signal.SIGTERM)
            coord.wait(timeout=20)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
