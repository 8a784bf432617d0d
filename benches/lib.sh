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
