#!/usr/bin/env bash
# Measures the release binary as a whole process, traced (the reset
# tracepoints open, as it runs by default where it may) and with --no-trace,
# beside two reference peers (benches/peers/: the resets chart in bash,
# charts.d style, and in python), and writes benches/results.md (also
# printed on stdout).
#
#   benches/measure.sh [--quick] [--no-variants] [--no-criterion] [--no-storm]
#                      [--long-idle]
#
# This script only runs things and collects raw numbers, as key=value lines,
# into benches/results.raw; benches/measure_report.py (unit-tested by
# benches/test_measure_report.py) computes the per-sample figures, ratios
# and verdicts from them and writes benches/results.md. No arithmetic and no
# Markdown here. `python3 benches/measure_report.py benches/results.raw
# --readme-table` prints the README's ratio table from the same numbers.
#
# Programs: ours (the plugin as it starts by default: traced when it may,
# i.e. as root with tracefs), ours_notrace (`--no-trace`), the two peers.
# What is collected (every per-sample figure is later a difference between
# two points of the same kind of run, so start-up and exit costs cancel out):
#   - `strace -f -c` tables (calls per syscall) of runs of N1 and N2 samples;
#   - valgrind memcheck's "total heap usage" (allocations and bytes) and
#     callgrind's total Ir of runs of N1 and N2 samples, per process;
#   - /proc/PID/schedstat (ns on CPU, user + kernel) read after sample K1
#     and after sample K2 of one run per program whose stdout is a pipe, as
#     under netdata, beside two C floors (benches/peers/floor_sleeper.c);
#     ours and ours_notrace run R times each side by side (ours#2 ...), as
#     their difference is a few µs in a per-sample cost that varies by
#     several µs from run to run; the traced run's tcp_resets.sent_reasons
#     after K1 and K2 (the tracepoints see the whole host: resets elsewhere
#     during the idle run would be drained too, and the report says so);
#   - at the end of that run: VmHWM, VmRSS, /usr/bin/time -v's maximum RSS,
#     and PSS and private memory from /proc/PID/smaps_rollup;
#   - the stripped binary's size; criterion medians of benches/sample.rs;
#   - size, memory after 3 samples, syscalls and instructions of build
#     variants that differ only in how they are built (target, RUSTFLAGS,
#     opt-level: static glibc, musl, opt-level "s" and "z", non-PIE), from
#     a copy of the sources into target/measure-variants (src/ is never
#     touched or edited), each run with --no-trace (the peak-RSS target is
#     --no-trace's);
#   - last, alone (the tracepoints see every reset of the host, so nothing
#     else may run then): benches/resets_storm.sh, the plugin's CPU and
#     tcp_resets.sent_reasons during a storm of 10,000 refused connections a
#     second in a private network namespace, and memory idle and after it;
#   - with --long-idle, after that and alone too (about 11 minutes more):
#     benches/trace_idle.sh 8 600, 8 runs traced and 8 with --no-trace side
#     by side for 600 samples, as the short CPU runs cannot resolve a
#     difference of 2 µs on a machine like this one.
# A tool that is missing (and cannot be installed) leaves its figures out of
# the raw file; the report then says "not measured".
# Samples come at a real 1 s interval: libfaketime's speed-up (faketime -f
# '+0 x100', 0.9.10) speeds the clocks but passes ppoll's timeout through
# unscaled, so the plugin still sleeps in real time and reports intervals of
# ~50 fake seconds. The runs that only count things overlap each other and
# the variant builds; the timed runs (criterion, CPU) run alone.
# Full mode takes about 7 minutes, --quick about 3 (plus the first builds).
# MEASURE_KEEP_LOGS=1 keeps the tools' own logs (the directory is printed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)

QUICK=0 VARIANTS=1 CRITERION=1 STORM=1 LONG_IDLE=0
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        --no-variants) VARIANTS=0 ;;
        --no-criterion) CRITERION=0 ;;
        --no-storm) STORM=0 ;;
        --long-idle) LONG_IDLE=1 ;;
        -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "measure: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

if [ "$QUICK" = 1 ]; then
    S1=3 S2=13       # strace runs (samples)
    V1=2 V2=12       # valgrind runs of the plugin (N2-N1 a multiple of 10:
                     # the SYN-cookie setting is re-read every 10th sample)
    P1=2 P2=6        # valgrind runs of the peers
    C1=3 C2=23       # CPU run: schedstat read after these samples
    R1=2 R2=12       # variant runs
    REPLICAS=2       # CPU runs of ours and of ours_notrace
    CRIT_ARGS=(--warm-up-time 0.5 --measurement-time 2)
else
    S1=10 S2=70
    V1=5 V2=35
    P1=5 P2=25
    C1=10 C2=130
    R1=3 R2=13
    REPLICAS=4
    CRIT_ARGS=(--warm-up-time 1 --measurement-time 5)
fi
LIMIT=$((S2 + C2 + 300))   # no single run outlives this many seconds

say() { printf 'measure: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- tools
PY=/usr/bin/python3   # the python peer's interpreter and the report's
have() { case $1 in time) [ -x /usr/bin/time ] ;; python3) [ -x "$PY" ] ;; *) command -v "$1" >/dev/null ;; esac; }
pkg_of() { case $1 in cc) echo gcc ;; lscpu) echo util-linux ;; pgrep) echo procps ;; *) echo "$1" ;; esac; }
need=()
for t in strace valgrind time python3 lscpu pgrep cc; do have "$t" || need+=("$(pkg_of "$t")"); done
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        timeout 600 apt-get install -y -q "${need[@]}" >/dev/null ||
            { timeout 600 apt-get update -q >/dev/null &&
              timeout 600 apt-get install -y -q "${need[@]}" >/dev/null; } ||
            say "apt-get could not install all of ${need[*]}"
    else
        say "missing ${need[*]} (apt-get install ${need[*]}, or run this as root)"
    fi
fi
have python3 || die "$PY is missing: it runs the python peer and writes the report"
have pgrep || die "pgrep is missing (apt-get install procps)"
command -v cargo >/dev/null || die "cargo is missing: install Rust (https://rustup.rs)"
MISSING=()
for t in strace valgrind time cc; do have "$t" || MISSING+=("$t"); done
[ ${#MISSING[@]} = 0 ] || say "going on without ${MISSING[*]}: their figures will read \"not measured\""
use() { ! [[ " ${MISSING[*]} " == *" $1 "* ]]; }

# ------------------------------------------------- processes and cleanup
# Every run reads the idle stdin pipe on descriptor 9, as under netdata.
# shellcheck source=benches/lib.sh
. "$ROOT/benches/lib.sh"
bench_scratch measure
declare -A PID=()

forget() {   # drops a pid that has been waited for
    local p=$1 i
    for i in "${!PIDS[@]}"; do [ "${PIDS[$i]}" = "$p" ] && unset 'PIDS[i]'; done
    return 0
}
# Runs a command in the background (so that a signal to this script is
# handled at once) and waits for it; its status is returned.
run() {
    local p rc=0
    "$@" &
    p=$!
    PIDS+=("$p")
    wait "$p" || rc=$?
    forget "$p"
    return "$rc"
}
# start TAG CMD...: in the background, bounded, stdin the idle pipe, output in
# $TMP/TAG.out and $TMP/TAG.err.
start() {
    local tag=$1
    shift
    timeout -k 5 "$LIMIT" "$@" <"$TMP/stdin" >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
    PID[$tag]=$!
    PIDS+=("$!")
}
# finish TAG...: waits for each; a failure stops the script with its stderr.
finish() {
    local tag rc
    for tag in "$@"; do
        rc=0
        wait "${PID[$tag]}" || rc=$?
        forget "${PID[$tag]}"
        if [ "$rc" != 0 ]; then
            say "$tag exited with status $rc; its stderr ends with:"
            tail -n 5 "$TMP/$tag.err" >&2
            exit 1
        fi
    done
}

# ------------------------------------------------------------ raw numbers
# put KEY VALUE...: one line of the raw file (format: measure_report.py).
RAW=$TMP/results.raw
put() {
    local key=$1 value
    shift
    value="$*"
    printf '%s=%s\n' "$key" "${value//$'\n'/ }" >>"$RAW"
}
put format "tcp_resets-measure-raw 1"

# The command lines of the programs; N=0 runs until stopped. PROG#K is the
# K-th run of PROG side by side with the others (the same command).
BIN=$ROOT/target/release/tcp_resets
PY_PEER=$ROOT/benches/peers/tcp_resets_peer.py
SH_PEER=$ROOT/benches/peers/tcp_resets_peer.sh
cmd() {   # cmd PROGRAM N -> array CMD
    local n=$2
    case ${1%%#*} in
        ours) CMD=("$BIN" 1); [ "$n" = 0 ] || CMD+=(--iterations "$n") ;;
        ours_notrace) CMD=("$BIN" 1 --no-trace); [ "$n" = 0 ] || CMD+=(--iterations "$n") ;;
        python) CMD=("$PY" "$PY_PEER" 1); [ "$n" = 0 ] || CMD+=("$n") ;;
        bash) CMD=(/bin/bash "$SH_PEER" 1); [ "$n" = 0 ] || CMD+=("$n") ;;
        variant:*) CMD=("$VBINS/${1#variant:}" 1 --no-trace); [ "$n" = 0 ] || CMD+=(--iterations "$n") ;;
        floor_wake) CMD=("$FLOOR" 0) ;;
        floor_read) CMD=("$FLOOR" 1) ;;
    esac
}
# Lines that end one sample of each program in its output.
sample_mark() { case ${1%%#*} in python | bash) echo '^END$' ;; *) echo '^BEGIN tcp_resets\.resets' ;; esac; }
count_samples() { grep -c -- "$(sample_mark "$2")" "$1" 2>/dev/null || true; }

# The extractors: tool output -> numbers as the tool wrote them.
# shellcheck source=benches/measure_extract.sh
. "$ROOT/benches/measure_extract.sh"
# put_mem PREFIX PID: the memory readouts of a live process
put_mem() {
    put "$1.vmhwm_kib" "$(kib_field "/proc/$2/status" VmHWM)"
    put "$1.vmrss_kib" "$(kib_field "/proc/$2/status" VmRSS)"
    put "$1.pss_kib" "$(kib_field "/proc/$2/smaps_rollup" Pss)"
    put "$1.private_clean_kib" "$(kib_field "/proc/$2/smaps_rollup" Private_Clean)"
    put "$1.private_dirty_kib" "$(kib_field "/proc/$2/smaps_rollup" Private_Dirty)"
}

# ---------------------------------------------------------------- machine
args=""
[ "$QUICK" = 0 ] || args+=" --quick"
[ "$VARIANTS" = 1 ] || args+=" --no-variants"
[ "$CRITERION" = 1 ] || args+=" --no-criterion"
[ "$STORM" = 1 ] || args+=" --no-storm"
[ "$LONG_IDLE" = 0 ] || args+=" --long-idle"
put run.command "benches/measure.sh$args"
put run.quick "$QUICK"
put run.date "$(date -u '+%Y-%m-%d %H:%M UTC')"
put run.missing_tools "${MISSING[*]}"
put machine.cpu_model "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
put machine.cpus "$(nproc)"
put machine.kernel "$(uname -r)"
put tool.rustc "$(rustc --version 2>/dev/null || echo "rustc ?")"
put tool.python "$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
put tool.bash "${BASH_VERSION%%(*}"
put run.uid "$(id -u)"

# ------------------------------------------------------------------ build
say "cargo build --release"
run timeout 1800 cargo build --release --quiet || die "cargo build --release failed"
[ -x "$BIN" ] || die "no $BIN after the build"
put size.ours.bytes "$(stat -c %s "$BIN")"
sync "$BIN" 2>/dev/null || sync   # fresh pages of a just-linked file count as dirty in smaps

# -------------------------------------------------------------- criterion
CRIT_IDS=(floor_pread sample_whole parse_ours_snmp parse_procfs_snmp parse_ours_snmp_and_netstat)
# run only where the plugin may trace (root, tracefs); absent, not measured
CRIT_OPTIONAL=(sample_whole_traced)
if [ "$CRITERION" = 1 ]; then
    say "cargo bench --bench sample -- ${CRIT_ARGS[*]} (alone on the machine)"
    put criterion.args "${CRIT_ARGS[*]}"
    stamp=$TMP/bench.stamp
    touch "$stamp"
    crit_error=
    if run timeout 1800 cargo bench --quiet --bench sample -- "${CRIT_ARGS[@]}" >"$TMP/bench.out" 2>"$TMP/bench.err"; then
        CRIT_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/criterion
        medians=()
        for id in "${CRIT_IDS[@]}"; do
            f=$CRIT_DIR/$id/new/estimates.json
            if [ ! "$f" -nt "$stamp" ]; then
                crit_error="it wrote no target/criterion/$id/new/estimates.json (benchmark renamed?)"
                break
            fi
            medians+=("$id" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$f")")
        done
        for id in "${CRIT_OPTIONAL[@]}"; do
            f=$CRIT_DIR/$id/new/estimates.json
            if [ "$f" -nt "$stamp" ]; then
                medians+=("$id" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$f")")
            else
                say "criterion: no $id ($(grep -m 1 'not run' "$TMP/bench.err" || echo 'not written'))"
            fi
        done
    else
        crit_error=$(grep -m 1 -E '^error' "$TMP/bench.err" || tail -n 1 "$TMP/bench.err")
    fi
    if [ -n "$crit_error" ]; then
        say "cargo bench --bench sample: $crit_error; going on without criterion figures"
        put criterion.status failed
        put criterion.error "$crit_error"
    else
        put criterion.status ok
        set -- "${medians[@]}"
        while [ $# -gt 0 ]; do put "criterion.median_ns.$1" "$2"; shift 2; done
    fi
else
    put criterion.status skipped
fi

# ------------------------------- phase A: counting runs (may overlap builds)
PROGS=(ours ours_notrace python bash)
# count_runs PROG N1 N2 TOOL...: starts the runs of PROG under each tool
count_runs() {
    local prog=$1 n1=$2 n2=$3 tool n mc=()
    shift 3
    [[ $prog == ours* || $prog == variant:* ]] || mc=(--undef-value-errors=no)
    for tool in "$@"; do
        for n in "$n1" "$n2"; do
            cmd "$prog" "$n"
            case $tool in
                strace) start "strace.$prog.$n" strace -f -c -o "$TMP/strace.$prog.$n.txt" -- "${CMD[@]}" ;;
                callgrind) start "callgrind.$prog.$n" valgrind --tool=callgrind \
                    --callgrind-out-file="$TMP/cg.$prog.$n.%p.out" --log-file="$TMP/callgrind.$prog.$n.log" -- "${CMD[@]}" ;;
                memcheck) start "memcheck.$prog.$n" valgrind --tool=memcheck "${mc[@]}" \
                    --log-file="$TMP/memcheck.$prog.$n.log" -- "${CMD[@]}" ;;
            esac
        done
    done
}
# collect_runs PROG N1 N2 TOOL...: waits for them and puts their numbers
collect_runs() {
    local prog=$1 n1=$2 n2=$3 tool n
    shift 3
    for tool in "$@"; do
        for n in "$n1" "$n2"; do finish "$tool.$prog.$n"; done
        put "$tool.$prog.samples" "$n1 $n2"
        for n in "$n1" "$n2"; do
            case $tool in
                strace) put "strace.$prog.$n" "$(strace_calls "$TMP/strace.$prog.$n.txt")" ;;
                callgrind) put "callgrind.$prog.$n.ir" "$(cg_ir "$TMP/callgrind.$prog.$n.log")" ;;
                memcheck)
                    put "memcheck.$prog.$n.allocs" "$(mc_field "$TMP/memcheck.$prog.$n.log" allocs)"
                    put "memcheck.$prog.$n.bytes" "$(mc_field "$TMP/memcheck.$prog.$n.log" bytes)"
                    put "memcheck.$prog.$n.errors" "$(mc_field "$TMP/memcheck.$prog.$n.log" errors)"
                    ;;
            esac
        done
    done
}
TOOLS=()
use strace && TOOLS+=(strace)
use valgrind && TOOLS+=(callgrind memcheck)
VTOOLS=()
use strace && VTOOLS+=(strace)
use valgrind && VTOOLS+=(callgrind)
counting=()
use strace && counting+=("strace ${S1}/${S2} samples")
use valgrind && counting+=("valgrind ${V1}/${V2} (plugin) and ${P1}/${P2} (peers)")
joined=none
[ ${#counting[@]} = 0 ] || joined=$(printf '%s, ' "${counting[@]}")
say "counting runs: ${joined%, }, 1 s interval"
# strace runs N1/N2 = S1/S2; valgrind V1/V2 (plugin), P1/P2 (peers)
runs_of() { case $1/$2 in */strace) echo "$S1 $S2" ;; ours/* | ours_notrace/*) echo "$V1 $V2" ;; *) echo "$P1 $P2" ;; esac; }
for prog in "${PROGS[@]}"; do
    for tool in "${TOOLS[@]}"; do
        # shellcheck disable=SC2046
        count_runs "$prog" $(runs_of "$prog" "$tool") "$tool"
    done
done

# ---------------------------------------------- variants (while phase A runs)
# Each variant differs from the release build only in how it is built
# (target, RUSTFLAGS, opt-level), never in its sources.
VROOT=${CARGO_TARGET_DIR:-$ROOT/target}/measure-variants
VBINS=$VROOT/bins
VARIANT_NAMES=()
if [ "$VARIANTS" = 1 ]; then
    put variants.status ok
    mkdir -p "$VBINS"
    copy=$TMP/src-copy
    mkdir -p "$copy"
    # A snapshot, so that edits in the tree during the run do not leak in.
    cp -r Cargo.toml Cargo.lock src benches "$copy/"
    [ -d tests ] && cp -r tests "$copy/"
    musl=x86_64-unknown-linux-musl gnu=x86_64-unknown-linux-gnu
    if ! rustup target list --installed 2>/dev/null | grep -qx "$musl"; then
        if command -v rustup >/dev/null; then
            say "rustup target add $musl"
            run timeout 600 rustup target add "$musl" >/dev/null 2>&1 || say "could not add $musl; its variants are skipped"
        fi
    fi
    have_musl=0
    rustup target list --installed 2>/dev/null | grep -qx "$musl" && have_musl=1
    tried=()
    # variant NAME TARGET "RUSTFLAGS" OPT-LEVEL
    variant() {
        local name=$1 target=$2 flags=$3 opt=$4
        tried+=("$name")
        put "variant.$name.target" "$target"
        put "variant.$name.rustflags" "$flags"
        put "variant.$name.opt_level" "$opt"
        if [ "$target" = "$musl" ] && [ "$have_musl" = 0 ]; then
            put "variant.$name.build" no-target
            return 0
        fi
        say "variant $name: building"
        local envs=(-C "$copy" RUSTFLAGS="$flags" CARGO_TARGET_DIR="$VROOT/$name")
        [ "$opt" = 3 ] || envs+=(CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt")
        if ! run env "${envs[@]}" timeout 900 cargo build --release --quiet --bin tcp_resets \
            --target "$target" >"$TMP/variant.$name.build" 2>&1; then
            say "variant $name: build failed; skipped"
            put "variant.$name.build" failed
            return 0
        fi
        cp "$VROOT/$name/$target/release/tcp_resets" "$VBINS/$name"
        put "variant.$name.build" ok
        put "variant.$name.bytes" "$(stat -c %s "$VBINS/$name")"
        VARIANT_NAMES+=("$name")
    }
    variant gnu-static $gnu "-C target-feature=+crt-static" 3
    variant gnu-opt-s $gnu "" s
    variant gnu-opt-z $gnu "" z
    # not position-independent: no relative relocations to apply at start
    variant gnu-nopie $gnu "-C relocation-model=static" 3
    variant musl $musl "" 3
    variant musl-opt-s $musl "" s
    put variants "${tried[*]}"
    sync
    for name in "${VARIANT_NAMES[@]}"; do
        for tool in "${VTOOLS[@]}"; do count_runs "variant:$name" "$R1" "$R2" "$tool"; done
    done
else
    put variants.status skipped
fi

say "waiting for the counting runs (about $((S2 + 5)) s from their start)"
for prog in "${PROGS[@]}"; do
    for tool in "${TOOLS[@]}"; do
        # shellcheck disable=SC2046
        collect_runs "$prog" $(runs_of "$prog" "$tool") "$tool"
    done
done
for name in "${VARIANT_NAMES[@]}"; do
    for tool in "${VTOOLS[@]}"; do collect_runs "variant:$name" "$R1" "$R2" "$tool"; done
done

# --------------------------------------------- phase B: CPU and memory, alone
# The CPU floor: a C sleeper that only wakes and writes a line, and one that
# also preads the two files (benches/peers/floor_sleeper.c), if cc exists.
FLOOR=$TMP/floor_sleeper
CPU_PROGS=()
for ((r = 1; r <= REPLICAS; r++)); do
    if [ "$r" = 1 ]; then CPU_PROGS+=(ours ours_notrace); else CPU_PROGS+=("ours#$r" "ours_notrace#$r"); fi
done
CPU_PROGS+=(python bash)
if use cc && cc -O2 -o "$FLOOR" "$ROOT/benches/peers/floor_sleeper.c" 2>"$TMP/floor.err"; then
    CPU_PROGS+=(floor_wake floor_read)
else
    say "no C compiler (cc) or it failed: the CPU floor is not measured"
fi

# rss_probe NAME BIN [ARG]: memory after 3 samples.
rss_probe() {
    local name=$1 bin=$2 p t
    shift 2
    "$bin" 1 "$@" <"$TMP/stdin" >"$TMP/probe.$name.out" 2>/dev/null &
    p=$!
    PIDS+=("$p")
    t=$((SECONDS + 15))
    while [ "$(count_samples "$TMP/probe.$name.out" ours)" -lt 3 ]; do
        [ "$SECONDS" -lt "$t" ] || die "variant $name: no 3 samples in 15 s"
        sleep 0.1
    done
    put_mem "probe.$name" "$p"
    put "probe.$name.rss_by_kind" "$(rss_by_kind "/proc/$p/smaps" "$(readlink "/proc/$p/exe")")"
    kill -TERM "$p"
    wait "$p" || true
    forget "$p"
}

say "CPU runs (${CPU_PROGS[*]}): schedstat after sample $C1 and $C2 of each program, stdout a pipe, 1 s interval (about $((C2 + 3)) s)"
declare -A TPID=() PPID_=() K1=() K2=() NS1=()
for prog in "${CPU_PROGS[@]}"; do
    cmd "$prog" 0
    if use time; then
        bench_start "$TMP/cpu.$prog.out" "$TMP/cpu.$prog.err" /usr/bin/time -v -o "$TMP/time.$prog" "${CMD[@]}"
    else
        bench_start "$TMP/cpu.$prog.out" "$TMP/cpu.$prog.err" "${CMD[@]}"
    fi
    TPID[$prog]=$STARTED
done
put run.load_cpu "$(cut -d ' ' -f 1-3 /proc/loadavg)"
t=$((SECONDS + 15))
for prog in "${CPU_PROGS[@]}"; do
    if ! use time; then PPID_[$prog]=${TPID[$prog]}; continue; fi
    PPID_[$prog]=$(child_pid "${TPID[$prog]}" $((t - SECONDS))) || die "$prog did not start under /usr/bin/time"
done
deadline=$((SECONDS + C2 + 60))
left=${#CPU_PROGS[@]}
while [ "$left" -gt 0 ]; do
    [ "$SECONDS" -lt "$deadline" ] || die "CPU runs: not $C2 samples by the deadline"
    sleep 0.1
    for prog in "${CPU_PROGS[@]}"; do
        [ -z "${K2[$prog]:-}" ] || continue
        p=${PPID_[$prog]}
        k=$(count_samples "$TMP/cpu.$prog.out" "$prog")
        [ -d "/proc/$p" ] || die "$prog stopped early: $(tail -n 3 "$TMP/cpu.$prog.err")"
        if [ -z "${K1[$prog]:-}" ] && [ "$k" -ge "$C1" ]; then
            NS1[$prog]=$(schedstat_ns "/proc/$p/schedstat")
            K1[$prog]=$k
        elif [ -n "${K1[$prog]:-}" ] && [ "$k" -ge "$C2" ]; then
            put "cpu.$prog.schedstat_ns" "${NS1[$prog]} $(schedstat_ns "/proc/$p/schedstat")"
            K2[$prog]=$k
            put "cpu.$prog.samples" "${K1[$prog]} $k"
            [[ $prog == *#* ]] || put_mem "mem.$prog" "$p"
            kill -TERM "$p"
            wait "${TPID[$prog]}" || true
            forget "${TPID[$prog]}"
            if use time && [[ $prog != *#* ]]; then
                put "mem.$prog.time_maxrss_kib" "$(time_maxrss_kib "$TMP/time.$prog")"
            fi
            if [ "$prog" = ours ] && grep -q '^CHART tcp_resets\.sent_reasons ' "$TMP/cpu.ours.out"; then
                put cpu.ours.sent_reasons.first "$(chart_values "$TMP/cpu.ours.out" tcp_resets.sent_reasons "${K1[$prog]}")"
                put cpu.ours.sent_reasons.last "$(chart_values "$TMP/cpu.ours.out" tcp_resets.sent_reasons "$k")"
            fi
            left=$((left - 1))
        fi
    done
done
for prog in "${CPU_PROGS[@]}"; do
    [[ $prog == ours* ]] || continue
    [ ! -s "$TMP/cpu.$prog.err" ] || die "the plugin ($prog) wrote on stderr: $(head -n 3 "$TMP/cpu.$prog.err")"
done
# traced or not, as the CPU run found it
if grep -q '^CHART tcp_resets\.sent_reasons ' "$TMP/cpu.ours.out"; then put cpu.ours.traced 1; else put cpu.ours.traced 0; fi

for name in "${VARIANT_NAMES[@]}"; do rss_probe "$name" "$VBINS/$name" --no-trace; done
rss_probe base "$BIN"
rss_probe base_notrace "$BIN" --no-trace

# --------------------------------------------- phase C: the storm, alone
if [ "$STORM" = 1 ]; then
    say "benches/resets_storm.sh (alone on the machine)"
    sargs=(--raw-out "$RAW")
    [ "$QUICK" = 0 ] || sargs+=(--quick)
    if ! run timeout 900 "$ROOT/benches/resets_storm.sh" "${sargs[@]}" >"$TMP/storm.out" 2>"$TMP/storm.err"; then
        say "benches/resets_storm.sh failed: $(tail -n 2 "$TMP/storm.err")"
        grep -q '^storm\.status=' "$RAW" || put storm.status failed
        put storm.error "$(tail -n 1 "$TMP/storm.err")"
    fi
else
    put storm.status skipped
fi
if [ "$LONG_IDLE" = 1 ]; then
    say "benches/trace_idle.sh 8 600 (alone on the machine, about 11 minutes)"
    run timeout 1500 "$ROOT/benches/trace_idle.sh" 8 600 --raw-out "$RAW" >"$TMP/trace_idle.out" 2>&1 ||
        say "benches/trace_idle.sh failed: $(tail -n 2 "$TMP/trace_idle.out"); going on without its figures"
fi

# ------------------------------------------------------------------ report
put run.wall_seconds "$(( $(date +%s) - T0 ))"
"$PY" "$ROOT/benches/measure_report.py" "$RAW" --results "$TMP/results.md" ||
    die "benches/measure_report.py failed on the raw numbers (kept with MEASURE_KEEP_LOGS=1)"
cp "$RAW" "$ROOT/benches/results.raw"
cp "$TMP/results.md" "$ROOT/benches/results.md"
cat "$TMP/results.md"
say "wrote benches/results.md and benches/results.raw in $(( $(date +%s) - T0 )) s"
