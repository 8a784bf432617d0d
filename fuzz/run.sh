#!/usr/bin/env bash
# Runs each fuzz target for a bounded time (default 60 s; FUZZ_SECONDS to
# change) from the committed seeds, writing new inputs under target/ only.
# A crash fails the run; libFuzzer leaves the input under fuzz/artifacts/,
# to be turned into a regression test or seed.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
# Every [[bin]] of fuzz/Cargo.toml; each has its seeds under seeds/<target>.
targets=$(cargo +nightly fuzz list)
[[ -n $targets ]] || { echo "fuzz: cargo fuzz list names no target" >&2; exit 1; }
for t in $targets; do
    [[ -d seeds/$t ]] || { echo "fuzz: no seeds/$t for the target $t" >&2; exit 1; }
    work=../target/fuzz-corpus/$t
    log=../target/fuzz-$t.log
    mkdir -p "$work"
    echo "fuzz: $t for ${seconds}s"
    if ! cargo +nightly fuzz run "$t" "$work" "seeds/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        echo "fuzz: $t FAILED (see fuzz/artifacts/$t)" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
