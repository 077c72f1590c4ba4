#!/usr/bin/env bash
# End to end through the distributed runner: builds (release), starts a
# coordinator on loopback, enqueues a grid, runs a worker until the queue is
# drained, and prints the collector's tables.
#
#   bash scripts/demo.sh [GRID[,GRID...]] [enqueue options...]
#
# Default: Table 1 over the embedded zoo (sr_all_method_zoo, quick preset) on
# the zoo generators registered in configs/zoo.json (docs/zoo.md); without a
# registered zoo, fixture_smoke (the small fixture StyleGAN2 + face UNet, 3
# jobs, about a minute, numbers meaningless). The paper's grids
# (sr_all_method, ...) need the paper's weights under models/pretrain/pytorch/
# (see `worker models`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The generators of grid $1 that configs/zoo.json registers (comma-separated).
registered_zoo() {
    python3 - "$1" <<'PY'
import json, sys
try:
    registered = {g["name"] for g in json.load(open("configs/zoo.json"))["generators"]}
except (OSError, ValueError, KeyError):
    registered = set()
grid = json.load(open(f"jobs/{sys.argv[1]}.json"))
names = []
for axes in [grid.get("axes", [])] + [b.get("axes", []) for b in grid.get("blocks", [])]:
    for a in axes:
        if a["name"] == "G":
            names += [v["G"] if isinstance(v, dict) else v for v in a["values"]]
print(",".join(dict.fromkeys(n for n in names if n in registered)))
PY
}
if [ $# -eq 0 ]; then
    if [ -n "$(registered_zoo sr_all_method_zoo)" ]; then
        set -- sr_all_method_zoo
    else
        echo "demo: no zoo registered in configs/zoo.json; running fixture_smoke"
        set -- fixture_smoke
    fi
fi
grid="$1"; shift
# The same flags as scripts/test.sh, so that the test build is reused;
# LG_SCRATCH picks another build folder (swift build --scratch-path).
flags=(-c release -Xswiftc -enable-testing ${LG_SCRATCH:+--scratch-path "$LG_SCRATCH"})
for p in coordinator worker collector; do swift build "${flags[@]}" --product "$p" 2>&1 | tail -1; done
bin="$(swift build "${flags[@]}" --show-bin-path)"
state="$(mktemp -d)"
db="$state/queue.sqlite"
"$bin/coordinator" serve --db "$db" --listen 127.0.0.1:0 --port-file "$state/port" >"$state/coordinator.log" 2>&1 &
coord=$!
trap 'kill $coord 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$state/port" ] && break; sleep 0.2; done
port="$(cat "$state/port")"
IFS=, read -ra grids <<<"$grid"
for g in "${grids[@]}"; do
    extra=()
    # Zoo grids run on the zoo generators registered so far, unless G is given.
    if [[ "$g" == *_zoo && "$g" != train_zoo && " $* " != *" G="* && " $* " != *"--set G="* ]]; then
        zoo="$(registered_zoo "$g")"
        [ -n "$zoo" ] || { echo "demo: $g needs registered zoo generators (worker zoo-register; docs/zoo.md)" >&2; exit 1; }
        echo "demo: $g on the registered zoo generators: $zoo"
        extra=(--set "G=$zoo")
    fi
    "$bin/coordinator" enqueue "$g" --db "$db" "$@" "${extra[@]}"
done
"$bin/worker" --connect "127.0.0.1:$port" --slots 2 --secret "$state/secret" --exit-when-idle
"$bin/coordinator" status --db "$db"
"$bin/collector" markdown --db "$db"
mkdir -p results/tex
"$bin/collector" tex --db "$db" --out results/tex >/dev/null
failed=$("$bin/coordinator" jobs --db "$db" --state failed | wc -l)
if [ "$failed" -ne 0 ]; then
    echo "demo: $failed job(s) failed:" >&2
    "$bin/coordinator" jobs --db "$db" --state failed >&2
    exit 1
fi
echo "demo: all jobs of $grid succeeded; tables in results/tex/"
