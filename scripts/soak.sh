#!/usr/bin/env bash
# Soak of the queue: claim / complete / heartbeat traffic from real worker
# processes for SECONDS (default 3600), the coordinator killed with -9 and
# restarted every KILL_EVERY seconds (default 300), its memory and open
# descriptors and the workers' descriptors sampled every 30 s; at the end
# the queue is drained and every job must have succeeded exactly once with
# its metric row set, and the workers must hold no more descriptors than
# at the first sample (plus a little slack).
#
#   bash scripts/soak.sh [SECONDS] [KILL_EVERY]
#
# Uses the queue's test job kind (test_sleep: 3 steps of 5 ms, a checkpoint
# after the second) through lg-queue-worker, so it needs no model files.
# Prints one line per sample and a summary; exits 1 on a lost or doubled job.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-3600}"; kill_every="${2:-300}"
flags=(-c release -Xswiftc -enable-testing ${LG_SCRATCH:+--scratch-path "$LG_SCRATCH"})
for p in coordinator lg-queue-worker; do swift build "${flags[@]}" --product "$p" 2>&1 | tail -1; done
bin="$(swift build "${flags[@]}" --show-bin-path)"
export LINEARGAN_TEST_KINDS=1
dir="$(mktemp -d)"; db="$dir/expr/queue.sqlite"; mkdir -p "$dir/expr" "$dir/grids"
port=$(( 20000 + RANDOM % 20000 ))
coord=""; workers=()
cleanup() { for w in "${workers[@]}"; do kill -9 "$w" 2>/dev/null || true; done; [ -n "$coord" ] && kill -9 "$coord" 2>/dev/null || true; }
trap cleanup EXIT
start_coordinator() {
    "$bin/coordinator" serve --db "$db" --listen "127.0.0.1:$port" --lease 10 --heartbeat 1 >>"$dir/coordinator.log" 2>&1 &
    coord=$!
    for _ in $(seq 100); do grep -q "serving" "$dir/coordinator.log" 2>/dev/null && break; sleep 0.1; done
}
enqueued=0
enqueue_round() {   # 3000 more jobs, a new round each time (a new key each)
    python3 - "$dir/grids/soak.json" "$1" <<'PY'
import json, sys
json.dump({"grid": "soak", "kind": "test_sleep",
           "fixed": {"steps": 3, "step_ms": 5, "checkpoint_every": 2, "round": int(sys.argv[2])},
           "axes": [{"name": "i", "values": list(range(3000))}]}, open(sys.argv[1], "w"))
PY
    "$bin/coordinator" enqueue soak --grids "$dir/grids" --db "$db" >/dev/null
    enqueued=$((enqueued + 3000))
}
sample() {   # rss_kib fds worker_fds
    local wf=0
    for w in "${workers[@]}"; do wf=$((wf + $(ls /proc/"$w"/fd 2>/dev/null | wc -l))); done
    echo "$(awk '/VmRSS/ {print $2}' /proc/"$coord"/status) $(ls /proc/"$coord"/fd | wc -l) $wf"
}
start_coordinator
round=0; enqueue_round $round
for i in 1 2 3 4; do
    "$bin/lg-queue-worker" --connect "127.0.0.1:$port" --slots 4 --secret "$dir/expr/secret" --workdir "$dir/work" \
        --quiet --poll 0.2 --max-backoff 1 >>"$dir/worker-$i.log" 2>&1 &
    workers+=($!)
done
start=$(date +%s); last_kill=$start; kills=0
echo "soak: ${secs} s, kill -9 of the coordinator every ${kill_every} s; logs in $dir"
echo "t_s  coordinator_pid  rss_MiB  fds  worker_fds  queued  running  succeeded"
first_wfds=""
while [ $(( $(date +%s) - start )) -lt "$secs" ]; do
    sleep 30
    now=$(date +%s)
    read -r rss fds wfds < <(sample)
    [ -z "$first_wfds" ] && first_wfds=$wfds
    counts=$("$bin/coordinator" status --db "$db" | head -1)
    q=$(echo "$counts" | awk '{print $2}'); r=$(echo "$counts" | awk '{print $4}'); s=$(echo "$counts" | awk '{print $6}')
    printf "%4d  %6d  %7.1f  %4d  %6d  %6d  %6d  %8d\n" $((now - start)) "$coord" "$(awk "BEGIN {print $rss / 1024}")" "$fds" "$wfds" "$q" "$r" "$s"
    if [ "$q" -lt 2000 ]; then round=$((round + 1)); enqueue_round $round; fi
    if [ $((now - last_kill)) -ge "$kill_every" ]; then
        kill -9 "$coord"; wait "$coord" 2>/dev/null || true
        kills=$((kills + 1)); last_kill=$now
        start_coordinator
        echo "      kill -9 #$kills; restarted as $coord"
    fi
done
last_wfds=$(sample | awk '{print $3}')
# Drain what is left, then check every job.
for _ in $(seq 600); do
    counts=$("$bin/coordinator" status --db "$db" | head -1)
    [ "$(echo "$counts" | awk '{print $2 + $4}')" = 0 ] && break
    sleep 1
done
for w in "${workers[@]}"; do kill -TERM "$w" 2>/dev/null || true; done
for w in "${workers[@]}"; do wait "$w" 2>/dev/null || true; done
workers=()
"$bin/coordinator" jobs --json --db "$db" >"$dir/jobs.jsonl"
python3 - "$dir/jobs.jsonl" "$enqueued" "$kills" "$first_wfds" "$last_wfds" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
enq, kills = int(sys.argv[2]), int(sys.argv[3])
first_w, last_w = int(sys.argv[4] or 0), int(sys.argv[5] or 0)
states = {}
for r in rows: states[r["job"]["state"]] = states.get(r["job"]["state"], 0) + 1
bad = [r["job"]["id"] for r in rows if r["job"]["state"] != "succeeded" or len(r["metrics"]) != 4]
retried = sum(1 for r in rows if r["job"]["attempt"] > 1)
print(f"soak: {len(rows)} jobs (enqueued {enq}), states {states}, {kills} coordinator kills, "
      f"{retried} jobs needed a second attempt, {len(bad)} lost or incomplete; "
      f"worker descriptors {first_w} at the first sample, {last_w} at the end")
leak = last_w > first_w + 40   # a few per worker for sockets and running children
if leak: print("soak: the workers' descriptors grew: a leak")
sys.exit(1 if bad or len(rows) != enq or leak else 0)
PY
