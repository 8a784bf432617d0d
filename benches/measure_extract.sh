# shellcheck shell=bash
# The extractors of benches/measure.sh (sourced by it; tested by
# benches/test_measure_report.py on real tool output in benches/fixtures/logs):
# each reads one tool's output and prints the numbers in it as the tool
# wrote them (thousands separators removed), in the form of the raw file's
# values. No arithmetic: that is benches/measure_report.py's.

# strace -f -c summary table -> "syscall:calls ..." (the errors column may
# be empty, so calls is the 4th field and the name the last)
strace_calls() { awk '/^-/ { d++; next } d == 1 && NF >= 5 { printf "%s%s:%s", sep, $NF, $4; sep = " " }' "$1"; }

# valgrind logs hold one summary per process (a fork of the bash peer logs
# its own), printed here in the order of the log, space-separated.
# callgrind log -> total Ir of each process
cg_ir() { awk '/Collected :/ { v = $NF; gsub(",", "", v); printf "%s%s", sep, v; sep = " " }' "$1"; }
# memcheck log -> allocs | bytes | errors of each process
mc_field() {
    awk -v f="$2" '
        function out(v) { gsub(",", "", v); printf "%s%s", sep, v; sep = " " }
        /total heap usage:/ {
            for (i = 1; i <= NF; i++) {
                if (f == "allocs" && $i == "allocs,") out($(i - 1))
                if (f == "bytes" && $i == "bytes" && $(i + 1) == "allocated") out($(i - 1))
            }
        }
        /ERROR SUMMARY:/ && f == "errors" { out($4) }' "$1"
}
# /proc/PID/status or /proc/PID/smaps_rollup, KEY -> its figure in KiB
kib_field() { awk -v k="$2:" '$1 == k { print $2 }' "$1"; }
# /proc/PID/schedstat -> ns on CPU (user + kernel)
schedstat_ns() { awk '{ print $1 }' "$1"; }
# /usr/bin/time -v output -> maximum resident set size in KiB
time_maxrss_kib() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
