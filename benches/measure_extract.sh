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
# the plugin's output, CHART, K -> "dimension:value ..." of the K-th sample
# of CHART (its K-th BEGIN block), in the order written; a SET without a
# value (no value this time) is left out
chart_values() {
    awk -v c="$2" -v k="$3" '
        $1 == "BEGIN" && $2 == c { n++; inside = (n == k); next }
        inside && $1 == "SET" && $3 == "=" && NF >= 4 { printf "%s%s:%s", sep, $2, $4; sep = " " }
        inside && $1 == "END" { exit }' "$1"
}
# /proc/PID/smaps, FIELD -> that field (Size, Rss) in KiB of every mapping
# of a perf event's ring (anon_inode:[perf_event]), space-separated
perf_maps_kib() {
    awk -v f="$2:" '
        /^[0-9a-f]+-[0-9a-f]+ / { ring = ($6 == "anon_inode:[perf_event]") }
        ring && $1 == f { printf "%s%s", sep, $2; sep = " " }' "$1"
}
# /proc/PID/smaps, the executable's path -> "kind:kib ..." of every mapping's
# Rss, in order, kind one of exe, libc (libc.so.*), ld.so (ld-linux*),
# libgcc_s, other-lib (another file), anon (no file, [heap], [stack]),
# kernel ([vdso], [vvar], anon_inode:..., other bracketed names)
rss_by_kind() {
    awk -v exe="$2" '
        /^[0-9a-f]+-[0-9a-f]+ / {
            name = $6
            if (name == "" || name == "[heap]" || name == "[stack]") kind = "anon"
            else if (name == exe) kind = "exe"
            else if (name ~ /\/libc\.so/) kind = "libc"
            else if (name ~ /\/ld-linux/) kind = "ld.so"
            else if (name ~ /\/libgcc_s/) kind = "libgcc_s"
            else if (name ~ /^\//) kind = "other-lib"
            else kind = "kernel"
        }
        $1 == "Rss:" { printf "%s%s:%s", sep, kind, $2; sep = " " }' "$1"
}
