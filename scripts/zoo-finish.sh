#!/usr/bin/env bash
# Registers finished zoo generators and makes their documentation material:
#   bash scripts/zoo-finish.sh NAME [NAME ...]      e.g. pggan_toychurch32
# For each NAME (a finished train_gan run in expr/zoo/NAME):
#   1. worker zoo-register --run expr/zoo/NAME   (models/zoo/NAME.safetensors,
#      configs/zoo.json; an entry of the same name is replaced)
#   2. worker zoo-check --generator NAME         (label statistics against
#      renders; printed and kept in expr/zoo/NAME/zoo-check.txt)
#   3. worker label --generator NAME             (8 samples and their labels;
#      docs/images/zoo/NAME_labels.png)
#   4. the run's sample sheets at steps 1,000, 4,000 and 10,000 into
#      docs/images/zoo/NAME_step{1000,4000,10000}.png
# It does not edit docs/zoo.md or the README: their rows say what the check
# printed. WORKER=path/to/worker reuses a release binary (default: builds one).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
  echo "usage: bash scripts/zoo-finish.sh NAME [NAME ...]   (finished runs in expr/zoo/NAME)" >&2
  exit 2
fi
worker="${WORKER:-}"
if [ -z "$worker" ]; then
  swift build -c release --product worker 2>&1 | tail -1
  worker=.build/release/worker
fi
for name in "$@"; do
  run="expr/zoo/$name"
  for f in generator.safetensors generator.json; do
    if [ ! -f "$run/$f" ]; then
      echo "zoo-finish: $run/$f is missing: is the train_gan job for $name finished? ('coordinator status' says)" >&2
      exit 1
    fi
  done
  "$worker" zoo-register --run "$run"
  "$worker" zoo-check --generator "$name" | tee "$run/zoo-check.txt"
  sheet="$(mktemp -d)"
  "$worker" label --generator "$name" --count 8 --sheet-scale 3 --out "$sheet"
  mkdir -p docs/images/zoo
  cp "$sheet/sheet.png" "docs/images/zoo/${name}_labels.png"
  rm -rf "$sheet"
  for step in 1000 4000 10000; do
    src="$run/$(printf 'samples_%07d.png' "$step")"
    if [ -f "$src" ]; then cp "$src" "docs/images/zoo/${name}_step${step}.png"; else echo "zoo-finish: no $src (skipped)" >&2; fi
  done
  echo "zoo-finish: $name registered; docs/images/zoo/${name}_*.png written; add its rows to docs/zoo.md"
done
