#!/usr/bin/env bash
# Runs the release binary on live /proc at a 1 s interval for N seconds
# (default 60) under /usr/bin/time -v, stops it with SIGTERM, and prints its
# peak RSS and CPU time. Fails if it did not exit 0, printed anything on
# stderr, or its peak RSS exceeds 4 MiB (a leak guard; the measured figure
# is about 1.9 MiB, mostly libc pages shared with every process).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bin=target/release/tcp_resets
out=$(mktemp) err=$(mktemp) stats=$(mktemp)
timer="" plugin=""
# Whatever happens (a failed check, an interrupt), nothing started here
# outlives the script.
cleanup() {
    for p in $plugin $timer; do
        kill -KILL "$p" 2>/dev/null || true
    done
    rm -f "$out" "$err" "$stats"
}
trap cleanup EXIT
/usr/bin/time -v -o "$stats" "$bin" 1 >"$out" 2>"$err" &
timer=$!
sleep "$seconds"
plugin=$(pgrep -P "$timer" -x tcp_resets || true)
[ -n "$plugin" ] || { echo "time-run: the plugin is not running" >&2; exit 1; }
kill -TERM "$plugin"
# Bounded: the plugin ends within 100 ms of SIGTERM.
for _ in $(seq 50); do kill -0 "$timer" 2>/dev/null || break; sleep 0.1; done
kill -0 "$timer" 2>/dev/null && { echo "time-run: the plugin did not stop within 5 s of SIGTERM" >&2; exit 1; }
wait "$timer"
plugin="" timer=""
samples=$(grep -c '^BEGIN tcp_resets.resets' "$out")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$stats")
user=$(awk -F': ' '/User time/ {print $2}' "$stats")
sys=$(awk -F': ' '/System time/ {print $2}' "$stats")
status=$(awk -F': ' '/Exit status/ {print $2}' "$stats")
echo "time-run: ${seconds}s at 1 s: $samples samples, exit $status, peak RSS ${rss} KiB, CPU user ${user}s + system ${sys}s"
[ "$status" = 0 ] || { echo "time-run: exit status $status" >&2; exit 1; }
[ ! -s "$err" ] || { echo "time-run: stderr:"; cat "$err"; exit 1; } >&2
[ "$rss" -le 4096 ] || { echo "time-run: peak RSS ${rss} KiB above 4 MiB" >&2; exit 1; }
