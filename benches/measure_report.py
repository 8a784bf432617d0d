#!/usr/bin/env python3
"""Computes the figures of benches/results.md from the raw numbers that
benches/measure.sh collects, and renders the report: results.md, and the
short ratio table of the README's "Performance" section.

    measure_report.py RAW [--results FILE] [--readme-table]

RAW is the key=value file measure.sh writes (benches/results.raw, format
below). --results writes the full report to FILE; --readme-table prints
the README's ratio table; with neither, the full report goes to stdout.
Python 3 standard library only; tests: benches/test_measure_report.py.

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
  "above the floor" figures subtract a floor's CPU from each program's;
- memory at the end of that run (VmHWM, /usr/bin/time -v's maximum RSS,
  PSS, private = Private_Clean + Private_Dirty), the stripped binary's size,
  criterion medians of benches/sample.rs;
- build variants: size, memory after 3 samples, syscalls and instructions.

Ratios are peer / ours. Verdicts (met / missed) compare the exact figure,
not the rounded one shown, with the target. A figure whose raw numbers are
absent (a tool missing, a step skipped or failed) is shown as "not
measured", a division by zero as "undefined (÷ 0)": no value is made up.

RAW format: one `key=value` a line (the value runs to the end of the line;
`#` comments and blank lines are ignored; a key may appear once). PROG is
ours, python, bash, floor_wake, floor_read or variant:NAME; N a run's
sample count; lists are space-separated.

    format=tcp_resets-measure-raw 1
    run.command, run.quick (0/1), run.date, run.wall_seconds, run.load_cpu,
        run.missing_tools (list), machine.cpu_model, machine.cpus,
        machine.kernel, tool.rustc, tool.python, tool.bash
    size.ours.bytes                       the stripped release binary
    criterion.status (ok | failed | skipped), criterion.error,
        criterion.args, criterion.median_ns.ID
    strace.PROG.samples=N1 N2             strace.PROG.N=syscall:calls ...
    callgrind.PROG.samples=N1 N2          callgrind.PROG.N.ir=IR ...
    memcheck.PROG.samples=N1 N2           memcheck.PROG.N.allocs, .bytes,
                                          .errors: per process, same order
    cpu.PROG.samples=K1 K2                cpu.PROG.schedstat_ns=NS1 NS2
    mem.PROG.vmhwm_kib, .vmrss_kib, .pss_kib, .private_clean_kib,
        .private_dirty_kib, .time_maxrss_kib      at the end of the CPU run
    variants.status (ok | skipped), variants=NAME ... (in the order tried)
    variant.NAME.target, .rustflags, .opt_level, .build (ok | failed |
        no-target), .bytes
    probe.NAME.vmhwm_kib, .pss_kib, .private_clean_kib, .private_dirty_kib
        after 3 samples of a variant; NAME base: the release build
"""

import argparse
import sys

FORMAT = "tcp_resets-measure-raw 1"
PROGS = ("ours", "python", "bash")
PEERS = ("python", "bash")
FLOORS = ("floor_wake", "floor_read")
CRITERION_IDS = (
    "floor_pread",
    "sample_whole",
    "parse_ours_snmp",
    "parse_procfs_snmp",
    "parse_ours_snmp_and_netstat",
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
        if key not in self.values:
            return NOT_MEASURED
        table = {}
        for item in self.values[key].split():
            name, sep, calls = item.rpartition(":")
            if not sep or not name:
                raise ValueError("raw key %s: syscall:calls expected, got %r" % (key, item))
            table[name] = _number(calls, key)
        return table


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


def cpu_us_per_sample(raw, prog):
    k1, k2 = raw.pair("cpu.%s.samples" % prog)
    ns1, ns2 = raw.pair("cpu.%s.schedstat_ns" % prog)
    return divide(per_sample(ns1, ns2, k1, k2), 1000)


def memory(raw, prefix):
    """{vmhwm, time_maxrss, pss, private} in KiB, from PREFIX.*_kib."""
    n = lambda name: raw.number("%s.%s_kib" % (prefix, name))
    return {
        "vmhwm": n("vmhwm"),
        "time_maxrss": n("time_maxrss"),
        "pss": n("pss"),
        "private": add(n("private_clean"), n("private_dirty")),
    }


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
        self.cpu_us = {p: cpu_us_per_sample(raw, p) for p in PROGS + FLOORS}
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

        self.criterion_status = raw.text("criterion.status", "skipped")
        ok = self.criterion_status == "ok"
        self.criterion = {
            i: raw.number("criterion.median_ns." + i) if ok else NOT_MEASURED for i in CRITERION_IDS
        }
        c = self.criterion
        self.whole_over_floor = divide(c["sample_whole"], c["floor_pread"])
        self.procfs_over_ours = divide(c["parse_procfs_snmp"], c["parse_ours_snmp"])

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

    def targets(self):
        """name -> (value, op, target) of every figure that has a target."""
        return {name: (value, op, target) for name, (value, op, target, _) in self.target_specs().items()}

    def target_specs(self):
        """name -> (value, op, target, how the target is printed)."""
        return {
            "cpu_bash": (self.cpu_ratio["bash"], ">=", 100, "%d×"),
            "cpu_python": (self.cpu_ratio["python"], ">=", 20, "%d×"),
            "whole_over_floor": (self.whole_over_floor, "<=", 1.10, "%.2f"),
            "procfs_over_ours": (self.procfs_over_ours, ">=", 5, "%d×"),
            "syscalls": (self.syscalls["ours"], "<=", 4, "%d"),
            "allocs": (self.allocs["ours"], "==", 0, "%d"),
            "vmhwm_kib": (self.mem["ours"]["vmhwm"], "<=", 2048, "%d KiB"),
            "size_kib": (self.size_kib, "<=", 600, "%d KiB"),
        }

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
    target_row("CPU per sample, bash peer / ours", "cpu_bash", "%.1f", "×")
    target_row("CPU per sample, python peer / ours", "cpu_python", "%.1f", "×")
    target_row("criterion: whole sample / bare-pread floor", "whole_over_floor", "%.3f", "")
    target_row("criterion: parse /proc/net/snmp, procfs / ours", "procfs_over_ours", "%.1f", "×")
    for p in ("bash", "python"):
        w(table_row(["instructions per sample, %s peer / ours" % p, fmt(f.ir_ratio[p], "%.1f", "×"), "–", "–"]))
    target_row("syscalls per sample (ours)", "syscalls", "%.3f", "")
    target_row("heap allocations per sample (ours)", "allocs", "%.2f", "")
    target_row("peak RSS, VmHWM (ours)", "vmhwm_kib", "%d", " KiB")
    target_row("stripped binary size", "size_kib", "%.1f", " KiB")
    w("")
    w("The peers send only the resets chart (3 dimensions); ours sends all four")
    w("charts (12 dimensions and the SYN-cookie variable) in every sample.")
    w("")
    w("## Absolute figures (%s)" % machine)
    w("")
    w("| per program | ours | python peer | bash peer |")
    w("|---|---:|---:|---:|")

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
    w(table_row(["executable", size, "python " + raw.text("tool.python", "?"),
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
        w("**%.2f µs**. Above that floor: ours %s," % (read, fmt(a["ours"], "%.2f", " µs")))
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
        w("sample adds parsing, formatting and the `write` (to /dev/null).")
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
    w("  %s; CPU from one run per program,"
      % (valgrind if "callgrind.ours.samples" in raw.values else "valgrind not measured"))
    w("  /proc/PID/schedstat read after samples %s,"
      % ", ".join("%s (%s)" % (runs_of(raw, "cpu.%s.samples" % p, "/"), p) for p in PROGS))
    cpu_progs = [p for p in PROGS + FLOORS if "cpu.%s.samples" % p in raw.values]
    w("  all programs side by side (%s), stdout a pipe, stdin an idle pipe held open (as under netdata)." % " ".join(cpu_progs))
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
    w("live /proc at 1 s, figures after 3 samples; syscalls and instructions from")
    w("%s. Only the build differs (target, RUSTFLAGS, opt-level);" % runs)
    w("no source is edited.")
    w("")
    w("| variant | size | VmHWM | PSS | private | syscalls/sample | instructions/sample |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    b = f.base_probe
    w(table_row(["current release (glibc, dynamic)", kib(f.size_kib), kib(b["vmhwm"]), kib(b["pss"]),
                 kib(b["private"]), fmt(f.syscalls["ours"], "%.3f"), fmt(f.instructions["ours"], "%.0f")]))
    for v in built:
        w(table_row([v.description(), kib(v.size_kib), kib(v.mem["vmhwm"]), kib(v.mem["pss"]),
                     kib(v.mem["private"]), fmt(v.syscalls, "%.3f"), fmt(v.instructions, "%.0f")]))
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
    rows = [
        ["whole sample (read + parse + format + write) / bare `pread` of the same files (criterion)",
         fmt(f.whole_over_floor, "%.2f"), f.target_text("whole_over_floor"), judge("whole_over_floor")],
        ["parse `/proc/net/snmp`: `procfs` crate / ours (criterion)",
         short_ratio(f.procfs_over_ours), f.target_text("procfs_over_ours"), judge("procfs_over_ours")],
        ["heap allocations per sample (valgrind, differenced runs)",
         short_number(f.allocs["ours"]), f.target_text("allocs"), judge("allocs")],
        ["syscalls per sample (strace, differenced runs)",
         short_number(f.syscalls["ours"]), f.target_text("syscalls"), judge("syscalls")],
        ["peak RSS (VmHWM)", fmt(divide(f.mem["ours"]["vmhwm"], 1024), "%.2f", " MiB"),
         f.target_text("vmhwm_kib", scale=1024, spec="%d MiB"), judge("vmhwm_kib")],
        ["stripped binary", fmt(f.size_kib, "%.0f", " KiB"), f.target_text("size_kib"), judge("size_kib")],
        ["CPU per sample, bash peer / ours", short_ratio(f.cpu_ratio["bash"]), f.target_text("cpu_bash"),
         judge("cpu_bash")],
        ["CPU per sample, python peer / ours", short_ratio(f.cpu_ratio["python"]), f.target_text("cpu_python"),
         judge("cpu_python")],
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
    args = ap.parse_args(argv)
    with open(args.raw, encoding="utf-8") as fh:
        figures = Figures(Raw(fh.read()))
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
