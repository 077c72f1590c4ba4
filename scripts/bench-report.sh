#!/usr/bin/env bash
# Runs lg-bench (release) and puts its output into docs/benchmarks.md,
# between the markers `<!-- lg-bench output begin -->` and
# `<!-- lg-bench output end -->`; the rest of the page (how to read the
# table, the targets) is prose kept by hand.
#
#   bash scripts/bench-report.sh [lg-bench arguments...]
#
# When results/torch-reference.json exists (written by
# `python3 scripts/torch-reference.py --out results/torch-reference.json`,
# PyTorch CPU on this machine), the PyTorch ratios are against it; else
# against the figures quoted in the issues. LG_BENCH=path/to/lg-bench reuses
# a release binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."
bench="${LG_BENCH:-}"
if [ -z "$bench" ]; then
  swift build -c release --scratch-path .build-bench --product lg-bench 2>&1 | tail -1
  bench=.build-bench/release/lg-bench
fi
args=("$@")
if [ -f results/torch-reference.json ]; then args+=(--torch-reference results/torch-reference.json); fi
out="$("$bench" "${args[@]}")"
doc=docs/benchmarks.md
grep -q '<!-- lg-bench output begin -->' "$doc" && grep -q '<!-- lg-bench output end -->' "$doc" || {
  echo "$doc lacks the lg-bench output markers; add them where the table goes" >&2; exit 1; }
python3 - "$doc" "$out" "$(date -u +%Y-%m-%d)" <<'PY'
import sys
path, out, day = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
head, rest = text.split("<!-- lg-bench output begin -->", 1)
_, tail = rest.split("<!-- lg-bench output end -->", 1)
block = f"<!-- lg-bench output begin -->\n`bash scripts/bench-report.sh`, {day}:\n\n```\n{out}\n```\n<!-- lg-bench output end -->"
open(path, "w").write(head + block + tail)
PY
echo "wrote the lg-bench output into $doc"
