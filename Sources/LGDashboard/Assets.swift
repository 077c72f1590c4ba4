// The dashboard's stylesheet and script, served from the binary
// (/assets/dashboard.css, /assets/dashboard.js): no files beside the
// executable, nothing from a CDN.
enum Assets {
    static let css = #"""
    :root { --fg: #1d2430; --muted: #6b7482; --line: #dfe3e8; --bg: #f6f7f9; --accent: #2d6cdf;
            --queued: #8a94a6; --running: #2d6cdf; --succeeded: #1f9d55; --failed: #d64545; --cancelled: #b08900; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
    .brand { font-weight: 600; }
    nav a { margin-right: 14px; color: var(--muted); text-decoration: none; }
    nav a.on, nav a:hover { color: var(--accent); }
    .status { margin-left: auto; color: var(--muted); font-size: 12px; }
    .status.err { color: var(--failed); }
    main { padding: 16px 20px; }
    h1 { font-size: 20px; margin: 0 0 12px; }
    h2 { font-size: 16px; margin: 20px 0 8px; }
    table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%; }
    th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; white-space: nowrap; }
    th { background: #fafbfc; font-weight: 600; font-size: 12px; color: var(--muted); }
    th.sort { cursor: pointer; user-select: none; }
    th.sort.on { color: var(--fg); }
    td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
    td.key { max-width: 360px; overflow: hidden; text-overflow: ellipsis; font-family: ui-monospace, monospace; font-size: 12px; }
    td.wrap { white-space: pre-wrap; word-break: break-word; max-width: 700px; }
    img.sheet { image-rendering: pixelated; max-width: 100%; min-width: 300px; border: 1px solid var(--line); }
    pre.log { background: #fafbfc; border: 1px solid var(--line); padding: 8px; max-height: 320px; overflow: auto; font-size: 12px; white-space: pre-wrap; word-break: break-word; }
    .state { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px; }
    .state.queued { background: var(--queued); } .state.running { background: var(--running); }
    .state.succeeded { background: var(--succeeded); } .state.failed { background: var(--failed); }
    .state.cancelled { background: var(--cancelled); }
    .bar { display: inline-block; width: 90px; height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; vertical-align: middle; }
    .bar > span { display: block; height: 100%; background: var(--accent); }
    .stack { display: flex; width: 320px; height: 12px; border-radius: 6px; overflow: hidden; background: var(--line); }
    .stack > span.succeeded { background: var(--succeeded); } .stack > span.running { background: var(--running); }
    .stack > span.failed { background: var(--failed); } .stack > span.cancelled { background: var(--cancelled); }
    .filters { display: flex; gap: 10px; align-items: center; margin-bottom: 10px; flex-wrap: wrap; }
    select, input, button { font: inherit; padding: 3px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
    button { cursor: pointer; } button:hover { border-color: var(--accent); }
    button.danger { color: var(--failed); }
    .pager { display: flex; gap: 10px; align-items: center; margin-top: 10px; }
    .muted { color: var(--muted); }
    .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
    .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
    .actions { display: flex; gap: 8px; margin: 8px 0 12px; align-items: center; }
    .msg { margin-left: 8px; } .msg.err { color: var(--failed); }
    svg.curve { background: #fff; border: 1px solid var(--line); }
    svg.curve text { font-size: 10px; fill: var(--muted); }
    .figures { display: flex; flex-wrap: wrap; gap: 12px; }
    .figures figure { margin: 0; } .figures img { max-width: 100%; display: block; }
    a { color: var(--accent); }
    """#

    static let script = #"""
    "use strict";
    const main = document.getElementById("main");
    const content = document.getElementById("content");
    const statusEl = document.getElementById("status");
    const token = (document.querySelector('meta[name="lg-token"]') || {}).content || "";
    const refreshMs = 1000 * (parseInt(main.dataset.refresh, 10) || 3);

    function esc(s) {
      return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
        c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
    }
    async function api(path, opts) {
      opts = opts || {};
      const headers = Object.assign({}, opts.headers || {});
      if (opts.method && opts.method !== "GET" && token) headers["Authorization"] = "Bearer " + token;
      const r = await fetch(path, Object.assign({}, opts, {headers, credentials: "same-origin"}));
      const body = await r.json().catch(() => ({}));
      if (!r.ok) throw new Error(body.error || (r.status + " " + r.statusText));
      return body;
    }
    function fmtNum(v, d) { return v === null || v === undefined ? "" : Number(v).toFixed(d === undefined ? 2 : d); }
    function fmtDur(s) {
      if (s === null || s === undefined) return "";
      s = Math.round(s);
      if (s < 60) return s + " s";
      if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
      return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    }
    function fmtAgo(t, now) { return t ? fmtDur(Math.max(0, (now || Date.now() / 1000) - t)) + " ago" : ""; }
    function fmtTime(t) { return t ? new Date(t * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC" : ""; }
    function stateBadge(s) { return '<span class="state ' + esc(s) + '">' + esc(s) + "</span>"; }
    function bar(f) { return '<span class="bar"><span style="width:' + Math.round(100 * Math.max(0, Math.min(1, f))) + '%"></span></span>'; }
    function setStatus(text, err) { statusEl.textContent = text; statusEl.className = "status" + (err ? " err" : ""); }
    // `nums`: indexes of right-aligned (numeric) columns.
    function table(cols, rows, attrs, nums) {
      return "<table" + (attrs || "") + "><thead><tr>" + cols.map((c, i) => "<th" + ((nums || []).includes(i) ? ' class="num"' : "") + ">" + esc(c) + "</th>").join("") +
        "</tr></thead><tbody>" + rows.join("") + "</tbody></table>";
    }
    // Runs `load` now and every few seconds; errors show in the header.
    function every(load) {
      const tick = async () => {
        try { await load(); setStatus("updated " + new Date().toLocaleTimeString()); }
        catch (e) { setStatus("refresh failed: " + e.message, true); }
      };
      tick();
      setInterval(tick, refreshMs);
    }

    // ---- jobs: filters, sort, server-side paging, incremental refresh ----
    function jobsPage() {
      const params = new URLSearchParams(location.search);
      const st = { grid: params.get("grid") || "", state: params.get("state") || "", kind: params.get("kind") || "",
                   sort: params.get("sort") || "id", order: params.get("order") || "asc",
                   offset: parseInt(params.get("offset") || "0", 10) || 0, limit: parseInt(params.get("limit") || "50", 10) || 50 };
      const cols = [["id", "id", "num"], ["grid", "grid"], ["key", null], ["state", "state"], ["attempt", "attempt", "num"],
                    ["worker", "worker"], ["progress", "progress"], ["rate", "rate", "num"], ["ETA", "eta", "num"],
                    ["last heartbeat", "heartbeat"], ["mIoU", null, "num"]];
      content.innerHTML =
        '<div class="filters">' +
        '<label>grid <select id="f-grid"><option value="">all</option></select></label>' +
        '<label>state <select id="f-state"><option value="">all</option></select></label>' +
        '<label>kind <select id="f-kind"><option value="">all</option></select></label>' +
        '<label>rows <select id="f-limit"><option>25</option><option>50</option><option>100</option><option>500</option></select></label>' +
        "</div>" +
        '<table id="jobs"><thead><tr>' + cols.map(c => '<th class="' + (c[1] ? "sort " : "") + (c[2] || "") + '" data-sort="' +
          (c[1] || "") + '">' + esc(c[0]) + "</th>").join("") + '</tr></thead><tbody></tbody></table>' +
        '<div class="pager"><button id="prev">◀ previous</button><span id="range" class="muted"></span><button id="next">next ▶</button></div>';
      const sel = id => document.getElementById(id);
      sel("f-limit").value = String(st.limit);
      async function loadFilters() {
        const f = await api("/api/filters");
        for (const [id, list] of [["f-grid", f.grids], ["f-state", f.states], ["f-kind", f.kinds]]) {
          const s = sel(id), key = id.slice(2);
          s.innerHTML = '<option value="">all</option>' + list.map(v => "<option>" + esc(v) + "</option>").join("");
          s.value = st[key];
        }
      }
      function sync() {
        const p = new URLSearchParams();
        for (const k of ["grid", "state", "kind"]) if (st[k]) p.set(k, st[k]);
        if (st.sort !== "id") p.set("sort", st.sort);
        if (st.order !== "asc") p.set("order", st.order);
        if (st.offset) p.set("offset", st.offset);
        if (st.limit !== 50) p.set("limit", st.limit);
        history.replaceState(null, "", "/" + (p.toString() ? "?" + p : ""));
        document.querySelectorAll("#jobs th.sort").forEach(th => {
          th.classList.toggle("on", th.dataset.sort === st.sort);
          th.textContent = th.textContent.replace(/ [▲▼]$/, "") + (th.dataset.sort === st.sort ? (st.order === "asc" ? " ▲" : " ▼") : "");
        });
        return p;
      }
      let latest = 0;
      async function load() {
        const p = sync();
        p.set("limit", st.limit); p.set("offset", st.offset);
        const mine = ++latest;
        const r = await api("/api/jobs?" + p);
        if (mine !== latest) return;   // a newer request (filter, sort, page) has been sent since

        const rows = r.jobs.map(j => '<tr data-id="' + j.id + '" data-state="' + esc(j.state) + '">' +
          '<td class="num"><a href="/jobs/' + j.id + '">' + j.id + "</a></td>" +
          "<td>" + esc(j.grid) + "</td>" +
          '<td class="key" title="' + esc(j.key) + '">' + esc(j.key) + "</td>" +
          "<td>" + stateBadge(j.state) + "</td>" +
          '<td class="num">' + j.attempt + "/" + j.maxAttempts + "</td>" +
          "<td>" + esc(j.worker || "") + "</td>" +
          "<td>" + bar(j.progress) + " " + Math.round(100 * j.progress) + "%</td>" +
          '<td class="num">' + (j.rate ? fmtNum(j.rate) + "/s" : "") + "</td>" +
          '<td class="num">' + fmtDur(j.etaSeconds) + "</td>" +
          "<td>" + fmtAgo(j.heartbeatAt, r.now) + "</td>" +
          '<td class="num">' + (j.mIoU === null || j.mIoU === undefined ? "" : fmtNum(j.mIoU <= 1 ? 100 * j.mIoU : j.mIoU, 1)) + "</td></tr>");
        document.querySelector("#jobs tbody").innerHTML = rows.join("") ||
          '<tr><td colspan="11" class="muted">no jobs match</td></tr>';
        const last = Math.min(r.total, st.offset + r.jobs.length);
        sel("range").textContent = r.total ? (st.offset + 1) + "–" + last + " of " + r.total : "0 of 0";
        sel("range").dataset.total = r.total;
        sel("prev").disabled = st.offset <= 0;
        sel("next").disabled = last >= r.total;
      }
      for (const key of ["grid", "state", "kind"]) {
        sel("f-" + key).addEventListener("change", e => { st[key] = e.target.value; st.offset = 0; load().catch(err => setStatus(err.message, true)); });
      }
      sel("f-limit").addEventListener("change", e => { st.limit = parseInt(e.target.value, 10); st.offset = 0; load(); });
      sel("prev").addEventListener("click", () => { st.offset = Math.max(0, st.offset - st.limit); load(); });
      sel("next").addEventListener("click", () => { st.offset += st.limit; load(); });
      document.querySelectorAll("#jobs th.sort").forEach(th => th.addEventListener("click", () => {
        if (st.sort === th.dataset.sort) st.order = st.order === "asc" ? "desc" : "asc"; else { st.sort = th.dataset.sort; st.order = "asc"; }
        st.offset = 0; load();
      }));
      loadFilters().catch(e => setStatus(e.message, true));
      every(load);
    }

    // ---- one job: parameters, history, metrics, curves, checkpoints, actions ----
    function curveSVG(name, pts) {
      const W = 420, H = 180, L = 44, B = 22, T = 18, R = 10;
      const xs = pts.map(p => p[0]), ys = pts.map(p => p[1]);
      const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
      const sx = x => L + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - L - R);
      const sy = y => H - B - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (H - B - T);
      const path = pts.map((p, i) => (i ? "L" : "M") + sx(p[0]).toFixed(1) + " " + sy(p[1]).toFixed(1)).join(" ");
      const g = v => Number(v.toPrecision(4));
      return '<svg class="curve" data-curve="' + esc(name) + '" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '">' +
        '<text x="' + L + '" y="12">' + esc(name) + "</text>" +
        '<line x1="' + L + '" y1="' + (H - B) + '" x2="' + (W - R) + '" y2="' + (H - B) + '" stroke="#dfe3e8"/>' +
        '<line x1="' + L + '" y1="' + T + '" x2="' + L + '" y2="' + (H - B) + '" stroke="#dfe3e8"/>' +
        '<text x="2" y="' + (T + 8) + '">' + g(y1) + '</text><text x="2" y="' + (H - B) + '">' + g(y0) + "</text>" +
        '<text x="' + L + '" y="' + (H - 6) + '">' + g(x0) + '</text><text x="' + (W - R - 40) + '" y="' + (H - 6) + '">step ' + g(x1) + "</text>" +
        '<path d="' + path + '" fill="none" stroke="#2d6cdf" stroke-width="1.6"/>' +
        pts.map(p => '<circle cx="' + sx(p[0]).toFixed(1) + '" cy="' + sy(p[1]).toFixed(1) + '" r="2" fill="#2d6cdf"/>').join("") + "</svg>";
    }
    function jobPage() {
      const id = main.dataset.job;
      content.innerHTML = '<div class="actions">' +
        '<button id="act-cancel" class="danger">Cancel</button><button id="act-retry">Retry</button>' +
        '<label>priority <input id="prio" type="number" value="0" style="width:70px"></label><button id="act-prioritize">Set priority</button>' +
        '<span id="act-msg" class="msg"></span></div><div id="job"></div><div id="sheet"></div>' +
        '<h2>Log <span class="muted" id="log-info"></span></h2><pre id="log" class="log"></pre>';
      const msg = document.getElementById("act-msg");
      // The live tail: lines after the last one shown, appended (the newest 1000 kept).
      let logSeq = 0;
      const logBox = document.getElementById("log");
      async function tail() {
        const r = await api("/api/jobs/" + id + "/log?after=" + logSeq + "&limit=500");
        if (r.lines.length) {
          const atBottom = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
          logBox.textContent += r.lines.map(l => (l.attempt > 1 ? "[attempt " + l.attempt + "] " : "") + l.line).join("\n") + "\n";
          const all = logBox.textContent.split("\n");
          if (all.length > 1001) logBox.textContent = all.slice(all.length - 1001).join("\n");
          logSeq = r.lines[r.lines.length - 1].seq;
          if (atBottom) logBox.scrollTop = logBox.scrollHeight;
        }
        document.getElementById("log-info").textContent = logSeq ? "" : "(no lines yet: workers send them with their heartbeats)";
      }
      every(tail);
      async function act(action, body, question) {
        if (!confirm(question)) return;
        try {
          const r = await api("/api/jobs/" + id + "/" + action, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})});
          msg.className = "msg"; msg.textContent = action + ": job " + id + " is now " + r.state;
          await load();
        } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
      }
      document.getElementById("act-cancel").onclick = () => act("cancel", {}, "Cancel job " + id + "?");
      document.getElementById("act-retry").onclick = () => act("retry", {}, "Retry job " + id + " (a fresh attempt budget)?");
      document.getElementById("act-prioritize").onclick = () => {
        const p = parseInt(document.getElementById("prio").value, 10);
        act("prioritize", {priority: p}, "Set the priority of job " + id + " to " + p + "?");
      };
      let primed = false, shownSheet = "";
      async function load() {
        const d = await api("/api/jobs/" + id);
        const j = d.job;
        if (!primed) { document.getElementById("prio").value = j.priority; primed = true; }
        document.getElementById("act-cancel").disabled = !(j.state === "queued" || j.state === "running");
        document.getElementById("act-retry").disabled = !(j.state === "failed" || j.state === "cancelled");
        const cell = v => esc(typeof v === "object" ? JSON.stringify(v) : v);
        const kv = o => Object.keys(o).sort().map(k => "<tr><th>" + esc(k) + '</th><td class="wrap">' + cell(o[k]) + "</td></tr>");
        const kvInOrder = o => Object.keys(o).filter(k => o[k] !== "").map(k => "<tr><th>" + esc(k) + '</th><td class="wrap">' + cell(o[k]) + "</td></tr>");
        const summary = {
          state: j.state, grid: j.grid, kind: j.kind, key: j.key, attempt: j.attempt + " of " + j.maxAttempts, priority: j.priority,
          worker: j.worker || "", progress: Math.round(100 * j.progress) + "%" + (j.note ? " (" + j.note + ")" : ""),
          rate: j.rate ? fmtNum(j.rate) + "/s" : "", ETA: fmtDur(j.etaSeconds), "last heartbeat": fmtAgo(j.heartbeatAt),
          created: fmtTime(d.createdAt), started: fmtTime(d.startedAt), finished: fmtTime(d.finishedAt),
          "waiting for": d.waitingFor.length ? "jobs " + d.waitingFor.join(", ") : ""
        };
        if (d.lastError) summary["last error"] = d.lastError;
        let html = '<div class="grid2"><div class="card"><h2>Job ' + j.id + " " + stateBadge(j.state) + "</h2>" +
          '<table id="summary"><tbody>' + kvInOrder(summary).join("") + "</tbody></table></div>" +
          '<div class="card"><h2>Parameters</h2>' + table(["parameter", "value"], kv(d.params), ' id="params"') + "</div></div>";
        html += "<h2>State history</h2>" + table(["time", "from", "to", "attempt", "worker", "error"], d.history.map(e =>
          "<tr><td>" + fmtTime(e.at) + "</td><td>" + (e.from ? stateBadge(e.from) : '<span class="muted">new</span>') + "</td><td>" +
          stateBadge(e.to) + '</td><td class="num">' + e.attempt + "</td><td>" + esc(e.worker || "") + '</td><td class="wrap">' +
          esc(e.error || "") + "</td></tr>"), ' id="history"');
        const curveNames = Object.keys(d.curves).sort();
        if (curveNames.length) html += "<h2>Training curves</h2><div>" + curveNames.map(n => curveSVG(n, d.curves[n])).join(" ") + "</div>";
        const plain = Object.keys(d.metrics).filter(k => !/@[0-9.eE+-]+$/.test(k)).sort();
        html += "<h2>Metrics</h2>" + (plain.length ? table(["metric", "value"], plain.map(k =>
          "<tr><td>" + esc(k) + '</td><td class="num">' + esc(d.metrics[k]) + "</td></tr>"), ' id="metrics"', [1]) : '<p class="muted">none yet</p>');
        if (Object.keys(d.provenance).length) html += "<h2>Provenance</h2>" + table(["fact", "value"], kv(d.provenance));
        html += "<h2>Checkpoints</h2>" + (d.checkpoints.length ? table(["kind", "path", "bytes", "sha256"], d.checkpoints.map(a =>
          "<tr><td>" + esc(a.kind) + "</td><td>" + esc(a.path) + '</td><td class="num">' + a.size + '</td><td class="key">' +
          esc(a.sha256) + "</td></tr>"), ' id="checkpoints"') : '<p class="muted">none</p>');
        document.getElementById("job").innerHTML = html;
        // The label sheet sits outside the refreshed block: drawn once per
        // uploaded version, so a refresh does not fetch the image again.
        const files = d.checkpoints.filter(a => a.kind === "label_sheet.png");
        const sheetVersion = files.length ? files[files.length - 1].sha256.slice(0, 12) : "";
        if (sheetVersion !== shownSheet) {
          shownSheet = sheetVersion;
          document.getElementById("sheet").innerHTML = sheetVersion ?
            '<h2>Label sheet <span class="muted">(image | predictor | extractor, fresh samples)</span></h2>' +
            '<img id="label-sheet" class="sheet" alt="label sheet" src="/api/jobs/' + id + "/files/label_sheet.png?v=" + esc(sheetVersion) + '">' : "";
        }
      }
      every(load);
    }

    // ---- grids, results, workers ----
    function gridsPage() {
      every(async () => {
        const r = await api("/api/grids");
        const states = ["queued", "running", "succeeded", "failed", "cancelled"];
        content.innerHTML = r.grids.length ? table(["grid", "progress", "done"].concat(states).concat(["total"]), r.grids.map(g => {
          const n = Math.max(1, states.reduce((a, s) => a + g.counts[s], 0));
          const stack = '<span class="stack">' + ["succeeded", "running", "failed", "cancelled"].map(s =>
            '<span class="' + s + '" title="' + s + ": " + g.counts[s] + '" style="width:' + (100 * g.counts[s] / n) + '%"></span>').join("") + "</span>";
          return '<tr data-grid="' + esc(g.grid) + '"><td><a href="/?grid=' + encodeURIComponent(g.grid) + '">' + esc(g.grid) + "</a></td><td>" +
            stack + '</td><td class="num">' + Math.round(100 * g.fractionDone) + "%</td>" +
            states.map(s => '<td class="num">' + (g.counts[s] ? '<a href="/?grid=' + encodeURIComponent(g.grid) + "&state=" + s + '">' +
              g.counts[s] + "</a>" : "0") + "</td>").join("") + '<td class="num">' + g.total + "</td></tr>";
        }), ' id="grids"', [2, 3, 4, 5, 6, 7, 8]) : '<p class="muted">no jobs yet</p>';
      });
    }
    // Tables (every refresh) and the collector's figures (/api/plots), whose
    // images reload only when the list or the numbers change.
    function resultsPage() {
      let figKey = null, figVersion = 0;
      every(async () => {
        const [r, p] = await Promise.all([api("/api/results"), api("/api/plots")]);
        const full = r.tables.filter(t => !t.empty), empty = r.tables.filter(t => t.empty);
        if (!document.getElementById("tables")) {
          content.innerHTML = '<div id="tables"></div><h2>Figures</h2><div id="figures" class="figures"></div>';
        }
        const key = JSON.stringify([p, r.tables.map(t => t.rows)]);
        if (key !== figKey) {
          figKey = key; figVersion += 1;
          document.getElementById("figures").innerHTML = p.plots.length ? p.plots.map(f =>
            '<figure class="card" data-plot="' + esc(f.name) + '"><a href="' + esc(f.url) + '" target="_blank">' +
            '<img src="' + esc(f.url) + "?v=" + figVersion + '" alt="' + esc(f.title) + '"></a><figcaption>' + esc(f.title) +
            ' <a href="' + esc(f.url) + '" download>SVG</a> <a href="' + esc(f.png) + '" download>PNG</a></figcaption></figure>').join("") +
            (p.notes.length ? '<p class="muted" style="white-space:pre-wrap">' + p.notes.map(esc).join("\n") + "</p>" : "") :
            '<p class="muted">' + esc(p.message || "no figures yet") + "</p>";
        }
        document.getElementById("tables").innerHTML = full.map(t => '<section class="card" data-table="' + esc(t.name) + '"><h2>' + esc(t.title) +
          ' <a href="' + esc(t.csv) + '" download>CSV</a></h2>' +
          table(t.columns, t.rows.map(row => "<tr>" + row.map((c, i) => '<td class="' + (i ? "num" : "") + '">' +
            (c === null ? '<span class="muted">missing</span>' : esc(c)) + "</td>").join("") + "</tr>"), "", t.columns.map((_, i) => i).slice(1)) +
          (t.note ? '<p class="muted" style="white-space:pre-wrap">' + esc(t.note) + "</p>" : "") + "</section>").join("<br>") +
          (empty.length ? '<p class="muted">no finished jobs yet for: ' + empty.map(t => esc(t.name)).join(", ") + "</p>" : "");
      });
    }
    function workersPage() {
      every(async () => {
        const r = await api("/api/workers");
        content.innerHTML = r.workers.length ? table(["worker", "host", "slots", "running", "pid", "Slurm job", "array task", "connected", "last heartbeat", "first seen"],
          r.workers.map(w => '<tr data-worker="' + esc(w.name) + '"><td>' + esc(w.name) + "</td><td>" + esc(w.host) + '</td><td class="num">' + w.slots +
            '</td><td class="num">' + w.running + '</td><td class="num">' + esc(w.pid || "") + "</td><td>" + esc(w.slurmJobID || "") +
            "</td><td>" + esc(w.slurmArrayTaskID || "") + "</td><td>" + (w.connected ? "yes" : '<span class="muted">no</span>') +
            "</td><td>" + fmtAgo(w.lastSeen) + "</td><td>" + fmtTime(w.firstSeen) + "</td></tr>"), ' id="workers"', [2, 3, 4]) :
          '<p class="muted">no worker has connected yet</p>';
      });
    }

    ({jobs: jobsPage, job: jobPage, grids: gridsPage, results: resultsPage, workers: workersPage}[main.dataset.page] || (() => {}))();
    """#
}
