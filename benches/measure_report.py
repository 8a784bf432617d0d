#!/usr/bin/env python3
"""Computes the figures of benches/results.md from the raw numbers that
benches/measure.sh collects, and renders the report: results.md, and the
short ratio table of the README's "Performance" section.

    measure_report.py RAW [--results FILE] [--readme-table] [--storm]

RAW is the key=value file measure.sh writes (benches/results.raw, format
below). --results writes the full report to FILE; --readme-table prints
the README's ratio table; --storm prints the section of the reset storm
alone (what benches/resets_storm.sh shows); with none, the full report goes
to stdout. Python 3 standard library only; tests:
benches/test_measure_report.py.

What is measured (by measure.sh) and computed (here):

- every per-sample figure is a difference between two runs (or two
  readings of one run) of the same kind over the difference of their
  sample counts, (total after N2 samples - total after N1) / (N2 - N1), so
  start-up and exit cancel out;
- syscalls per sample: `strace -f -c` tables of runs of N1 and N2 samples,
  differenced per syscall (a syscall absent from one table counts 0 there);
- user-space instructions per sample: valgrind callgrind's "Collected" Ir;
  heap allocations and bytes per sample: valgrind memcheck's "total heap
  usage", of runs of N1 and N2 samples. A log holds one summary per process
  (the bash peer forks once); the process with the largest figure is the
  program itself;
- CPU per sample: /proc/PID/schedstat (ns on CPU, user + kernel) read after
  sample K1 and after sample K2 of one run per program, stdout a pipe; the
  same for two C floors (benches/peers/floor_sleeper.c): one that only
  wakes and writes a line, one that also preads the two /proc files. The
  "above the floor" figures subtract a floor's CPU from each program's.
  Where a program ran more than once side by side (PROG, PROG#2, ...), its
  figure is the mean of the runs, with the standard error of that mean
  (sample standard deviation / sqrt(runs));
- the cost of tracing: ours (traced: the reset tracepoints open) minus
  ours_notrace (--no-trace), figure by figure; criterion's
  sample/whole_traced minus sample/whole;
- the reset storm (benches/resets_storm.sh): each plugin's CPU as a share
  of one core, on-CPU ns over wall-clock ns between the storm's start and
  end; sent_reasons and OutRsts differenced between the sample before the
  storm and one 2 samples after it;
- memory at the end of that run (VmHWM, /usr/bin/time -v's maximum RSS,
  PSS, private = Private_Clean + Private_Dirty), the stripped binary's size,
  criterion medians of benches/sample.rs;
- build variants: size, memory after 3 samples, syscalls and instructions.

Ratios are peer / ours (information only: the kernel's floor, the same
for every program, is most of each one's cost). Verdicts (met / missed) compare the exact figure,
not the rounded one shown, with the target. A figure whose raw numbers are
absent (a tool missing, a step skipped or failed) is shown as "not
measured", a division by zero as "undefined (÷ 0)": no value is made up.

RAW format: one `key=value` a line (the value runs to the end of the line;
`#` comments and blank lines are ignored; a key may appear once). N is a
run's sample count; lists are space-separated. PROG is ours (the plugin as it
starts by default, traced where it may), ours_notrace (--no-trace),
python, bash, floor_wake, floor_read or variant:NAME; a second run side by
side of the same program is PROG#2, and so on.

    format=tcp_resets-measure-raw 1
    run.command, run.quick (0/1), run.date, run.wall_seconds, run.load_cpu,
        run.missing_tools (list), run.uid, machine.cpu_model, machine.cpus,
        machine.kernel, tool.rustc, tool.python, tool.bash
    size.ours.bytes                       the stripped release binary
    criterion.status (ok | failed | skipped), criterion.error,
        criterion.args, criterion.median_ns.ID
    strace.PROG.samples=N1 N2             strace.PROG.N=syscall:calls ...
    callgrind.PROG.samples=N1 N2          callgrind.PROG.N.ir=IR ...
    memcheck.PROG.samples=N1 N2           memcheck.PROG.N.allocs, .bytes,
                                          .errors: per process, same order
    cpu.PROG.samples=K1 K2                cpu.PROG.schedstat_ns=NS1 NS2
    cpu.ours.traced (0/1)                 whether the run opened the rings
    cpu.ours.sent_reasons.first, .last    tcp_resets.sent_reasons after K1
                                          and K2, `dimension:value ...`
    mem.PROG.vmhwm_kib, .vmrss_kib, .pss_kib, .private_clean_kib,
        .private_dirty_kib, .time_maxrss_kib      at the end of the CPU run
    variants.status (ok | skipped), variants=NAME ... (in the order tried)
    variant.NAME.target, .rustflags, .opt_level, .build (ok | failed |
        no-target), .bytes
    probe.NAME.vmhwm_kib, .pss_kib, .private_clean_kib, .private_dirty_kib
        after 3 samples of a variant (--no-trace); NAME base: the release
        build as it starts, base_notrace: with --no-trace
    probe.NAME.rss_by_kind=KIND:KIB ...   Rss of each mapping then, KIND exe,
        libc, ld.so, libgcc_s, other-lib, anon or kernel (summed by kind)
    storm.status (ok | skipped | failed), storm.error, storm.rate,
        storm.seconds, storm.cpus
    storm.generator.attempted, .refused, .other_errors, .wall_ns, .cpu_ns
    storm.time_us=T1 T2                   wall clock at the storm's start, end
    storm.MODE.schedstat_ns=NS1 NS2       MODE traced or notrace, same times
    storm.idle.time_us, storm.idle.MODE.samples, .schedstat_ns   idle before
    storm.samples=KB KA                   the samples compared
    storm.before.resets, storm.after.resets,
        storm.before.sent_reasons, storm.after.sent_reasons
                                          `dimension:value ...` of samples KB, KA
    storm.idle.MODE.*_kib, storm.after.MODE.*_kib     memory (as mem.PROG)
    storm.rings.size_kib, storm.rings.rss_kib   each perf ring mapping's
                                          Size and Rss (smaps), traced plugin
    idle_ab.command, idle_ab.date, idle_ab.cpu.PROG.samples, .schedstat_ns,
        idle_ab.cpu.PROG.sent_reasons.first, .last     benches/trace_idle.sh's
                                          longer runs of ours and ours_notrace
"""

import math

import argparse
import sys

FORMAT = "tcp_resets-measure-raw 1"
PROGS = ("ours", "ours_notrace", "python", "bash")
OURS = ("ours", "ours_notrace")
PEERS = ("python", "bash")
FLOORS = ("floor_wake", "floor_read")
CRITERION_IDS = (
    "floor_pread",
    "sample_whole",
    "parse_ours_snmp",
    "parse_procfs_snmp",
    "parse_ours_snmp_and_netstat",
    "sample_whole_traced",
)


# ------------------------------------------------------------------ values


class Gap:
    """A figure without a value, shown as the reason why."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "Gap(%r)" % self.text


NOT_MEASURED = Gap("not measured")
ZERO_DENOMINATOR = Gap("undefined (÷ 0)")


def gap_of(*values):
    """The first Gap among the values, None when all are numbers."""
    return next((v for v in values if isinstance(v, Gap)), None)


def divide(a, b):
    return gap_of(a, b) or (ZERO_DENOMINATOR if b == 0 else a / b)


def subtract(a, b):
    return gap_of(a, b) or a - b


def add(a, b):
    return gap_of(a, b) or a + b


def times(a, k):
    return gap_of(a) or a * k


def per_sample(total1, total2, n1, n2):
    """(total after n2 samples - total after n1) / (n2 - n1)."""
    return divide(subtract(total2, total1), subtract(n2, n1))


def unresolved(value, error, target):
    """' (not resolved: ...)' when the target lies within 2 standard errors
    of the value, so that the verdict could be noise; '' otherwise."""
    if gap_of(value, error) or abs(value - target) >= 2 * error:
        return ""
    return " (not resolved: the target is within 2 standard errors)"


def fmt(value, spec, unit=""):
    """value in spec ("%.2f") and unit; a Gap as its text."""
    return value.text if isinstance(value, Gap) else (spec % value) + unit


def verdict(value, op, target, missed="**missed**"):
    """met / missed for `value op target`; a Gap as its text."""
    if isinstance(value, Gap):
        return value.text
    ok = {"<=": value <= target, ">=": value >= target, "==": value == target}[op]
    return "met" if ok else missed


# ------------------------------------------------------------ the raw file


class Raw:
    """The key=value file; look-ups of absent keys give NOT_MEASURED."""

    def __init__(self, text):
        self.values = {}
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep or not key:
                raise ValueError("raw line %d is no key=value: %r" % (lineno, line))
            if key in self.values:
                raise ValueError("raw line %d: key %s given twice" % (lineno, key))
            self.values[key] = value
        if self.values.get("format") != FORMAT:
            raise ValueError("raw file: format %r, expected %r" % (self.values.get("format"), FORMAT))

    def text(self, key, default=None):
        """The value as written; default when absent or empty."""
        return self.values.get(key) or default

    def numbers(self, key):
        """The space-separated numbers of a key; NOT_MEASURED when absent or empty."""
        v = self.values.get(key, "").split()
        return [_number(x, key) for x in v] if v else NOT_MEASURED

    def number(self, key):
        v = self.numbers(key)
        if isinstance(v, Gap) or len(v) == 1:
            return v if isinstance(v, Gap) else v[0]
        raise ValueError("raw key %s: one number expected, got %r" % (key, v))

    def pair(self, key):
        v = self.numbers(key)
        if isinstance(v, Gap):
            return v, v
        if len(v) != 2:
            raise ValueError("raw key %s: two numbers expected, got %r" % (key, v))
        return v[0], v[1]

    def syscalls(self, key):
        """`name:calls ...` -> {name: calls}; NOT_MEASURED when absent."""
        return self.named(key)

    def kind_sums(self, key):
        """`kind:number ...`, kinds repeated -> {kind: sum}; NOT_MEASURED when absent."""
        if key not in self.values:
            return NOT_MEASURED
        sums = {}
        for kind, n in self._pairs(key, "kind"):
            sums[kind] = sums.get(kind, 0) + n
        return sums

    def named(self, key):
        """`name:number ...` -> {name: number}; NOT_MEASURED when absent."""
        if key not in self.values:
            return NOT_MEASURED
        return dict(self._pairs(key, "name"))

    def _pairs(self, key, what):
        """The (word, number) pairs of a present `word:number ...` value."""
        for item in self.values[key].split():
            word, sep, n = item.rpartition(":")
            if not sep or not word:
                raise ValueError("raw key %s: %s:number expected, got %r" % (key, what, item))
            yield word, _number(n, key)


def _number(text, key):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    raise ValueError("raw key %s: not a number: %r" % (key, text))


# ---------------------------------------------------------- the computation


def strace_per_sample(raw, prog):
    """({syscall: calls per sample} of the non-zero ones, their sum)."""
    n1, n2 = raw.pair("strace.%s.samples" % prog)
    if gap_of(n1):
        return n1, n1
    a = raw.syscalls("strace.%s.%d" % (prog, n1))
    b = raw.syscalls("strace.%s.%d" % (prog, n2))
    g = gap_of(a, b) or (ZERO_DENOMINATOR if n2 == n1 else None)
    if g:
        return g, g
    by_name = {}
    for name in set(a) | set(b):
        d = per_sample(a.get(name, 0), b.get(name, 0), n1, n2)
        if d != 0:
            by_name[name] = d
    return by_name, sum(by_name.values())


def callgrind_per_sample(raw, prog):
    """Instructions per sample of the program's own (the largest) process."""
    n1, n2 = raw.pair("callgrind.%s.samples" % prog)
    if gap_of(n1):
        return n1
    ir1, ir2 = (raw.numbers("callgrind.%s.%d.ir" % (prog, n)) for n in (n1, n2))
    return per_sample(largest(ir1), largest(ir2), n1, n2)


def largest(values):
    return values if isinstance(values, Gap) else max(values)


def memcheck_main(raw, prog, n):
    """(allocs, bytes) of the process with the most allocations in a run."""
    allocs = raw.numbers("memcheck.%s.%d.allocs" % (prog, n))
    nbytes = raw.numbers("memcheck.%s.%d.bytes" % (prog, n))
    g = gap_of(allocs, nbytes)
    if g:
        return g, g
    if len(allocs) != len(nbytes):
        raise ValueError("memcheck.%s.%d: not as many allocs as bytes figures" % (prog, n))
    i = allocs.index(max(allocs))
    return allocs[i], nbytes[i]


def memcheck_per_sample(raw, prog):
    """(allocations per sample, bytes per sample)."""
    n1, n2 = raw.pair("memcheck.%s.samples" % prog)
    if gap_of(n1):
        return n1, n1
    (a1, b1), (a2, b2) = memcheck_main(raw, prog, n1), memcheck_main(raw, prog, n2)
    return per_sample(a1, a2, n1, n2), per_sample(b1, b2, n1, n2)


def cpu_us_per_sample(raw, prog, prefix="cpu."):
    k1, k2 = raw.pair("%s%s.samples" % (prefix, prog))
    ns1, ns2 = raw.pair("%s%s.schedstat_ns" % (prefix, prog))
    return divide(per_sample(ns1, ns2, k1, k2), 1000)


def cpu_runs(raw, prog, prefix="cpu."):
    """µs per sample of each run of PROG side by side: PROG, PROG#2, ...
    (prefix idle_ab.cpu.: those of benches/trace_idle.sh)"""
    runs = [cpu_us_per_sample(raw, prog, prefix)]
    k = 2
    while "%s%s#%d.samples" % (prefix, prog, k) in raw.values:
        runs.append(cpu_us_per_sample(raw, "%s#%d" % (prog, k), prefix))
        k += 1
    return runs


ONE_RUN = Gap("one run")


def mean_and_error(values):
    """(mean, standard error of the mean) of a list of figures; the first
    Gap among them for both; the error of a single figure is ONE_RUN."""
    g = gap_of(*values)
    if g:
        return g, g
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, ONE_RUN
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var / len(values))


def memory(raw, prefix):
    """{vmhwm, vmrss, time_maxrss, pss, private} in KiB, from PREFIX.*_kib."""
    n = lambda name: raw.number("%s.%s_kib" % (prefix, name))
    return {
        "vmhwm": n("vmhwm"),
        "vmrss": n("vmrss"),
        "time_maxrss": n("time_maxrss"),
        "pss": n("pss"),
        "private": add(n("private_clean"), n("private_dirty")),
    }


def named_delta(before, after):
    """{name: after - before} of two `name:number` tables (a name absent
    from one counts 0 there); a Gap when either is one."""
    g = gap_of(before, after)
    if g:
        return g
    return {k: after.get(k, 0) - before.get(k, 0) for k in sorted(set(before) | set(after))}


def reasons_seen(delta):
    """(resets sent with a reason or none, lost) of a sent_reasons delta."""
    if gap_of(delta):
        return delta, delta
    return sum(v for k, v in delta.items() if k != "lost"), delta.get("lost", NOT_MEASURED)


class Storm:
    """The figures of benches/resets_storm.sh's storm.* keys."""

    def __init__(self, raw):
        self.raw = raw
        self.status = raw.text("storm.status", "not run")
        self.error = raw.text("storm.error", "")
        ok = self.status == "ok"
        n = lambda key: raw.number(key) if ok else NOT_MEASURED
        pair = lambda key: raw.pair(key) if ok else (NOT_MEASURED, NOT_MEASURED)
        self.rate, self.seconds = n("storm.rate"), n("storm.seconds")
        gen = {k: n("storm.generator." + k) for k in ("attempted", "refused", "other_errors", "wall_ns", "cpu_ns")}
        self.generator = gen
        self.achieved_rate = divide(gen["attempted"], divide(gen["wall_ns"], 1e9))
        self.generator_pct = times(divide(gen["cpu_ns"], gen["wall_ns"]), 100)
        t1, t2 = pair("storm.time_us")
        wall_ns = times(subtract(t2, t1), 1000)
        self.wall_s = divide(wall_ns, 1e9)
        i1, i2 = pair("storm.idle.time_us")
        idle_wall_ns = times(subtract(i2, i1), 1000)
        self.cpu_pct, self.idle_pct, self.idle_us, self.cpu_ns = {}, {}, {}, {}
        self.mem_idle, self.mem_after = {}, {}
        for mode in ("traced", "notrace"):
            a, b = pair("storm.%s.schedstat_ns" % mode)
            self.cpu_ns[mode] = subtract(b, a)
            self.cpu_pct[mode] = times(divide(self.cpu_ns[mode], wall_ns), 100)
            a, b = pair("storm.idle.%s.schedstat_ns" % mode)
            k1, k2 = pair("storm.idle.%s.samples" % mode)
            self.idle_pct[mode] = times(divide(subtract(b, a), idle_wall_ns), 100)
            self.idle_us[mode] = divide(per_sample(a, b, k1, k2), 1000)
            self.idle_samples = k2
            self.mem_idle[mode] = memory(raw, "storm.idle." + mode) if ok else memory(raw, "-")
            self.mem_after[mode] = memory(raw, "storm.after." + mode) if ok else memory(raw, "-")
        self.tracing_pct = subtract(self.cpu_pct["traced"], self.cpu_pct["notrace"])
        # one reset sent and one received per refused connection
        self.tracing_ns_per_connection = divide(
            subtract(self.cpu_ns["traced"], self.cpu_ns["notrace"]), gen["refused"])
        self.samples = pair("storm.samples")
        named = lambda key: raw.named(key) if ok else NOT_MEASURED
        resets = named_delta(named("storm.before.resets"), named("storm.after.resets"))
        self.out_rsts = resets if gap_of(resets) else resets.get("OutRsts", NOT_MEASURED)
        self.reasons = named_delta(named("storm.before.sent_reasons"), named("storm.after.sent_reasons"))
        self.sent, self.lost = reasons_seen(self.reasons)
        self.sent_minus_out_rsts = subtract(self.sent, self.out_rsts)
        sizes = raw.numbers("storm.rings.size_kib") if ok else NOT_MEASURED
        rss = raw.numbers("storm.rings.rss_kib") if ok else NOT_MEASURED
        self.rings = NOT_MEASURED if gap_of(sizes) else len(sizes)
        self.rings_kib = sizes if gap_of(sizes) else sum(sizes)
        self.rings_each_kib = sizes if gap_of(sizes) else sizes[0]
        self.rings_rss_kib = rss if gap_of(rss) else sum(rss)


class Figures:
    """Everything the report shows, computed from a Raw."""

    def __init__(self, raw):
        self.raw = raw
        self.syscalls_by_name, self.syscalls = {}, {}
        self.instructions, self.allocs, self.alloc_bytes = {}, {}, {}
        for p in PROGS:
            self.syscalls_by_name[p], self.syscalls[p] = strace_per_sample(raw, p)
            self.instructions[p] = callgrind_per_sample(raw, p)
            self.allocs[p], self.alloc_bytes[p] = memcheck_per_sample(raw, p)
        self.cpu_runs = {p: cpu_runs(raw, p) for p in PROGS + FLOORS}
        self.cpu_us, self.cpu_error = {}, {}
        for p in PROGS + FLOORS:
            self.cpu_us[p], self.cpu_error[p] = mean_and_error(self.cpu_runs[p])
        # one sample a second: µs per sample × 3600 / 1000 = ms per hour
        self.cpu_ms_per_hour = {p: divide(times(self.cpu_us[p], 3600), 1000) for p in PROGS}
        self.mem = {p: memory(raw, "mem." + p) for p in PROGS}
        self.size_bytes = raw.number("size.ours.bytes")
        self.size_kib = divide(self.size_bytes, 1024)

        self.cpu_ratio = {p: divide(self.cpu_us[p], self.cpu_us["ours"]) for p in PEERS}
        self.ir_ratio = {p: divide(self.instructions[p], self.instructions["ours"]) for p in PEERS}
        wake, read = self.cpu_us["floor_wake"], self.cpu_us["floor_read"]
        self.above_read_floor = {p: subtract(self.cpu_us[p], read) for p in PROGS}
        self.above_wake_floor = {p: subtract(self.cpu_us[p], wake) for p in PROGS}
        self.above_wake_ratio = {
            p: divide(self.above_wake_floor[p], self.above_wake_floor["ours"]) for p in PEERS
        }
        self.floor_files = subtract(read, wake)

        # The cost of tracing when nothing happens: traced - --no-trace.
        self.traced = raw.text("cpu.ours.traced")
        self.trace_cpu = subtract(self.cpu_us["ours"], self.cpu_us["ours_notrace"])
        e1, e2 = self.cpu_error["ours"], self.cpu_error["ours_notrace"]
        self.trace_cpu_error = gap_of(e1, e2) or math.sqrt(e1 ** 2 + e2 ** 2)
        self.trace_instructions = subtract(self.instructions["ours"], self.instructions["ours_notrace"])
        self.trace_syscalls = subtract(self.syscalls["ours"], self.syscalls["ours_notrace"])
        self.trace_syscalls_by_name = named_delta(self.syscalls_by_name["ours_notrace"],
                                                  self.syscalls_by_name["ours"])
        if not gap_of(self.trace_syscalls_by_name):
            self.trace_syscalls_by_name = {k: v for k, v in self.trace_syscalls_by_name.items()
                                           if abs(v) > 1e-9}
        self.trace_allocs = subtract(self.allocs["ours"], self.allocs["ours_notrace"])
        self.trace_alloc_bytes = subtract(self.alloc_bytes["ours"], self.alloc_bytes["ours_notrace"])
        self.idle_reasons = named_delta(raw.named("cpu.ours.sent_reasons.first"),
                                        raw.named("cpu.ours.sent_reasons.last"))
        self.idle_sent, self.idle_lost = reasons_seen(self.idle_reasons)
        self.storm = Storm(raw)

        # The same, longer: benches/trace_idle.sh (measure.sh --long-idle).
        self.long_runs, self.long_us, self.long_error = {}, {}, {}
        for p in OURS:
            self.long_runs[p] = cpu_runs(raw, p, "idle_ab.cpu.")
            self.long_us[p], self.long_error[p] = mean_and_error(self.long_runs[p])
        self.trace_cpu_long = subtract(self.long_us["ours"], self.long_us["ours_notrace"])
        e1, e2 = self.long_error["ours"], self.long_error["ours_notrace"]
        self.trace_cpu_long_error = gap_of(e1, e2) or math.sqrt(e1 ** 2 + e2 ** 2)
        self.long_samples = raw.pair("idle_ab.cpu.ours.samples")
        seen = [reasons_seen(named_delta(raw.named(k), raw.named(k[:-len("first")] + "last")))[0]
                for k in raw.values if k.startswith("idle_ab.cpu.ours") and k.endswith(".sent_reasons.first")]
        self.long_idle_sent = gap_of(*seen) or (max(seen) if seen else NOT_MEASURED)

        self.criterion_status = raw.text("criterion.status", "skipped")
        ok = self.criterion_status == "ok"
        self.criterion = {
            i: raw.number("criterion.median_ns." + i) if ok else NOT_MEASURED for i in CRITERION_IDS
        }
        c = self.criterion
        self.whole_over_floor = divide(c["sample_whole"], c["floor_pread"])
        self.procfs_over_ours = divide(c["parse_procfs_snmp"], c["parse_ours_snmp"])
        self.trace_criterion_us = divide(subtract(c["sample_whole_traced"], c["sample_whole"]), 1000)

        v1, v2 = raw.pair("memcheck.ours.samples")
        self.mc_errors = self.mc_startup_allocs = v1
        if not gap_of(v1):
            errors = raw.numbers("memcheck.ours.%d.errors" % v2)
            self.mc_errors = gap_of(errors) or sum(errors)
            self.mc_startup_allocs = memcheck_main(raw, "ours", v1)[0]

        self.variants_status = raw.text("variants.status", "skipped")
        names = (raw.text("variants") or "").split() if self.variants_status == "ok" else []
        self.variants = [Variant(raw, name) for name in names]
        self.base_probe = memory(raw, "probe.base")
        self.base_notrace_probe = memory(raw, "probe.base_notrace")
        self.base_rss_kinds = raw.kind_sums("probe.base.rss_by_kind")
        self.base_notrace_rss_kinds = raw.kind_sums("probe.base_notrace.rss_by_kind")

    def targets(self):
        """name -> (value, op, target) of every figure that has a target."""
        return {name: (value, op, target) for name, (value, op, target, _) in self.target_specs().items()}

    def target_specs(self):
        """name -> (value, op, target, how the target is printed)."""
        return {
            "above_floor": (self.above_read_floor["ours"], "<=", 20, "%d µs"),
            "above_floor_notrace": (self.above_read_floor["ours_notrace"], "<=", 20, "%d µs"),
            "trace_cpu": (self.trace_cpu, "<=", 2, "%d µs"),
            "trace_cpu_long": (self.trace_cpu_long, "<=", 2, "%d µs"),
            "trace_criterion": (self.trace_criterion_us, "<=", 2, "%d µs"),
            "storm_cpu": (self.storm.cpu_pct["traced"], "<=", 2, "%d %%"),
            "storm_lost": (self.storm.lost, "==", 0, "%d"),
            "whole_over_floor": (self.whole_over_floor, "<=", 1.10, "%.2f"),
            "procfs_over_ours": (self.procfs_over_ours, ">=", 5, "%d×"),
            "syscalls": (self.syscalls["ours"], "<=", 4, "%d"),
            "allocs": (self.allocs["ours"], "==", 0, "%d"),
            "vmhwm_kib": (self.mem["ours_notrace"]["vmhwm"], "<=", 2048, "%d KiB"),
            "size_kib": (self.size_kib, "<=", 600, "%d KiB"),
        }

    # The retired targets, shown as information: the kernel's floor, the
    # same for every program, is most of each one's cost.
    RETIRED = {"cpu_bash": "≥ 100×", "cpu_python": "≥ 20×"}

    def target_text(self, name, scale=1, spec=None):
        """The target of `name` as the reports print it (`≥ 100×`, `0`);
        `scale` divides it, `spec` replaces its format."""
        _, op, target, own = self.target_specs()[name]
        sign = {">=": "≥ ", "<=": "≤ ", "==": ""}[op]
        return sign + (spec or own) % (target / scale)


class Variant:
    """A build variant's figures; `build` is ok, failed or no-target."""

    def __init__(self, raw, name):
        v = "variant.%s." % name
        self.name = name
        self.target = raw.text(v + "target", "")
        self.rustflags = raw.text(v + "rustflags", "")
        self.opt_level = raw.text(v + "opt_level", "3")
        self.build = raw.text(v + "build", "failed")
        self.size_kib = divide(raw.number(v + "bytes"), 1024)
        self.mem = memory(raw, "probe." + name)
        self.rss_kinds = raw.kind_sums("probe.%s.rss_by_kind" % name)
        self.syscalls_by_name, self.syscalls = strace_per_sample(raw, "variant:" + name)
        self.instructions = callgrind_per_sample(raw, "variant:" + name)

    def description(self):
        """What the build is, from how it was built."""
        musl = "musl" in self.target
        static = musl or "crt-static" in self.rustflags
        text = "%s, %s" % ("musl" if musl else "glibc", "static" if static else "dynamic")
        if self.opt_level != "3":
            return text + ', opt-level "%s"' % self.opt_level
        if musl:
            return text + " (`--target %s`)" % self.target
        return text + (" (`%s`)" % self.rustflags if self.rustflags else "")


# --------------------------------------------------------------- the report


def syscall_list(by_name):
    """'pread64 ×2.100, ppoll ×1.000': most frequent first, then by name."""
    if isinstance(by_name, Gap):
        return by_name.text
    items = sorted(by_name.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join("%s ×%.3f" % kv for kv in items) or "none"


def runs_of(raw, key, sep=" and "):
    """'N1 and N2' of a measure's two runs."""
    n1, n2 = raw.pair(key)
    return n1.text if gap_of(n1) else "%d%s%d" % (n1, sep, n2)


def table_row(cells):
    return "|" + "|".join(" %s " % c if c else " " for c in cells) + "|"


def render_results(f):
    raw = f.raw
    machine = "%s, %s CPUs, Linux %s" % tuple(
        raw.text("machine." + k, "?") for k in ("cpu_model", "cpus", "kernel")
    )
    t = f.targets()
    out = []
    w = out.append

    def target_row(label, name, spec, unit):
        value, op, target = t[name]
        w(table_row([label, fmt(value, spec, unit), f.target_text(name), verdict(value, op, target)]))

    w("# tcp_resets: whole-process measurements")
    w("")
    w("Generated by `%s` on %s." % (raw.text("run.command", "benches/measure.sh"), raw.text("run.date", "?")))
    w("Machine: **%s**; %s. Ratios first; absolute figures hold for this machine only."
      % (machine, raw.text("tool.rustc", "rustc ?")))
    w("")
    w("## Ratios and targets")
    w("")
    w("| measure | value | target | verdict |")
    w("|---|---:|---:|---|")
    target_row("CPU per sample above the floor that reads the same files (ours)", "above_floor", "%.2f", " µs")
    target_row("CPU per sample above that floor (ours, `--no-trace`)", "above_floor_notrace", "%.2f", " µs")
    w(table_row(["tracing, CPU per sample: ours − ours `--no-trace` (schedstat, the CPU runs)",
                 plus_minus(f.trace_cpu, f.trace_cpu_error, " µs"), f.target_text("trace_cpu"),
                 verdict(*t["trace_cpu"]) + unresolved(f.trace_cpu, f.trace_cpu_error, t["trace_cpu"][2])]))
    w(table_row(["the same, longer runs (schedstat, `benches/trace_idle.sh`)",
                 plus_minus(f.trace_cpu_long, f.trace_cpu_long_error, " µs"), f.target_text("trace_cpu_long"),
                 verdict(*t["trace_cpu_long"])
                 + unresolved(f.trace_cpu_long, f.trace_cpu_long_error, t["trace_cpu_long"][2])]))
    target_row("tracing, whole sample in-process: traced − untraced (criterion)", "trace_criterion", "%.2f", " µs")
    target_row("CPU during the reset storm (ours), % of one core", "storm_cpu", "%.2f", " %")
    target_row("records lost in the storm (`lost` of tcp_resets.sent_reasons)", "storm_lost", "%d", "")
    target_row("criterion: whole sample / bare-pread floor", "whole_over_floor", "%.3f", "")
    target_row("criterion: parse /proc/net/snmp, procfs / ours", "procfs_over_ours", "%.1f", "×")
    target_row("syscalls per sample (ours)", "syscalls", "%.3f", "")
    target_row("heap allocations per sample (ours)", "allocs", "%.2f", "")
    target_row("peak RSS, VmHWM (ours, `--no-trace`)", "vmhwm_kib", "%d", " KiB")
    target_row("stripped binary size", "size_kib", "%.1f", " KiB")
    w(table_row(["peak RSS, VmHWM (ours, traced)", fmt(f.mem["ours"]["vmhwm"], "%d", " KiB"), "–",
                 "information"]))
    for p, label in (("bash", "bash"), ("python", "python")):
        w(table_row(["CPU per sample, %s peer / ours" % label, fmt(f.cpu_ratio[p], "%.1f", "×"),
                     "(was %s)" % Figures.RETIRED["cpu_" + p], "information"]))
    for p in ("bash", "python"):
        w(table_row(["instructions per sample, %s peer / ours" % p, fmt(f.ir_ratio[p], "%.1f", "×"), "–", "–"]))
    w("")
    w("The peers send only the resets chart (3 dimensions); ours sends all four")
    w("charts (12 dimensions and the SYN-cookie variable) in every sample, and")
    w("traced also `tcp_resets.sent_reasons` (one dimension per reason the kernel names).")
    w("The CPU ratios are information only: each program's cost is mostly the")
    w("kernel's (waking once a second, writing a line: the wake floor; producing")
    w("the /proc text: the read floor, %s more), which no program can go under."
      % fmt(f.floor_files, "%.2f", " µs"))
    w("The target is instead what ours adds above the floor that reads the same files.")
    if f.traced is None and not gap_of(f.cpu_us["ours"]):
        w("")
        w("This raw file does not say whether ours ran traced (it predates the")
        w("`--no-trace` runs): read its figures of ours as those of that build.")
    if f.traced == "0":
        w("")
        w("**ours ran untraced in this run** (not root, or no tracefs): its figures are")
        w("those of `--no-trace`, and the cost of tracing is not measured by them.")
    w("")
    w("## Absolute figures (%s)" % machine)
    w("")
    w("| per program | ours | ours `--no-trace` | python peer | bash peer |")
    w("|---|---:|---:|---:|---:|")

    def row(label, values, spec, unit=""):
        w(table_row([label] + [fmt(v, spec, unit) for v in values]))

    row("CPU per sample (schedstat, user + kernel)", [f.cpu_us[p] for p in PROGS], "%.2f", " µs")
    row("CPU per hour at a 1 s interval", [f.cpu_ms_per_hour[p] for p in PROGS], "%.3f", " ms")
    row("user-space instructions per sample (callgrind Ir)", [f.instructions[p] for p in PROGS], "%.0f")
    row("syscalls per sample (strace)", [f.syscalls[p] for p in PROGS], "%.3f")
    row("libc heap allocations per sample (memcheck)", [f.allocs[p] for p in PROGS], "%.2f")
    row("heap bytes allocated per sample (memcheck)", [f.alloc_bytes[p] for p in PROGS], "%.0f")
    row("peak RSS, VmHWM at the end", [f.mem[p]["vmhwm"] for p in PROGS], "%d", " KiB")
    row("peak RSS, `/usr/bin/time -v`", [f.mem[p]["time_maxrss"] for p in PROGS], "%d", " KiB")
    w(table_row(["PSS / private (smaps_rollup) at the end"]
                + [pss_private(f.mem[p]["pss"], f.mem[p]["private"]) for p in PROGS]))
    size = f.size_bytes
    size = size.text if gap_of(size) else "%d bytes (%.1f KiB), stripped" % (size, f.size_kib)
    w(table_row(["executable", size, "the same", "python " + raw.text("tool.python", "?"),
                 "bash " + raw.text("tool.bash", "?")]))
    w("")
    wake, read = f.cpu_us["floor_wake"], f.cpu_us["floor_read"]
    if gap_of(wake, read):
        w("CPU floor (`benches/peers/floor_sleeper.c`): %s in this run." % gap_of(wake, read).text)
    else:
        a, r = f.above_read_floor, f.above_wake_ratio
        w("CPU floor on this machine, measured the same way in the same run")
        w("(`benches/peers/floor_sleeper.c`): a process that only wakes on the next second")
        w("with one `ppoll` and writes one line costs **%.2f µs** per sample; adding" % wake)
        w("one `pread` of /proc/net/snmp and one of /proc/net/netstat makes it")
        w("**%.2f µs**. Above that floor: ours %s (`--no-trace` %s)," % (
            read, fmt(a["ours"], "%.2f", " µs"), fmt(a["ours_notrace"], "%.2f", " µs")))
        w("python %s, bash %s" % (fmt(a["python"], "%.2f", " µs"), fmt(a["bash"], "%.2f", " µs")))
        w("(the peers read only /proc/net/snmp, so their floor is lower still).")
        w("Above the wake-only floor: bash / ours = %s," % fmt(r["bash"], "%.1f", "×"))
        w("python / ours = %s." % fmt(r["python"], "%.1f", "×"))
    w("")
    if gap_of(raw.pair("strace.ours.samples")[0]):
        w("Syscalls per sample, by name (strace -f -c): not measured in this run.")
    else:
        w("Syscalls per sample, by name (strace -f -c, runs of %s samples differenced):"
          % runs_of(raw, "strace.ours.samples"))
        w("")
        w("| program | syscalls per sample |")
        w("|---|---|")
        for p in PROGS:
            w(table_row([p, syscall_list(f.syscalls_by_name[p])]))
    w("")
    by_name = f.syscalls_by_name["ours"]
    if not gap_of(by_name):
        w("`clock_gettime` goes through the vDSO and is no syscall. The plugin re-reads")
        w("`/proc/sys/net/ipv4/tcp_syncookies` every 10th sample (README: every 10 s), hence")
        w("`pread64` ×%.3f per sample rather than ×2 (one for each /proc/net file)."
          % by_name.get("pread64", 0))
    v1 = raw.pair("memcheck.ours.samples")[0]
    if gap_of(v1):
        w("Memcheck on the plugin: not measured in this run.")
    else:
        where = ", all at start-up" if f.allocs["ours"] == 0 else ""
        w("Memcheck on the plugin: %s errors; %s allocations in a whole run of %d samples%s."
          % (fmt(f.mc_errors, "%d"), fmt(f.mc_startup_allocs, "%d"), v1, where))
    w("The python peer's count is of libc `malloc` only (pymalloc serves small objects itself).")
    w("")
    render_tracing(f, w)
    render_storm(f.storm, w, machine)
    if f.criterion_status == "ok":
        w("## Criterion medians (`cargo bench --bench sample -- %s`, %s)"
          % (raw.text("criterion.args", ""), machine))
        w("")
        w("| benchmark | median |")
        w("|---|---:|")
        for i in CRITERION_IDS:
            w(table_row([i.replace("_", "/", 1), fmt(f.criterion[i], "%.1f", " ns")]))
        w("")
        w("The floor is the bare `pread` of /proc/net/snmp and /proc/net/netstat; the whole")
        w("sample adds parsing, formatting and the `write` (to /dev/null); traced, it also")
        w("drains the rings and formats `tcp_resets.sent_reasons` (run only where the")
        w("plugin may trace).")
    else:
        w("## Criterion")
        w("")
        if f.criterion_status == "skipped":
            w("Not measured in this run (`--no-criterion`).")
        else:
            w("Not measured in this run: `cargo bench --bench sample` failed: %s."
              % raw.text("criterion.error", "?"))
    w("")
    render_variants(f, machine, w)
    w("## Method")
    w("")
    strace = "strace runs of %s samples" % runs_of(raw, "strace.ours.samples")
    valgrind = "valgrind runs of %s (plugin), %s (peers)" % (
        runs_of(raw, "callgrind.ours.samples"), runs_of(raw, "callgrind.python.samples"))
    w("- Every per-sample figure is (total after N2 samples − total after N1) / (N2 − N1), so")
    w("  start-up and exit cancel out: %s;"
      % (strace if "strace.ours.samples" in raw.values else "strace not measured"))
    replicas = any(len(f.cpu_runs[p]) > 1 for p in OURS)
    w("  %s; CPU from %s,"
      % (valgrind if "callgrind.ours.samples" in raw.values else "valgrind not measured",
         "runs side by side" if replicas else "one run per program"))
    w("  /proc/PID/schedstat read after samples %s,"
      % ", ".join("%s (%s)" % (runs_of(raw, "cpu.%s.samples" % p, "/"), p) for p in PROGS
                  if "cpu.%s.samples" % p in raw.values))
    cpu_progs = [p for p in PROGS + FLOORS if "cpu.%s.samples" % p in raw.values]
    w("  all programs side by side (%s), stdout a pipe, stdin an idle pipe held open (as under netdata)." % " ".join(cpu_progs))
    runs = {p: len(f.cpu_runs[p]) for p in OURS if "cpu.%s.samples" % p in raw.values}
    if any(n > 1 for n in runs.values()):
        w("  ours and ours `--no-trace` ran %s times each, side by side; their figure is the mean."
          % " and ".join(sorted({str(n) for n in runs.values()})))
    w("- Load average when the CPU runs started: %s (other work on the machine adds noise)."
      % raw.text("run.load_cpu", "?"))
    missing = (raw.text("run.missing_tools") or "").split()
    if missing:
        w("- Tools missing in this run (their figures read \"not measured\"): %s." % ", ".join(missing))
    w("- Samples come at a real 1 s interval: libfaketime's speed-up does not scale the")
    w("  plugin's `ppoll` timeout (0.9.10), so it would not shorten the runs.")
    w("- Figures computed by `benches/measure_report.py` from the raw numbers in")
    w("  `benches/results.raw`; verdicts compare the exact figure, not the rounded one,")
    w("  with the target.")
    w("- Script wall time: %s s." % raw.text("run.wall_seconds", "?"))
    return "\n".join(out) + "\n"


def plus_minus(value, error, unit):
    """'2.31 ± 1.20 µs'; the error left out when there is none."""
    if gap_of(value):
        return value.text
    if gap_of(error):
        return "%.2f%s" % (value, unit)
    return "%.2f ± %.2f%s" % (value, error, unit)


def each_run(runs):
    """'88.95, 89.02 µs' of the runs of one program."""
    g = gap_of(*runs)
    return g.text if g else ", ".join("%.2f" % r for r in runs) + " µs"


def render_tracing(f, w):
    """The cost of the reset tracepoints when nothing happens."""
    w("## Tracing when nothing happens: ours against ours `--no-trace`")
    w("")
    w("| per sample | traced | `--no-trace` | traced − `--no-trace` |")
    w("|---|---:|---:|---:|")
    err = lambda p: "" if gap_of(f.cpu_error[p]) else " ± %.2f" % f.cpu_error[p]
    w(table_row(["CPU (schedstat, user + kernel; mean ± standard error)",
                 fmt(f.cpu_us["ours"], "%.2f", err("ours") + " µs"),
                 fmt(f.cpu_us["ours_notrace"], "%.2f", err("ours_notrace") + " µs"),
                 plus_minus(f.trace_cpu, f.trace_cpu_error, " µs")]))
    w(table_row(["CPU of each run side by side", each_run(f.cpu_runs["ours"]),
                 each_run(f.cpu_runs["ours_notrace"]), ""]))
    if not gap_of(f.long_us["ours"], f.long_us["ours_notrace"]):
        n1, n2 = f.long_samples
        label = "CPU, longer runs: %d each, samples %d to %d (`%s`, %s)" % (
            len(f.long_runs["ours"]), n1, n2, f.raw.text("idle_ab.command", "benches/trace_idle.sh"),
            f.raw.text("idle_ab.date", "?"))
        err = lambda p: "" if gap_of(f.long_error[p]) else " ± %.2f" % f.long_error[p]
        w(table_row([label, fmt(f.long_us["ours"], "%.2f", err("ours") + " µs"),
                     fmt(f.long_us["ours_notrace"], "%.2f", err("ours_notrace") + " µs"),
                     plus_minus(f.trace_cpu_long, f.trace_cpu_long_error, " µs")]))
        w(table_row(["CPU of each longer run", each_run(f.long_runs["ours"]),
                     each_run(f.long_runs["ours_notrace"]), ""]))
    w(table_row(["CPU above the read floor", fmt(f.above_read_floor["ours"], "%.2f", " µs"),
                 fmt(f.above_read_floor["ours_notrace"], "%.2f", " µs"), ""]))
    w(table_row(["user-space instructions (callgrind Ir)", fmt(f.instructions["ours"], "%.0f"),
                 fmt(f.instructions["ours_notrace"], "%.0f"), fmt(f.trace_instructions, "%+.0f")]))
    w(table_row(["syscalls (strace)", fmt(f.syscalls["ours"], "%.3f"), fmt(f.syscalls["ours_notrace"], "%.3f"),
                 fmt(f.trace_syscalls, "%+.3f")]))
    w(table_row(["heap allocations (memcheck)", fmt(f.allocs["ours"], "%.2f"), fmt(f.allocs["ours_notrace"], "%.2f"),
                 fmt(f.trace_allocs, "%+.2f")]))
    w(table_row(["heap bytes allocated (memcheck)", fmt(f.alloc_bytes["ours"], "%.0f"),
                 fmt(f.alloc_bytes["ours_notrace"], "%.0f"), fmt(f.trace_alloc_bytes, "%+.0f")]))
    c = f.criterion
    w(table_row(["whole sample in-process (criterion median)", fmt(divide(c["sample_whole_traced"], 1000), "%.2f", " µs"),
                 fmt(divide(c["sample_whole"], 1000), "%.2f", " µs"), fmt(f.trace_criterion_us, "%+.2f", " µs")]))
    w("")
    by_name = f.trace_syscalls_by_name
    if not gap_of(by_name):
        w("Syscalls per sample, traced minus `--no-trace`, by name: %s (the rings are drained"
          % (syscall_list(by_name) if by_name else "no difference"))
        w("by loads and stores on their mapped pages; the loop's one `ppoll` waits on one more")
        w("descriptor, the epoll set of the rings).")
        w("")
    if not gap_of(f.idle_sent):
        w("The traced CPU run drained %d resets sent (of the whole host: the tracepoints"
          % f.idle_sent)
        w("fire in every network namespace) and lost %s between its two readings; a run"
          % fmt(f.idle_lost, "%d"))
        w("with resets elsewhere on the machine is not \"nothing happens\".")
        w("")
    if not gap_of(f.long_idle_sent):
        w("The longer traced runs drained at most %d resets (whole host) each." % f.long_idle_sent)
        w("")
    w("Side by side, runs of the same program differ by several µs per sample on this")
    w("machine (the spread of the runs above), so the schedstat difference carries that")
    w("error; criterion's in-process difference (the rings' drain and the extra chart,")
    w("written to /dev/null) leaves the kernel's wake-up out. What schedstat sees beyond")
    w("criterion is not broken down here; what differs besides the instructions: the")
    w("loop's `ppoll` waits on one more descriptor, each sample writes the extra chart")
    w("into a pipe, and it touches more memory after a second asleep (cold caches, TLB).")
    w("")


def render_storm(s, w, machine=None):
    """The section of benches/resets_storm.sh."""
    w("## Reset storm (`benches/resets_storm.sh`%s)" % (", " + machine if machine else ""))
    w("")
    if s.status == "not run":
        w("Not measured in this run.")
        w("")
        return
    if s.status != "ok":
        why = ": " + s.error if s.error else ""
        w("Not measured in this run (%s%s)." % (s.status, why))
        w("")
        return
    g = s.generator
    w("In a private network namespace, `benches/peers/reset_storm.c` made %s connect()s"
      % fmt(g["attempted"], "%d"))
    w("to a closed port on 127.0.0.1-8 in %s s (%s a second; asked: %s for %s s), %s refused,"
      % (fmt(divide(g["wall_ns"], 1e9), "%.2f"), fmt(s.achieved_rate, "%.0f"), fmt(s.rate, "%d"),
         fmt(s.seconds, "%d"), fmt(g["refused"], "%d")))
    w("%s otherwise: each refused one is a reset sent and one received. Both plugins ran"
      % fmt(g["other_errors"], "%d"))
    w("in that namespace at a 1 s interval, stdout a pipe that is read; the generator")
    w("itself used %s of one core." % fmt(s.generator_pct, "%.1f", " %"))
    w("")
    w("| | traced | `--no-trace` |")
    w("|---|---:|---:|")
    w(table_row(["CPU during the storm, %% of one core (schedstat over %s s)" % fmt(s.wall_s, "%.2f"),
                 fmt(s.cpu_pct["traced"], "%.3f", " %"), fmt(s.cpu_pct["notrace"], "%.3f", " %")]))
    w(table_row(["CPU idle before it, % of one core", fmt(s.idle_pct["traced"], "%.4f", " %"),
                 fmt(s.idle_pct["notrace"], "%.4f", " %")]))
    w(table_row(["CPU per sample idle before it", fmt(s.idle_us["traced"], "%.2f", " µs"),
                 fmt(s.idle_us["notrace"], "%.2f", " µs")]))
    for label, mem in (("after %s samples idle" % fmt(s.idle_samples, "%d"), s.mem_idle),
                       ("after the storm", s.mem_after)):
        w(table_row(["VmHWM / VmRSS / PSS " + label] + [
            hwm_rss_pss(mem[m]) for m in ("traced", "notrace")]))
    w("")
    w("Tracing during the storm: %s of one core more than `--no-trace`, %s per refused"
      % (fmt(s.tracing_pct, "%.3f", " %"), fmt(s.tracing_ns_per_connection, "%.0f", " ns")))
    w("connection (two events: drained, decoded, added to the table).")
    w("")
    kb, ka = s.samples
    w("Between sample %s (just before the storm) and sample %s (2 after its end):"
      % (fmt(kb, "%d"), fmt(ka, "%d")))
    w("`Tcp:OutRsts` of the namespace rose by %s; `tcp_resets.sent_reasons` by %s in all"
      % (fmt(s.out_rsts, "%d"), fmt(s.sent, "%d")))
    if not gap_of(s.reasons):
        moved = ", ".join("%s +%d" % (k, v) for k, v in s.reasons.items() if v and k != "lost") or "no reason moved"
        w("(%s), sent_reasons minus OutRsts = %s (resets elsewhere on the host would" % (
            moved, fmt(s.sent_minus_out_rsts, "%+d")))
        w("count there and not here), and `lost` by %s." % fmt(s.lost, "%d"))
    w("")
    w("The rings: %s mappings of %s KiB (one per CPU: 1 control page and 32 data pages),"
      % (fmt(s.rings, "%d"), fmt(s.rings_each_kib, "%d")))
    w("%s KiB in all, of which %s KiB show in Rss: since \"perf: map pages in advance\""
      % (fmt(s.rings_kib, "%d"), fmt(s.rings_rss_kib, "%d")))
    w("(kernel/events/core.c `map_range()`, `remap_pfn_range()`) the ring is a VM_PFNMAP")
    w("mapping, counted in no RSS; on kernels before it (Debian 12's 6.1: `perf_mmap_fault()`)")
    w("the pages the plugin reads are faulted in and counted.")
    w("")


def hwm_rss_pss(m):
    g = gap_of(m["vmhwm"], m["vmrss"], m["pss"])
    return g.text if g else "%d / %d / %d KiB" % (m["vmhwm"], m["vmrss"], m["pss"])


def rss_kinds(k):
    """'604 / 1504 / 124 KiB' of a rss_by_kind table; other kinds left out."""
    if gap_of(k):
        return k.text
    libs = k.get("libc", 0) + k.get("ld.so", 0) + k.get("libgcc_s", 0)
    return "%d / %d / %d KiB" % (k.get("exe", 0), libs, k.get("anon", 0))


def pss_private(pss, private):
    g = gap_of(pss, private)
    return g.text if g else "%d / %d KiB" % (pss, private)


def render_variants(f, machine, w):
    if f.variants_status != "ok":
        w("## Build variants")
        w("")
        w("Not measured in this run (`--no-variants`).")
        w("")
        return
    built = [v for v in f.variants if v.build == "ok"]
    runs = "differenced runs"
    if built and not gap_of(f.raw.pair("strace.variant:%s.samples" % built[0].name)[0]):
        runs = "runs of %s samples differenced" % runs_of(f.raw, "strace.variant:%s.samples" % built[0].name)
    kib = lambda v: fmt(v, "%.0f", " KiB")
    w("## Peak RSS by build variant (%s)" % machine)
    w("")
    w("Built from a snapshot of the sources into `target/measure-variants/`; each run on")
    w("live /proc at 1 s with `--no-trace` (the peak-RSS target is `--no-trace`'s), figures")
    w("after 3 samples; syscalls and instructions from")
    w("%s. Only the build differs (target, RUSTFLAGS, opt-level);" % runs)
    w("no source is edited.")
    w("")
    w("| variant | size | VmHWM | Rss: binary / libc, ld.so, libgcc_s / anon | PSS | private"
      " | syscalls/sample | instructions/sample |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, b, k, p in (
            ("current release (glibc, dynamic), traced", f.base_probe, f.base_rss_kinds, "ours"),
            ("current release (glibc, dynamic), `--no-trace`", f.base_notrace_probe, f.base_notrace_rss_kinds,
             "ours_notrace")):
        if p == "ours_notrace" and gap_of(b["vmhwm"]) and gap_of(f.instructions[p]):
            continue
        w(table_row([label, kib(f.size_kib), kib(b["vmhwm"]), rss_kinds(k), kib(b["pss"]),
                     kib(b["private"]), fmt(f.syscalls[p], "%.3f"), fmt(f.instructions[p], "%.0f")]))
    for v in built:
        w(table_row([v.description(), kib(v.size_kib), kib(v.mem["vmhwm"]), rss_kinds(v.rss_kinds),
                     kib(v.mem["pss"]), kib(v.mem["private"]), fmt(v.syscalls, "%.3f"),
                     fmt(v.instructions, "%.0f")]))
    w("")
    w("A dynamic binary has libc.so.6, ld.so and libgcc_s resident before any page of its")
    w("own: libc's share is what the kernel maps around each fault (fault-around, 64 KiB")
    w("windows by default), so it varies between runs; a static binary has only its own")
    w("pages. libc's pages are shared with every other process: PSS and private count")
    w("them once for the machine.")
    w("")
    if built:
        w("Syscalls per sample by variant: %s."
          % "; ".join("%s: %s" % (v.name, syscall_list(v.syscalls_by_name)) for v in built))
        w("")
    unbuilt = [v for v in f.variants if v.build != "ok"]
    if unbuilt:
        why = {"failed": "build failed", "no-target": "Rust target not installed"}
        w("Not measured: %s." % "; ".join("%s (%s)" % (v.name, why.get(v.build, v.build)) for v in unbuilt))
        w("")


# ------------------------------------------------------ the README's table


def short_ratio(v):
    """64× from 10 up, 6.1× below."""
    return fmt(v, "%.0f×" if not gap_of(v) and v >= 10 else "%.1f×")


def short_number(v):
    """4.1, 0, 0.03: two decimals at most, no trailing zeros."""
    return v.text if gap_of(v) else ("%.2f" % v).rstrip("0").rstrip(".")


def render_readme_table(f):
    """The ratio table of the README's "Performance" section."""
    t = f.targets()
    judge = lambda name: verdict(*t[name], missed="missed")

    def tracing_cells(name, value, error):
        return [plus_minus(value, error, " µs"), f.target_text(name),
                judge(name) + unresolved(value, error, t[name][2])]

    rows = [
        ["CPU per sample above a C floor that reads the same files (schedstat)",
         fmt(f.above_read_floor["ours"], "%.1f", " µs"), f.target_text("above_floor"), judge("above_floor")],
        ["the same with `--no-trace`", fmt(f.above_read_floor["ours_notrace"], "%.1f", " µs"),
         f.target_text("above_floor_notrace"), judge("above_floor_notrace")],
        ["tracing when nothing happens, CPU per sample above `--no-trace` (schedstat)"]
        + (tracing_cells("trace_cpu", f.trace_cpu, f.trace_cpu_error) if gap_of(f.trace_cpu_long) else
           tracing_cells("trace_cpu_long", f.trace_cpu_long, f.trace_cpu_long_error)),
        ["the same in-process (criterion)", fmt(f.trace_criterion_us, "%.2f", " µs"),
         f.target_text("trace_criterion"), judge("trace_criterion")],
        ["CPU during 10,000 refused connections a second, traced", fmt(f.storm.cpu_pct["traced"], "%.2f", " %"),
         f.target_text("storm_cpu"), judge("storm_cpu")],
        ["records lost in that storm", fmt(f.storm.lost, "%d"), f.target_text("storm_lost"), judge("storm_lost")],
        ["whole sample (read + parse + format + write) / bare `pread` of the same files (criterion)",
         fmt(f.whole_over_floor, "%.2f"), f.target_text("whole_over_floor"), judge("whole_over_floor")],
        ["parse `/proc/net/snmp`: `procfs` crate / ours (criterion)",
         short_ratio(f.procfs_over_ours), f.target_text("procfs_over_ours"), judge("procfs_over_ours")],
        ["heap allocations per sample (valgrind, differenced runs)",
         short_number(f.allocs["ours"]), f.target_text("allocs"), judge("allocs")],
        ["syscalls per sample (strace, differenced runs)",
         short_number(f.syscalls["ours"]), f.target_text("syscalls"), judge("syscalls")],
        ["peak RSS (VmHWM), `--no-trace`", fmt(divide(f.mem["ours_notrace"]["vmhwm"], 1024), "%.2f", " MiB"),
         f.target_text("vmhwm_kib", scale=1024, spec="%d MiB"), judge("vmhwm_kib")],
        ["peak RSS (VmHWM), traced", fmt(divide(f.mem["ours"]["vmhwm"], 1024), "%.2f", " MiB"), "", ""],
        ["stripped binary", fmt(f.size_kib, "%.0f", " KiB"), f.target_text("size_kib"), judge("size_kib")],
        ["CPU per sample, bash peer / ours (information)", short_ratio(f.cpu_ratio["bash"]), "", ""],
        ["CPU per sample, python peer / ours (information)", short_ratio(f.cpu_ratio["python"]), "", ""],
        ["user-space instructions per sample, bash peer / ours (callgrind)",
         short_ratio(f.ir_ratio["bash"]), "", ""],
        ["user-space instructions per sample, python peer / ours", short_ratio(f.ir_ratio["python"]), "", ""],
    ]
    return "\n".join(["| measure | result | target | |", "|---|---:|---:|---|"]
                     + [table_row(r) for r in rows]) + "\n"


# ------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description="Figures and report from benches/measure.sh's raw numbers.")
    ap.add_argument("raw", help="the key=value file benches/measure.sh wrote (benches/results.raw)")
    ap.add_argument("--results", metavar="FILE", help="write the full report (results.md) to FILE")
    ap.add_argument("--readme-table", action="store_true", help="print the README's ratio table")
    ap.add_argument("--storm", action="store_true", help="print the reset storm's section alone")
    args = ap.parse_args(argv)
    with open(args.raw, encoding="utf-8") as fh:
        raw = Raw(fh.read())
    if args.storm:
        out = []
        render_storm(Storm(raw), out.append)
        sys.stdout.write("\n".join(out) + "\n")
        return 0
    figures = Figures(raw)
    if args.results:
        with open(args.results, "w", encoding="utf-8") as fh:
            fh.write(render_results(figures))
    if args.readme_table:
        sys.stdout.write(render_readme_table(figures))
    if not args.results and not args.readme_table:
        sys.stdout.write(render_results(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
