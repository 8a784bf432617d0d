#!/usr/bin/env bash
# The CPU the reset tracepoints cost an idle plugin, with more runs and
# samples than benches/measure.sh gives them: RUNS plugins traced and RUNS
# with --no-trace side by side (default 8 each), /proc/PID/schedstat of
# each read after sample 10 and after sample 10 + SAMPLES (default 600, at
# a 1 s interval: about 10 minutes), stdout a pipe that is read, stdin an
# idle pipe held open, as in measure.sh. Needs root and tracefs for the
# traced runs to trace (it stops if they do not).
#
#   benches/trace_idle.sh [RUNS] [SAMPLES] [--raw-out FILE]
#
# Prints the raw numbers (cpu.ours.*, cpu.ours#2.*, ..., cpu.ours_notrace.*,
# the keys of benches/results.raw) and, computed by benches/measure_report.py's
# functions, each run's µs per sample, the means with their standard errors
# and the difference. --raw-out appends them to FILE with the prefix
# idle_ab. (benches/measure.sh --long-idle does that). Run it on a quiet
# machine: resets anywhere on the host are drained by the traced runs
# (their count is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/target/release/tcp_resets
RAW_OUT=
POS=()
while [ $# -gt 0 ]; do
    case $1 in
        --raw-out) RAW_OUT=${2:?--raw-out needs a file}; shift ;;
        *) POS+=("$1") ;;
    esac
    shift
done
RUNS=${POS[0]:-8}
SAMPLES=${POS[1]:-600}
# Two runs at least: a mean's standard error needs them.
[[ $RUNS =~ ^([2-9]|[1-9][0-9])$ && $SAMPLES =~ ^[1-9][0-9]{0,4}$ ]] ||
    { echo "trace_idle: RUNS 2..99 and SAMPLES 1..99999 expected" >&2; exit 2; }
K1=10 K2=$((10 + SAMPLES))
[ -x "$BIN" ] || timeout 1800 cargo build --release --quiet
# shellcheck source=benches/measure_extract.sh
. "$ROOT/benches/measure_extract.sh"

# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
bench_scratch trace_idle
die() { echo "trace_idle: $*" >&2; exit 1; }

declare -A PID=() NS1=() FINISHED=()
PROGS=()
for ((r = 1; r <= RUNS; r++)); do
    for prog in ours ours_notrace; do
        name=$prog
        [ "$r" = 1 ] || name="$prog#$r"
        PROGS+=("$name")
        args=(1)
        [ "$prog" = ours ] || args+=(--no-trace)
        bench_start "$TMP/out.$name" "$TMP/err.$name" "$BIN" "${args[@]}"
        PID[$name]=$STARTED
    done
done
echo "trace_idle: $RUNS runs traced and $RUNS with --no-trace; schedstat after samples $K1 and $K2" >&2
RAW=$TMP/raw
printf 'format=tcp_resets-measure-raw 1\n' >"$RAW"
deadline=$((SECONDS + K2 + 60))
left=${#PROGS[@]}
while [ "$left" -gt 0 ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "not $K2 samples by the deadline"
    sleep 0.1
    for name in "${PROGS[@]}"; do
        [ -z "${FINISHED[$name]:-}" ] || continue
        [ -d "/proc/${PID[$name]}" ] || die "$name stopped: $(head -c 300 "$TMP/err.$name")"
        k=$(plugin_samples "$TMP/out.$name")
        if [ -z "${NS1[$name]:-}" ] && [ "$k" -ge "$K1" ]; then
            NS1[$name]="$k $(schedstat_ns "/proc/${PID[$name]}/schedstat")"
        elif [ -n "${NS1[$name]:-}" ] && [ "$k" -ge "$K2" ]; then
            ns2=$(schedstat_ns "/proc/${PID[$name]}/schedstat")
            read -r k1 ns1 <<<"${NS1[$name]}"
            printf 'cpu.%s.samples=%s %s\ncpu.%s.schedstat_ns=%s %s\n' "$name" "$k1" "$k" "$name" "$ns1" "$ns2" >>"$RAW"
            if [[ $name == ours || $name == ours#* ]]; then
                grep -q '^CHART tcp_resets\.sent_reasons ' "$TMP/out.$name" ||
                    die "$name did not trace: $(head -c 300 "$TMP/err.$name")"
                printf 'cpu.%s.sent_reasons.first=%s\ncpu.%s.sent_reasons.last=%s\n' \
                    "$name" "$(chart_values "$TMP/out.$name" tcp_resets.sent_reasons "$k1")" \
                    "$name" "$(chart_values "$TMP/out.$name" tcp_resets.sent_reasons "$k")" >>"$RAW"
            fi
            kill -TERM "${PID[$name]}"
            FINISHED[$name]=1
            left=$((left - 1))
        fi
    done
done
cat "$RAW"
if [ -n "$RAW_OUT" ]; then
    {
        printf 'idle_ab.command=benches/trace_idle.sh %s %s\n' "$RUNS" "$SAMPLES"
        printf 'idle_ab.date=%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
        sed -n 's/^cpu\./idle_ab.cpu./p' "$RAW"
    } >>"$RAW_OUT"
fi
python3 - "$RAW" "$ROOT/benches" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import measure_report as mr
with open(sys.argv[1], encoding="utf-8") as fh:
    raw = mr.Raw(fh.read())
means = {}
for prog in ("ours", "ours_notrace"):
    runs = mr.cpu_runs(raw, prog)
    means[prog] = mr.mean_and_error(runs)
    print("%-12s µs per sample: %s; mean %s" % (
        prog, ", ".join("%.2f" % r for r in runs), mr.plus_minus(*means[prog], " µs")))
(a, ea), (b, eb) = means["ours"], means["ours_notrace"]
diff, err = a - b, (ea ** 2 + eb ** 2) ** 0.5
print("traced - --no-trace: %s%s" % (mr.plus_minus(diff, err, " µs"), mr.unresolved(diff, err, 2)))
seen = 0
for key in raw.values:
    if key.endswith(".sent_reasons.first"):
        prog = key[len("cpu."):-len(".sent_reasons.first")]
        d = mr.named_delta(raw.named(key), raw.named("cpu.%s.sent_reasons.last" % prog))
        seen = max(seen, mr.reasons_seen(d)[0])
print("resets drained by a traced run meanwhile (whole host): %d" % seen)
PY
