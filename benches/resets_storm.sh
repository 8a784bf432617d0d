#!/usr/bin/env bash
# The plugin during a storm of resets: its CPU, what tcp_resets.sent_reasons
# counts against Tcp:OutRsts, the records lost, and its memory, traced and
# with --no-trace side by side. Needs root (unshare -n, perf_event_open),
# tracefs, cc and python3.
#
#   benches/resets_storm.sh [--quick] [--rate R] [--seconds S] [--raw-out FILE]
#
# In a private network namespace (loopback only; nothing on the host is
# touched) it starts the release binary twice at a 1 s interval, traced and
# with --no-trace, each with its stdout a pipe that is read and its stdin
# an idle pipe held open, as under netdata. After W samples idle (60;
# --quick 10) it reads their memory and the rings' mappings, then
# benches/peers/reset_storm.c makes R refused connections a second (10,000)
# for S seconds (20; --quick 10) to a closed port on 127.0.0.1-8: one reset
# sent and one received each. Read around the storm: /proc/PID/schedstat of
# both plugins at its start and end, against the wall clock; the samples
# just before it and 2 samples after it (Tcp:OutRsts of the namespace,
# every dimension of tcp_resets.sent_reasons, lost included); the memory
# again.
#
# Prints the raw numbers (key=value, storm.*; the format of
# benches/results.raw) to FILE with --raw-out (appended; benches/measure.sh
# does that), and the figures as benches/measure_report.py computes them.
# Nothing is computed here. The tracepoints see the whole host: resets
# elsewhere during the storm show in sent_reasons but not in this
# namespace's OutRsts, and the report shows the difference.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/target/release/tcp_resets
PY=/usr/bin/python3

QUICK=0 RATE=10000 SECONDS_=20 WARM=60 RAW_OUT=
ARGS=("$@")
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --rate) RATE=${2:?--rate needs a number}; shift ;;
        --seconds) SECONDS_=${2:?--seconds needs a number}; shift ;;
        --raw-out) RAW_OUT=${2:?--raw-out needs a file}; shift ;;
        -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "resets_storm: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then WARM=10; [ "$SECONDS_" != 20 ] || SECONDS_=10; fi
[[ $RATE =~ ^[1-9][0-9]{0,6}$ && $SECONDS_ =~ ^[1-9][0-9]{0,3}$ ]] ||
    { echo "resets_storm: --rate and --seconds take whole numbers from 1" >&2; exit 2; }
[[ -z $RAW_OUT || $RAW_OUT == /* ]] || RAW_OUT=$ROOT/$RAW_OUT

say() { printf 'resets_storm: %s\n' "$*" >&2; }

# Outside the namespace: check what is needed, then enter it.
if [ "${TCP_RESETS_STORM_NETNS:-}" != 1 ]; then
    why=
    if [ "$(id -u)" != 0 ]; then why="not root (unshare -n and perf_event_open need it)"
    elif ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then why="unshare or ip missing (util-linux, iproute2)"
    elif ! command -v cc >/dev/null; then why="no C compiler (cc)"
    elif [ ! -x "$PY" ]; then why="$PY missing"
    elif [ ! -d /sys/kernel/tracing/events/tcp ] && [ ! -d /sys/kernel/debug/tracing/events/tcp ]; then
        why="tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)"
    fi
    if [ -n "$why" ]; then
        say "not measured: $why"
        [ -z "$RAW_OUT" ] || printf 'storm.status=skipped\nstorm.error=%s\n' "$why" >>"$RAW_OUT"
        exit 0
    fi
    if [ ! -x "$BIN" ]; then timeout 1800 cargo build --release --quiet; fi
    exec unshare -n env TCP_RESETS_STORM_NETNS=1 "$0" "${ARGS[@]}"
fi

ip link set lo up
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
bench_scratch resets_storm
die() { say "$*"; exit 1; }

RAW=$TMP/storm.raw
printf 'format=tcp_resets-measure-raw 1\n' >"$RAW"
put() { printf '%s=%s\n' "$1" "$2" >>"$RAW"; }
# shellcheck source=benches/measure_extract.sh
. "$ROOT/benches/measure_extract.sh"

cc -O2 -o "$TMP/reset_storm" "$ROOT/benches/peers/reset_storm.c" || die "cc failed on benches/peers/reset_storm.c"

# The two plugins, as netdata runs them (bench_start).
declare -A PID=() TPID=()
for mode in traced notrace; do
    args=(1)
    [ "$mode" = traced ] || args+=(--no-trace)
    bench_start "$TMP/out.$mode" "$TMP/err.$mode" \
        timeout -k 5 $((WARM + SECONDS_ + 120)) "$BIN" "${args[@]}"
    TPID[$mode]=$STARTED
done
t=$((SECONDS + 10))
for mode in traced notrace; do
    # the plugin is the child of timeout
    PID[$mode]=$(child_pid "${TPID[$mode]}" $((t - SECONDS))) || die "the $mode plugin did not start"
done
samples() { plugin_samples "$TMP/out.$1"; }
# wait_samples MODE K: until the plugin has written K samples (bounded)
wait_samples() {
    local t=$((SECONDS + $2 + 30))
    while [ "$(samples "$1")" -lt "$2" ]; do
        [ "$SECONDS" -lt "$t" ] || die "the $1 plugin wrote no $2 samples in time: $(head -c 300 "$TMP/err.$1")"
        [ -d "/proc/${PID[$1]}" ] || die "the $1 plugin stopped: $(head -c 300 "$TMP/err.$1")"
        sleep 0.05
    done
}
ns() { schedstat_ns "/proc/${PID[$1]}/schedstat"; }
now_us() { echo "${EPOCHREALTIME/./}"; }
mem() {   # mem PREFIX MODE
    local p=${PID[$2]}
    put "$1.vmhwm_kib" "$(kib_field "/proc/$p/status" VmHWM)"
    put "$1.vmrss_kib" "$(kib_field "/proc/$p/status" VmRSS)"
    put "$1.pss_kib" "$(kib_field "/proc/$p/smaps_rollup" Pss)"
    put "$1.private_clean_kib" "$(kib_field "/proc/$p/smaps_rollup" Private_Clean)"
    put "$1.private_dirty_kib" "$(kib_field "/proc/$p/smaps_rollup" Private_Dirty)"
}

put storm.status ok
put storm.rate "$RATE"
put storm.seconds "$SECONDS_"
put storm.cpus "$(nproc)"
say "two plugins (traced, --no-trace) in a private network namespace; $WARM samples idle"
wait_samples traced 5
wait_samples notrace 5
declare -A I1=() I2=() IK1=() IK2=()
for mode in traced notrace; do IK1[$mode]=$(samples "$mode"); I1[$mode]=$(ns "$mode"); done
ti1=$(now_us)
grep -q '^CHART tcp_resets\.sent_reasons ' "$TMP/out.traced" ||
    die "the traced plugin defined no tcp_resets.sent_reasons: $(head -c 300 "$TMP/err.traced")"
wait_samples traced "$WARM"
wait_samples notrace "$WARM"
for mode in traced notrace; do IK2[$mode]=$(samples "$mode"); I2[$mode]=$(ns "$mode"); done
ti2=$(now_us)
put storm.idle.time_us "$ti1 $ti2"
for mode in traced notrace; do
    put "storm.idle.$mode.samples" "${IK1[$mode]} ${IK2[$mode]}"
    put "storm.idle.$mode.schedstat_ns" "${I1[$mode]} ${I2[$mode]}"
    mem "storm.idle.$mode" "$mode"
done
put storm.rings.size_kib "$(perf_maps_kib "/proc/${PID[traced]}/smaps" Size)"
put storm.rings.rss_kib "$(perf_maps_kib "/proc/${PID[traced]}/smaps" Rss)"

# The storm starts just after a sample, so that sample is the "before".
k=$(samples traced)
wait_samples traced $((k + 1))
kb=$(samples traced)
say "storm: $RATE refused connections a second for $SECONDS_ s"
declare -A S1=() S2=()
for mode in traced notrace; do S1[$mode]=$(ns "$mode"); done
t1=$(now_us)
timeout -k 5 $((SECONDS_ * 3 + 30)) "$TMP/reset_storm" "$RATE" "$SECONDS_" 9 8 >"$TMP/storm.out" &
gen=$!
PIDS+=("$gen")
wait "$gen" || die "reset_storm failed: $(cat "$TMP/storm.out")"
t2=$(now_us)
for mode in traced notrace; do S2[$mode]=$(ns "$mode"); done
k=$(samples traced)
wait_samples traced $((k + 2))
ka=$(samples traced)
put storm.time_us "$t1 $t2"
for mode in traced notrace; do put "storm.$mode.schedstat_ns" "${S1[$mode]} ${S2[$mode]}"; done
read -r -a words <"$TMP/storm.out"   # one line of key=value words
for w in "${words[@]}"; do put "storm.generator.${w%%=*}" "${w#*=}"; done
put storm.samples "$kb $ka"
put storm.before.resets "$(chart_values "$TMP/out.traced" tcp_resets.resets "$kb")"
put storm.after.resets "$(chart_values "$TMP/out.traced" tcp_resets.resets "$ka")"
put storm.before.sent_reasons "$(chart_values "$TMP/out.traced" tcp_resets.sent_reasons "$kb")"
put storm.after.sent_reasons "$(chart_values "$TMP/out.traced" tcp_resets.sent_reasons "$ka")"
for mode in traced notrace; do mem "storm.after.$mode" "$mode"; done
for mode in traced notrace; do
    [ ! -s "$TMP/err.$mode" ] || say "the $mode plugin wrote on stderr: $(head -c 300 "$TMP/err.$mode")"
done

if [ -n "$RAW_OUT" ]; then grep '^storm\.' "$RAW" >>"$RAW_OUT"; fi
"$PY" "$ROOT/benches/measure_report.py" "$RAW" --storm
