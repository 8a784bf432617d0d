# shellcheck shell=bash
# What the scripts under benches/ share (sourced): a scratch directory, the
# idle stdin pipe netdata gives a plugin, and the processes they start,
# stopped on every way out.

# bench_scratch NAME: TMP, a new directory /tmp/NAME.XXXXXX; file
# descriptor 9 open read-write on the pipe $TMP/stdin, which nobody writes
# to (under netdata a plugin's stdin is a pipe that stays open: the plugin
# watches it for function calls and QUIT; opened read-write, opening never
# blocks), for the runs' stdin until the script ends; PIDS, the processes
# to stop on exit; the traps that stop them.
bench_scratch() {
    TMP=$(mktemp -d "/tmp/$1.XXXXXX")
    mkfifo "$TMP/stdin"
    exec 9<>"$TMP/stdin"
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# bench_start OUT ERR COMMAND...: runs COMMAND as netdata runs a plugin:
# its stdin the idle pipe, its stdout a pipe that a cat of its own copies
# into the file OUT, its stderr the file ERR. STARTED is its pid; it and the
# cat are in PIDS.
bench_start() {
    local out=$1 err=$2
    shift 2
    mkfifo "$out.fifo"
    cat "$out.fifo" >"$out" &
    PIDS+=("$!")
    "$@" <"$TMP/stdin" >"$out.fifo" 2>"$err" &
    # shellcheck disable=SC2034 # read by the caller
    STARTED=$!
    PIDS+=("$!")
}

# child_pid PID SECONDS: the pid of PID's first child (the program that a
# `timeout` or `/usr/bin/time` started), waited for up to SECONDS; fails
# when none has come by then.
child_pid() {
    local end=$((SECONDS + $2)) c
    until c=$(pgrep -P "$1" | head -n 1) && [ -n "$c" ]; do
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
    echo "$c"
}

# plugin_samples FILE: how many samples the plugin's output FILE holds (its
# BEGIN lines of tcp_resets.resets; 0 while there is no file).
plugin_samples() { grep -c '^BEGIN tcp_resets\.resets' "$1" 2>/dev/null || true; }

# tree_kill PID: the process and its descendants, children first.
tree_kill() {
    local p=$1 c
    for c in $(pgrep -P "$p" 2>/dev/null || true); do tree_kill "$c"; done
    kill -TERM "$p" 2>/dev/null || true
}

# Stops and reaps every process in PIDS, removes TMP (kept with
# MEASURE_KEEP_LOGS=1), and exits with the script's status.
bench_cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do tree_kill "$p"; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [ "${MEASURE_KEEP_LOGS:-0}" = 1 ]; then
        echo "${0##*/}: logs kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
