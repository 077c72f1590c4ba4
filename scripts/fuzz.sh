#!/usr/bin/env bash
# Fuzzes every reader of untrusted bytes with libFuzzer and AddressSanitizer
# (docs/testing.md): protocol frames and messages, the server state machine
# after a valid handshake, .pth/pickle, safetensors, .npy, PNG, grid files, label cache entries.
#
#   bash scripts/fuzz.sh [SECONDS per target, default 60] [TARGET...]
#
# Seeds come from fuzz/corpus/TARGET/ (committed); what the fuzzer finds
# grows a scratch corpus in .build-fuzz/corpus/TARGET/. A crash stops that
# target, leaves its input in .build-fuzz/crash-TARGET-*, and makes the
# script exit 1 after the other targets ran: fix it, then copy the input to
# fuzz/regressions/TARGET/ (LGFuzzTests replays that folder on every test run).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frames machine pth safetensors npy png grid labels)
scratch=.build-fuzz
flags=(-c release --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING --scratch-path "$scratch")
swift build "${flags[@]}" --product lg-fuzz 2>&1 | tail -1
bin="$(swift build "${flags[@]}" --show-bin-path)/lg-fuzz"
failed=()
for t in "${targets[@]}"; do
    [ -d "fuzz/corpus/$t" ] || { echo "fuzz: no seeds for target '$t' (fuzz/corpus/$t)" >&2; exit 2; }
    work="$scratch/corpus/$t"
    mkdir -p "$work"
    cp -n fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
    echo "fuzz: $t for ${secs} s"
    # -detect_leaks=0: the Swift runtime's metadata caches and Foundation's
    # file reads show up as one-off "leaks"; the fuzzers look for crashes and
    # memory errors (AddressSanitizer stays on).
    if ! ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" LG_FUZZ_TARGET="$t" "$bin" "$work" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=4096 -detect_leaks=0 \
            -artifact_prefix="$scratch/crash-$t-" -print_final_stats=1 2>"$scratch/$t.log"; then
        echo "fuzz: $t FOUND A CRASH (log: $scratch/$t.log; input: $(ls -t "$scratch"/crash-"$t"-* 2>/dev/null | head -1))" >&2
        grep -m 20 -E "ERROR|SUMMARY|Fatal error|#[0-9]+ 0x" "$scratch/$t.log" >&2 || tail -30 "$scratch/$t.log" >&2
        failed+=("$t")
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$scratch/$t.log" | tr '\n' ' '; echo
    fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: crashes in: ${failed[*]}" >&2; exit 1; fi
echo "fuzz: ${#targets[@]} targets, ${secs} s each, no crash"
