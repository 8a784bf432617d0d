#!/usr/bin/env bash
# Measures the release binary as a whole process, beside two reference peers
# (benches/peers/: the resets chart in bash, charts.d style, and in python),
# and writes benches/results.md (also printed on stdout).
#
#   benches/measure.sh [--quick] [--no-variants] [--no-criterion]
#
# What, and how (every per-sample figure is a difference between two points
# of the same kind of run, so start-up and exit costs cancel out):
#   - syscalls per sample: `strace -f -c` of runs of N1 and N2 samples;
#   - heap allocations per sample: valgrind memcheck's "total heap usage";
#   - user-space instructions per sample: valgrind callgrind's total Ir;
#   - CPU per sample: /proc/PID/schedstat (ns on CPU, user + kernel) read
#     after sample N1 and after sample N2 of one run whose stdout is a pipe,
#     as under netdata;
#   - peak RSS: VmHWM and /usr/bin/time -v at the end of that run, with
#     PSS and private memory from /proc/PID/smaps_rollup;
#   - stripped binary size; criterion medians of benches/sample.rs;
#   - peak RSS, size, syscalls and instructions of build variants (static
#     glibc, musl, opt-level "s") that differ only in how they are built,
#     from a copy of the sources into target/measure-variants (src/ is never
#     touched, and no copy of it is edited).
# Samples come at a real 1 s interval: libfaketime's speed-up (faketime -f
# '+0 x100', 0.9.10) speeds the clocks but passes ppoll's timeout through
# unscaled, so the plugin still sleeps in real time and reports intervals of
# ~50 fake seconds. The runs that only count things overlap each other and
# the variant builds; the timed runs (criterion, CPU) run alone.
# Full mode takes about 5 minutes, --quick about 2.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)

QUICK=0 VARIANTS=1 CRITERION=1
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        --no-variants) VARIANTS=0 ;;
        --no-criterion) CRITERION=0 ;;
        -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
    CRIT_ARGS=(--warm-up-time 0.5 --measurement-time 2)
else
    S1=10 S2=70
    V1=5 V2=35
    P1=5 P2=25
    C1=10 C2=130
    R1=3 R2=13
    CRIT_ARGS=(--warm-up-time 1 --measurement-time 5)
fi
LIMIT=$((S2 + C2 + 300))   # no single run outlives this many seconds

say() { printf 'measure: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# ---------------------------------------------------------------- tools
need=()
command -v strace >/dev/null || need+=(strace)
command -v valgrind >/dev/null || need+=(valgrind)
[ -x /usr/bin/time ] || need+=(time)
[ -x /usr/bin/python3 ] || need+=(python3)
command -v lscpu >/dev/null || need+=(util-linux)
command -v pgrep >/dev/null || need+=(procps)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing ${need[*]}"
        export DEBIAN_FRONTEND=noninteractive
        timeout 600 apt-get install -y -q "${need[@]}" >/dev/null ||
            { timeout 600 apt-get update -q >/dev/null &&
              timeout 600 apt-get install -y -q "${need[@]}" >/dev/null; } ||
            die "apt-get could not install ${need[*]}"
    else
        die "missing ${need[*]}: install them (apt-get install ${need[*]}) or run this as root"
    fi
fi
command -v cargo >/dev/null || die "cargo is missing: install Rust (https://rustup.rs)"

# ------------------------------------------------- processes and cleanup
TMP=$(mktemp -d /tmp/measure.XXXXXX)
PIDS=()
declare -A PID=()

tree_kill() {   # kills a process and its descendants, children first
    local p=$1 c
    for c in $(pgrep -P "$p" 2>/dev/null || true); do tree_kill "$c"; done
    kill -TERM "$p" 2>/dev/null || true
}
cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do tree_kill "$p"; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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
# start TAG CMD...: in the background, bounded, stdin /dev/null, output in
# $TMP/TAG.out and $TMP/TAG.err.
start() {
    local tag=$1
    shift
    timeout -k 5 "$LIMIT" "$@" </dev/null >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
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

# The command lines of the three programs; N=0 runs until stopped.
BIN=$ROOT/target/release/tcp_resets
PY=/usr/bin/python3
PY_PEER=$ROOT/benches/peers/tcp_resets_peer.py
SH_PEER=$ROOT/benches/peers/tcp_resets_peer.sh
cmd() {   # cmd PROGRAM N -> array CMD
    local n=$2
    case $1 in
        ours) CMD=("$BIN" 1); [ "$n" = 0 ] || CMD+=(--iterations "$n") ;;
        python) CMD=("$PY" "$PY_PEER" 1); [ "$n" = 0 ] || CMD+=("$n") ;;
        bash) CMD=(/bin/bash "$SH_PEER" 1); [ "$n" = 0 ] || CMD+=("$n") ;;
        variant:*) CMD=("$VBINS/${1#variant:}" 1); [ "$n" = 0 ] || CMD+=(--iterations "$n") ;;
        floor_wake) CMD=("$FLOOR" 0) ;;
        floor_read) CMD=("$FLOOR" 1) ;;
    esac
}
# Lines that end one sample of each program in its output.
sample_mark() { case $1 in python | bash) echo '^END$' ;; *) echo '^BEGIN tcp_resets\.resets' ;; esac; }
count_samples() { grep -c -- "$(sample_mark "$2")" "$1" 2>/dev/null || true; }

calc() { awk "BEGIN { printf \"$1\", $2 }"; }
kib() { calc '%.0f' "$1 / 1024"; }

# ---------------------------------------------------------------- machine
CPU_MODEL=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
NPROC=$(nproc)
KERNEL=$(uname -r)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
RUSTC=$(rustc --version 2>/dev/null || echo "rustc ?")
MACHINE="$CPU_MODEL, $NPROC CPUs, Linux $KERNEL"

# ------------------------------------------------------------------ build
say "cargo build --release"
run timeout 1800 cargo build --release --quiet || die "cargo build --release failed"
[ -x "$BIN" ] || die "no $BIN after the build"
SIZE=$(stat -c %s "$BIN")
sync "$BIN" 2>/dev/null || sync   # fresh pages of a just-linked file count as dirty in smaps

# -------------------------------------------------------------- criterion
declare -A CRIT=()
CRIT_FAIL=
CRIT_IDS=(floor_pread sample_whole parse_ours_snmp parse_procfs_snmp parse_ours_snmp_and_netstat)
if [ "$CRITERION" = 1 ]; then
    say "cargo bench --bench sample -- ${CRIT_ARGS[*]} (alone on the machine)"
    stamp=$TMP/bench.stamp
    touch "$stamp"
    if run timeout 1800 cargo bench --quiet --bench sample -- "${CRIT_ARGS[@]}" >"$TMP/bench.out" 2>"$TMP/bench.err"; then
        CRIT_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/criterion
        for id in "${CRIT_IDS[@]}"; do
            f=$CRIT_DIR/$id/new/estimates.json
            if [ ! "$f" -nt "$stamp" ]; then
                CRIT_FAIL="criterion wrote no $f in this run (benchmark renamed?)"
                break
            fi
            CRIT[$id]=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "$f")
        done
    else
        CRIT_FAIL="\`cargo bench --bench sample\` failed: $(grep -m 1 -E '^error' "$TMP/bench.err" || tail -n 1 "$TMP/bench.err")"
    fi
    if [ -n "$CRIT_FAIL" ]; then say "$CRIT_FAIL; going on without criterion figures"; CRITERION=0; fi
fi

# ------------------------------- phase A: counting runs (may overlap builds)
say "counting runs: strace ${S1}/${S2} samples, valgrind ${V1}/${V2} (plugin) and ${P1}/${P2} (peers), 1 s interval"
PROGS=(ours python bash)
for prog in "${PROGS[@]}"; do
    for n in "$S1" "$S2"; do
        cmd "$prog" "$n"
        start "strace.$prog.$n" strace -f -c -o "$TMP/strace.$prog.$n.txt" -- "${CMD[@]}"
    done
    if [ "$prog" = ours ]; then ns=("$V1" "$V2"); mc=(); else ns=("$P1" "$P2"); mc=(--undef-value-errors=no); fi
    for n in "${ns[@]}"; do
        cmd "$prog" "$n"
        start "cg.$prog.$n" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$prog.$n.%p.out" \
            --log-file="$TMP/cg.$prog.$n.log" -- "${CMD[@]}"
        start "mc.$prog.$n" valgrind --tool=memcheck "${mc[@]}" --log-file="$TMP/mc.$prog.$n.log" -- "${CMD[@]}"
    done
done

# ---------------------------------------------- variants (while phase A runs)
VROOT=${CARGO_TARGET_DIR:-$ROOT/target}/measure-variants
VBINS=$VROOT/bins
VARIANT_NAMES=()
declare -A VDESC=()
if [ "$VARIANTS" = 1 ]; then
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
    # variant NAME TARGET "RUSTFLAGS" "OPT-LEVEL" "DESCRIPTION"
    variant() {
        local name=$1 target=$2 flags=$3 opt=$4 desc=$5 dir=$copy
        say "variant $name: building"
        local envs=(-C "$dir" RUSTFLAGS="$flags" CARGO_TARGET_DIR="$VROOT/$name")
        [ "$opt" = 3 ] || envs+=(CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt")
        if ! run env "${envs[@]}" timeout 900 cargo build --release --quiet --bin tcp_resets \
            --target "$target" >"$TMP/variant.$name.build" 2>&1; then
            say "variant $name: build failed; skipped"
            return 0
        fi
        cp "$VROOT/$name/$target/release/tcp_resets" "$VBINS/$name"
        VARIANT_NAMES+=("$name")
        VDESC[$name]=$desc
    }
    variant gnu-static $gnu "-C target-feature=+crt-static" 3 "glibc, static (\`-C target-feature=+crt-static\`)"
    variant gnu-opt-s $gnu "" s "glibc, dynamic, opt-level \"s\""
    if [ "$have_musl" = 1 ]; then
        variant musl $musl "" 3 "musl, static (\`--target $musl\`)"
        variant musl-opt-s $musl "" s "musl, static, opt-level \"s\""
    fi
    sync
    for name in "${VARIANT_NAMES[@]}"; do
        for n in "$R1" "$R2"; do
            cmd "variant:$name" "$n"
            start "strace.v-$name.$n" strace -f -c -o "$TMP/strace.v-$name.$n.txt" -- "${CMD[@]}"
            start "cg.v-$name.$n" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.v-$name.$n.%p.out" \
                --log-file="$TMP/cg.v-$name.$n.log" -- "${CMD[@]}"
        done
    done
fi

say "waiting for the counting runs (about $((S2 + 5)) s from their start)"
for prog in "${PROGS[@]}"; do
    finish "strace.$prog.$S1" "strace.$prog.$S2"
    if [ "$prog" = ours ]; then ns=("$V1" "$V2"); else ns=("$P1" "$P2"); fi
    for n in "${ns[@]}"; do finish "cg.$prog.$n" "mc.$prog.$n"; done
done
for name in "${VARIANT_NAMES[@]}"; do
    for n in "$R1" "$R2"; do finish "strace.v-$name.$n" "cg.v-$name.$n"; done
done

# strace -c table -> "syscall calls" lines (the errors column may be empty)
strace_table() { awk '/^-/ { d++; next } d == 1 && NF >= 5 { print $NF, $4 }' "$1"; }
# per-sample difference of two strace tables: "syscall per-sample" lines
strace_diff() {
    awk -v n="$(($4 - $3))" '
        FNR == NR { a[$1] = $2; next }
        { b[$1] = $2 }
        END {
            for (k in b) { d = (b[k] - a[k]) / n; if (d != 0) printf "%s %.3f\n", k, d }
            for (k in a) if (!(k in b)) printf "%s %.3f\n", k, -a[k] / n
        }' <(strace_table "$1") <(strace_table "$2") | sort -k2,2gr -k1,1
}
sum2() { awk '{ s += $2 } END { printf "%.3f", s }'; }
# the largest figure over the processes of a valgrind log (a fork of the
# bash peer logs its own, smaller, totals)
cg_ir() { awk '/Collected :/ { v = $NF; gsub(",", "", v); if (v + 0 > m) m = v + 0 } END { printf "%d", m }' "$1"; }
mc_allocs() {
    awk '/total heap usage:/ { for (i = 1; i <= NF; i++) if ($i == "allocs,") { v = $(i - 1); gsub(",", "", v); if (v + 0 > m) m = v + 0 } }
         END { printf "%d", m }' "$1"
}
mc_bytes() {
    awk '/total heap usage:/ { v = $(NF - 2); gsub(",", "", v); if (v + 0 > m) m = v + 0 } END { printf "%d", m }' "$1"
}

declare -A SYS=() SYSB=() IR=() ALLOC=() ABYTES=()
for prog in "${PROGS[@]}"; do
    d=$(strace_diff "$TMP/strace.$prog.$S1.txt" "$TMP/strace.$prog.$S2.txt" "$S1" "$S2")
    SYS[$prog]=$(printf '%s\n' "$d" | sum2)
    SYSB[$prog]=$(printf '%s\n' "$d" | awk 'NF == 2 { printf "%s%s ×%s", sep, $1, $2; sep = ", " }')
    if [ "$prog" = ours ]; then a=$V1 b=$V2; else a=$P1 b=$P2; fi
    IR[$prog]=$(calc '%.0f' "($(cg_ir "$TMP/cg.$prog.$b.log") - $(cg_ir "$TMP/cg.$prog.$a.log")) / ($b - $a)")
    ALLOC[$prog]=$(calc '%.2f' "($(mc_allocs "$TMP/mc.$prog.$b.log") - $(mc_allocs "$TMP/mc.$prog.$a.log")) / ($b - $a)")
    ABYTES[$prog]=$(calc '%.0f' "($(mc_bytes "$TMP/mc.$prog.$b.log") - $(mc_bytes "$TMP/mc.$prog.$a.log")) / ($b - $a)")
done
MC_ERRORS=$(awk '/ERROR SUMMARY:/ { print $4; exit }' "$TMP/mc.ours.$V2.log")
MC_STARTUP_ALLOCS=$(mc_allocs "$TMP/mc.ours.$V1.log")
declare -A VSYS=() VSYSB=() VIR=() VSIZE=() VHWM=() VPSS=() VPRIV=()
for name in "${VARIANT_NAMES[@]}"; do
    d=$(strace_diff "$TMP/strace.v-$name.$R1.txt" "$TMP/strace.v-$name.$R2.txt" "$R1" "$R2")
    VSYS[$name]=$(printf '%s\n' "$d" | sum2)
    VSYSB[$name]=$(printf '%s\n' "$d" | awk 'NF == 2 { printf "%s%s ×%s", sep, $1, $2; sep = ", " }')
    VIR[$name]=$(calc '%.0f' "($(cg_ir "$TMP/cg.v-$name.$R2.log") - $(cg_ir "$TMP/cg.v-$name.$R1.log")) / ($R2 - $R1)")
    VSIZE[$name]=$(stat -c %s "$VBINS/$name")
done

# --------------------------------------------- phase B: CPU and memory, alone
# The CPU floor: a C sleeper that only wakes and writes a line, and one that
# also preads the two files (benches/peers/floor_sleeper.c), if cc exists.
FLOOR=$TMP/floor_sleeper
CPU_PROGS=("${PROGS[@]}")
if command -v cc >/dev/null && cc -O2 -o "$FLOOR" "$ROOT/benches/peers/floor_sleeper.c" 2>"$TMP/floor.err"; then
    CPU_PROGS+=(floor_wake floor_read)
else
    say "no C compiler (cc): the CPU floor is not measured"
fi
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
rollup_kib() { awk -v k="$2" '{ sub(":", "", $1) } $1 == k { s += $2 } END { print s + 0 }' "/proc/$1/smaps_rollup"; }
schedstat_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
private_kib() { echo $(( $(rollup_kib "$1" Private_Clean) + $(rollup_kib "$1" Private_Dirty) )); }

# rss_probe NAME BIN: peak RSS, PSS and private memory after 3 samples.
rss_probe() {
    local name=$1 bin=$2 p t
    "$bin" 1 </dev/null >"$TMP/probe.$name.out" 2>/dev/null &
    p=$!
    PIDS+=("$p")
    t=$((SECONDS + 15))
    while [ "$(count_samples "$TMP/probe.$name.out" ours)" -lt 3 ]; do
        [ "$SECONDS" -lt "$t" ] || die "variant $name: no 3 samples in 15 s"
        sleep 0.1
    done
    VHWM[$name]=$(status_kib "$p" VmHWM)
    VPSS[$name]=$(rollup_kib "$p" Pss)
    VPRIV[$name]=$(private_kib "$p")
    kill -TERM "$p"
    wait "$p" || true
    forget "$p"
}

say "CPU runs (${CPU_PROGS[*]}): schedstat after sample $C1 and $C2 of each program, stdout a pipe, 1 s interval (about $((C2 + 3)) s)"
declare -A TPID=() PPID_=() K1=() K2=() NS1=() NS2=() HWM=() TIME_RSS=() PSS=() PRIV=() RSS=()
for prog in "${CPU_PROGS[@]}"; do
    mkfifo "$TMP/fifo.$prog"
    cat "$TMP/fifo.$prog" >"$TMP/cpu.$prog.out" &
    PIDS+=("$!")
    cmd "$prog" 0
    /usr/bin/time -v -o "$TMP/time.$prog" "${CMD[@]}" <"/dev/null" >"$TMP/fifo.$prog" 2>"$TMP/cpu.$prog.err" &
    TPID[$prog]=$!
    PIDS+=("$!")
done
LOAD_CPU=$(cut -d ' ' -f 1-3 /proc/loadavg)
t=$((SECONDS + 15))
for prog in "${CPU_PROGS[@]}"; do
    until PPID_[$prog]=$(pgrep -P "${TPID[$prog]}" | head -n 1) && [ -n "${PPID_[$prog]}" ]; do
        [ "$SECONDS" -lt "$t" ] || die "$prog did not start under /usr/bin/time"
        sleep 0.05
    done
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
            NS1[$prog]=$(schedstat_ns "$p")
            K1[$prog]=$k
        elif [ -n "${K1[$prog]:-}" ] && [ "$k" -ge "$C2" ]; then
            NS2[$prog]=$(schedstat_ns "$p")
            K2[$prog]=$k
            HWM[$prog]=$(status_kib "$p" VmHWM)
            RSS[$prog]=$(status_kib "$p" VmRSS)
            PSS[$prog]=$(rollup_kib "$p" Pss)
            PRIV[$prog]=$(private_kib "$p")
            kill -TERM "$p"
            wait "${TPID[$prog]}" || true
            forget "${TPID[$prog]}"
            TIME_RSS[$prog]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/time.$prog")
            left=$((left - 1))
        fi
    done
done
[ ! -s "$TMP/cpu.ours.err" ] || die "the plugin wrote on stderr: $(head -n 3 "$TMP/cpu.ours.err")"

declare -A CPU_US=()
for prog in "${CPU_PROGS[@]}"; do
    CPU_US[$prog]=$(calc '%.2f' "(${NS2[$prog]} - ${NS1[$prog]}) / (${K2[$prog]} - ${K1[$prog]}) / 1000")
done
for name in "${VARIANT_NAMES[@]}"; do rss_probe "$name" "$VBINS/$name"; done
rss_probe base "$BIN"

# ------------------------------------------------------------------ report
verdict() {   # verdict VALUE OP TARGET -> met / missed
    if awk "BEGIN { exit !($1 $2 $3) }"; then echo "met"; else echo "**missed**"; fi
}
ratio() { calc '%.1f' "$1 / $2"; }
R_CPU_SH=$(ratio "${CPU_US[bash]}" "${CPU_US[ours]}")
R_CPU_PY=$(ratio "${CPU_US[python]}" "${CPU_US[ours]}")
R_IR_SH=$(ratio "${IR[bash]}" "${IR[ours]}")
R_IR_PY=$(ratio "${IR[python]}" "${IR[ours]}")
SIZE_KIB=$(calc '%.1f' "$SIZE / 1024")
OUT=$TMP/results.md
{
    echo "# tcp_resets: whole-process measurements"
    echo
    echo "Generated by \`benches/measure.sh$([ "$QUICK" = 1 ] && echo ' --quick')\` on $DATE."
    echo "Machine: **$MACHINE**; $RUSTC. Ratios first; absolute figures hold for this machine only."
    echo
    echo "## Ratios and targets"
    echo
    echo "| measure | value | target | verdict |"
    echo "|---|---:|---:|---|"
    echo "| CPU per sample, bash peer / ours | ${R_CPU_SH}× | ≥ 100× | $(verdict "$R_CPU_SH" '>=' 100) |"
    echo "| CPU per sample, python peer / ours | ${R_CPU_PY}× | ≥ 20× | $(verdict "$R_CPU_PY" '>=' 20) |"
    if [ "$CRITERION" = 1 ]; then
        RW=$(calc '%.3f' "${CRIT[sample_whole]} / ${CRIT[floor_pread]}")
        RP=$(calc '%.1f' "${CRIT[parse_procfs_snmp]} / ${CRIT[parse_ours_snmp]}")
        echo "| criterion: whole sample / bare-pread floor | ${RW} | ≤ 1.10 | $(verdict "$RW" '<=' 1.10) |"
        echo "| criterion: parse /proc/net/snmp, procfs / ours | ${RP}× | ≥ 5× | $(verdict "$RP" '>=' 5) |"
    fi
    echo "| instructions per sample, bash peer / ours | ${R_IR_SH}× | – | – |"
    echo "| instructions per sample, python peer / ours | ${R_IR_PY}× | – | – |"
    echo "| syscalls per sample (ours) | ${SYS[ours]} | ≤ 4 | $(verdict "${SYS[ours]}" '<=' 4) |"
    echo "| heap allocations per sample (ours) | ${ALLOC[ours]} | 0 | $(verdict "${ALLOC[ours]}" '==' 0) |"
    echo "| peak RSS, VmHWM (ours) | ${HWM[ours]} KiB | ≤ 2048 KiB | $(verdict "${HWM[ours]}" '<=' 2048) |"
    echo "| stripped binary size | ${SIZE_KIB} KiB | ≤ 600 KiB | $(verdict "$SIZE_KIB" '<=' 600) |"
    echo
    echo "The peers send only the resets chart (3 dimensions); ours sends all four"
    echo "charts (12 dimensions and the SYN-cookie variable) in every sample."
    echo
    echo "## Absolute figures ($MACHINE)"
    echo
    echo "| per program | ours | python peer | bash peer |"
    echo "|---|---:|---:|---:|"
    echo "| CPU per sample (schedstat, user + kernel) | ${CPU_US[ours]} µs | ${CPU_US[python]} µs | ${CPU_US[bash]} µs |"
    echo "| CPU per hour at a 1 s interval | $(calc '%.3f' "${CPU_US[ours]} * 3600 / 1000") ms | $(calc '%.3f' "${CPU_US[python]} * 3600 / 1000") ms | $(calc '%.3f' "${CPU_US[bash]} * 3600 / 1000") ms |"
    echo "| user-space instructions per sample (callgrind Ir) | ${IR[ours]} | ${IR[python]} | ${IR[bash]} |"
    echo "| syscalls per sample (strace) | ${SYS[ours]} | ${SYS[python]} | ${SYS[bash]} |"
    echo "| libc heap allocations per sample (memcheck) | ${ALLOC[ours]} | ${ALLOC[python]} | ${ALLOC[bash]} |"
    echo "| heap bytes allocated per sample (memcheck) | ${ABYTES[ours]} | ${ABYTES[python]} | ${ABYTES[bash]} |"
    echo "| peak RSS, VmHWM at the end | ${HWM[ours]} KiB | ${HWM[python]} KiB | ${HWM[bash]} KiB |"
    echo "| peak RSS, \`/usr/bin/time -v\` | ${TIME_RSS[ours]} KiB | ${TIME_RSS[python]} KiB | ${TIME_RSS[bash]} KiB |"
    echo "| PSS / private (smaps_rollup) at the end | ${PSS[ours]} / ${PRIV[ours]} KiB | ${PSS[python]} / ${PRIV[python]} KiB | ${PSS[bash]} / ${PRIV[bash]} KiB |"
    echo "| executable | ${SIZE} bytes (${SIZE_KIB} KiB), stripped | python $("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])') | bash ${BASH_VERSION%%(*} |"
    if [ -n "${CPU_US[floor_read]:-}" ]; then
        echo
        echo "CPU floor on this machine, measured the same way in the same run"
        echo "(\`benches/peers/floor_sleeper.c\`): a process that only wakes on the next second"
        echo "with one \`ppoll\` and writes one line costs **${CPU_US[floor_wake]} µs** per sample; adding"
        echo "one \`pread\` of /proc/net/snmp and one of /proc/net/netstat makes it"
        echo "**${CPU_US[floor_read]} µs**. Above that floor: ours $(calc '%.2f' "${CPU_US[ours]} - ${CPU_US[floor_read]}") µs,"
        echo "python $(calc '%.2f' "${CPU_US[python]} - ${CPU_US[floor_read]}") µs, bash $(calc '%.2f' "${CPU_US[bash]} - ${CPU_US[floor_read]}") µs"
        echo "(the peers read only /proc/net/snmp, so their floor is lower still)."
        echo "Above the wake-only floor: bash / ours = $(calc '%.1f' "(${CPU_US[bash]} - ${CPU_US[floor_wake]}) / (${CPU_US[ours]} - ${CPU_US[floor_wake]})")×,"
        echo "python / ours = $(calc '%.1f' "(${CPU_US[python]} - ${CPU_US[floor_wake]}) / (${CPU_US[ours]} - ${CPU_US[floor_wake]})")×."
    fi
    echo
    echo "Syscalls per sample, by name (strace -f -c, runs of $S1 and $S2 samples differenced):"
    echo
    echo "| program | syscalls per sample |"
    echo "|---|---|"
    for prog in "${PROGS[@]}"; do echo "| $prog | ${SYSB[$prog]:-none} |"; done
    echo
    echo "\`clock_gettime\` goes through the vDSO and is no syscall. The plugin re-reads"
    echo "\`/proc/sys/net/ipv4/tcp_syncookies\` every 10th sample (README: every 10 s), which is"
    echo "the 0.1 \`pread64\` above 2 per sample. Memcheck on the plugin: ${MC_ERRORS:-?} errors;"
    echo "${MC_STARTUP_ALLOCS} allocations in a whole run of $V1 samples, all at start-up. The python"
    echo "peer's count is of libc \`malloc\` only (pymalloc serves small objects itself)."
    if [ "$CRITERION" = 1 ]; then
        echo
        echo "## Criterion medians (\`cargo bench --bench sample -- ${CRIT_ARGS[*]}\`, $MACHINE)"
        echo
        echo "| benchmark | median |"
        echo "|---|---:|"
        for id in "${CRIT_IDS[@]}"; do echo "| ${id/_//} | $(calc '%.1f' "${CRIT[$id]}") ns |"; done
        echo
        echo "The floor is the bare \`pread\` of /proc/net/snmp and /proc/net/netstat; the whole"
        echo "sample adds parsing, formatting and the \`write\` (to /dev/null)."
    fi
    if [ -n "$CRIT_FAIL" ]; then
        echo
        echo "## Criterion"
        echo
        echo "Not measured in this run: $CRIT_FAIL."
    fi
    if [ "$VARIANTS" = 1 ]; then
        echo
        echo "## Peak RSS by build variant ($MACHINE)"
        echo
        echo "Built from a snapshot of the sources into \`target/measure-variants/\`; each run on"
        echo "live /proc at 1 s, figures after 3 samples; syscalls and instructions from runs of"
        echo "$R1 and $R2 samples differenced. Nothing in Cargo.toml or src/ changes."
        echo
        echo "| variant | size | VmHWM | PSS | private | syscalls/sample | instructions/sample |"
        echo "|---|---:|---:|---:|---:|---:|---:|"
        echo "| current release (glibc, dynamic) | $(kib "$SIZE") KiB | ${VHWM[base]} KiB | ${VPSS[base]} KiB | ${VPRIV[base]} KiB | ${SYS[ours]} | ${IR[ours]} |"
        for name in "${VARIANT_NAMES[@]}"; do
            echo "| ${VDESC[$name]} | $(kib "${VSIZE[$name]}") KiB | ${VHWM[$name]} KiB | ${VPSS[$name]} KiB | ${VPRIV[$name]} KiB | ${VSYS[$name]} | ${VIR[$name]} |"
        done
        echo
        echo "Syscalls per sample by variant: $(for name in "${VARIANT_NAMES[@]}"; do printf '%s: %s; ' "$name" "${VSYSB[$name]}"; done | sed 's/; $/./')"
    fi
    echo
    echo "## Method"
    echo
    echo "- Every per-sample figure is (total after N2 samples − total after N1) / (N2 − N1), so"
    echo "  start-up and exit cancel out: strace N1=$S1, N2=$S2; valgrind N1=$V1, N2=$V2 (plugin),"
    echo "  $P1, $P2 (peers); CPU from one run per program, /proc/PID/schedstat read after"
    echo "  samples ${K1[ours]}/${K2[ours]} (ours), ${K1[python]}/${K2[python]} (python), ${K1[bash]}/${K2[bash]} (bash),"
    echo "  all programs side by side (${CPU_PROGS[*]}), stdout a pipe, stdin /dev/null."
    echo "- Load average when the CPU runs started: $LOAD_CPU (other work on the machine adds noise)."
    echo "- Samples come at a real 1 s interval: libfaketime's speed-up does not scale the"
    echo "  plugin's \`ppoll\` timeout (0.9.10), so it would not shorten the runs."
    echo "- Script wall time: $(( $(date +%s) - T0 )) s."
} >"$OUT"
cp "$OUT" "$ROOT/benches/results.md"
cat "$OUT"
say "wrote benches/results.md in $(( $(date +%s) - T0 )) s"
