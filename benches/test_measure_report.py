"""Tests of benches/measure_report.py and benches/measure_extract.sh.

    python3 -m unittest discover -s benches -p 'test_*.py'

The fixtures come from one real `benches/measure.sh --quick` run (AMD EPYC,
2 CPUs, under load from parallel builds): fixtures/quick-run.raw is the raw
file it wrote, fixtures/logs/ some of the tool output it was extracted from,
fixtures/quick-run.md the report of quick-run.raw as checked by hand. The
expected figures below are worked out from the raw lines they quote. After
a deliberate change to the report's wording, regenerate the expected report
with `python3 benches/measure_report.py benches/fixtures/quick-run.raw >
benches/fixtures/quick-run.md` and read the diff.
"""

import os
import re
import subprocess
import tempfile
import unittest

import measure_report as mr

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
LOGS = os.path.join(FIXTURES, "logs")


def fixture_text():
    with open(os.path.join(FIXTURES, "quick-run.raw"), encoding="utf-8") as fh:
        return fh.read()


def raw_with(drop=(), set_=None):
    """The fixture without the keys that start with any of `drop`, with the
    keys of `set_` replaced or added."""
    set_ = set_ or {}
    lines = []
    for line in fixture_text().splitlines():
        key = line.partition("=")[0]
        if any(key.startswith(d) for d in drop) or key in set_:
            continue
        lines.append(line)
    lines += ["%s=%s" % kv for kv in set_.items()]
    return mr.Raw("\n".join(lines) + "\n")


def figures(**kw):
    return mr.Figures(raw_with(**kw))


class RawFileTest(unittest.TestCase):
    def test_the_fixture_parses(self):
        raw = mr.Raw(fixture_text())
        self.assertEqual(raw.text("run.command"), "benches/measure.sh --quick")
        self.assertEqual(raw.pair("strace.ours.samples"), (3, 13))
        self.assertEqual(raw.numbers("callgrind.bash.2.ir"), [1666682, 7138193])
        self.assertEqual(raw.number("criterion.median_ns.floor_pread"), 45350.934744268074)

    def test_value_runs_to_the_end_of_the_line(self):
        raw = mr.Raw("format=%s\n# comment\n\ncriterion.error=a = b\n" % mr.FORMAT)
        self.assertEqual(raw.text("criterion.error"), "a = b")

    def test_absent_and_empty_keys_are_not_measured(self):
        raw = mr.Raw("format=%s\nrun.missing_tools=\n" % mr.FORMAT)
        self.assertIs(raw.number("size.ours.bytes"), mr.NOT_MEASURED)
        self.assertIs(raw.numbers("run.missing_tools"), mr.NOT_MEASURED)
        self.assertEqual(raw.pair("cpu.ours.samples"), (mr.NOT_MEASURED, mr.NOT_MEASURED))
        self.assertIs(raw.syscalls("strace.ours.3"), mr.NOT_MEASURED)

    def test_malformed_files_are_refused(self):
        head = "format=%s\n" % mr.FORMAT
        for text in (
            "format=something else\n",
            "size.ours.bytes=1\n",  # no format line
            head + "a=1\na=2\n",  # a key twice
            head + "no equals sign\n",
            head + "size.ours.bytes=12 KiB\n",
        ):
            with self.subTest(text=text):
                with self.assertRaises(ValueError):
                    mr.Figures(mr.Raw(text))
        with self.assertRaises(ValueError):
            mr.Raw(head + "cpu.ours.samples=1 2 3\n").pair("cpu.ours.samples")
        with self.assertRaises(ValueError):
            mr.Raw(head + "strace.ours.3=pread64\n").syscalls("strace.ours.3")


class ComputationTest(unittest.TestCase):
    """Figures of the fixture, worked out by hand from its raw lines."""

    @classmethod
    def setUpClass(cls):
        cls.f = mr.Figures(mr.Raw(fixture_text()))

    def test_syscalls_per_sample_are_differenced_per_syscall(self):
        # strace.ours.3: pread64:15 write:3 ppoll:2; strace.ours.13: pread64:36
        # write:13 ppoll:12; every other syscall has the same count in both
        f = self.f
        self.assertEqual(sorted(f.syscalls_by_name["ours"]), ["ppoll", "pread64", "write"])
        self.assertAlmostEqual(f.syscalls_by_name["ours"]["pread64"], (36 - 15) / 10)
        self.assertAlmostEqual(f.syscalls_by_name["ours"]["write"], 1.0)
        self.assertAlmostEqual(f.syscalls["ours"], 4.1)
        self.assertAlmostEqual(f.syscalls["python"], 13.0)
        self.assertAlmostEqual(f.syscalls["bash"], 63.0)

    def test_a_syscall_absent_from_one_run_counts_zero_there(self):
        raw = raw_with(set_={
            "strace.ours.samples": "3 13",
            "strace.ours.3": "pread64:15 exit_group:1",
            "strace.ours.13": "pread64:36 futex:5",
        })
        by_name, total = mr.strace_per_sample(raw, "ours")
        self.assertEqual(by_name, {"pread64": 2.1, "futex": 0.5, "exit_group": -0.1})
        self.assertAlmostEqual(total, 2.5)
        self.assertEqual(mr.syscall_list(by_name), "pread64 ×2.100, futex ×0.500, exit_group ×-0.100")

    def test_instructions_take_the_largest_process_of_each_log(self):
        # callgrind.ours.2.ir=475713, .12.ir=781255;
        # callgrind.bash.2.ir=1666682 7138193, .6.ir=1666682 17440026 (the fork first)
        self.assertAlmostEqual(self.f.instructions["ours"], (781255 - 475713) / 10)
        self.assertAlmostEqual(self.f.instructions["bash"], (17440026 - 7138193) / 4)
        self.assertAlmostEqual(self.f.ir_ratio["bash"], 2575458.25 / 30554.2)

    def test_allocations_and_bytes_come_from_the_same_process(self):
        # memcheck.bash.2.allocs=1492 11319 .bytes=102188 322429
        # memcheck.bash.6.allocs=1492 30187 .bytes=102188 748697
        self.assertAlmostEqual(self.f.allocs["bash"], (30187 - 11319) / 4)
        self.assertAlmostEqual(self.f.alloc_bytes["bash"], (748697 - 322429) / 4)
        self.assertEqual(self.f.allocs["ours"], 0)
        self.assertAlmostEqual(self.f.alloc_bytes["ours"], (72530 - 72528) / 10)
        self.assertAlmostEqual(self.f.allocs["python"], (1375 - 1347) / 4)
        self.assertEqual(self.f.mc_errors, 0)
        self.assertEqual(self.f.mc_startup_allocs, 85)
        # bytes are those of the process with the most allocations (here the
        # first in its log), not the largest bytes figure of the log
        raw = raw_with(set_={"memcheck.bash.2.allocs": "11319 1492", "memcheck.bash.2.bytes": "102188 322429"})
        self.assertAlmostEqual(mr.Figures(raw).allocs["bash"], (30187 - 11319) / 4)
        self.assertAlmostEqual(mr.Figures(raw).alloc_bytes["bash"], (748697 - 102188) / 4)

    def test_cpu_per_sample_floors_and_ratios(self):
        f = self.f
        ours = (2899937 - 1172829) / 20 / 1000  # cpu.ours.schedstat_ns, samples 3 23
        bash = (22913513 - 4532091) / 20 / 1000
        python = (18771526 - 13993022) / 20 / 1000
        wake = (1026124 - 612799) / 20 / 1000
        read = (2091397 - 666500) / 20 / 1000
        self.assertAlmostEqual(f.cpu_us["ours"], ours)
        self.assertAlmostEqual(f.cpu_us["floor_read"], read)
        self.assertAlmostEqual(f.cpu_ms_per_hour["ours"], ours * 3.6)
        self.assertAlmostEqual(f.cpu_ratio["bash"], bash / ours)
        self.assertAlmostEqual(f.cpu_ratio["python"], python / ours)
        self.assertAlmostEqual(f.above_read_floor["ours"], ours - read)
        self.assertAlmostEqual(f.above_wake_ratio["bash"], (bash - wake) / (ours - wake))
        self.assertAlmostEqual(f.above_wake_ratio["python"], (python - wake) / (ours - wake))

    def test_memory_size_and_criterion(self):
        f = self.f
        self.assertEqual(f.mem["ours"], {"vmhwm": 2028, "time_maxrss": 1928, "pss": 509, "private": 284 + 164})
        self.assertEqual(f.base_probe["private"], 220 + 160)
        self.assertAlmostEqual(f.size_kib, 370896 / 1024)
        self.assertAlmostEqual(f.whole_over_floor, 50221.56863711002 / 45350.934744268074)
        self.assertAlmostEqual(f.procfs_over_ours, 53598.56447635135 / 865.7321133938525)

    def test_verdicts_of_the_fixture(self):
        verdicts = {k: mr.verdict(*v) for k, v in self.f.targets().items()}
        self.assertEqual(verdicts, {
            "cpu_bash": "**missed**",  # 10.6
            "cpu_python": "**missed**",  # 2.8
            "whole_over_floor": "**missed**",  # 1.107 > 1.10
            "procfs_over_ours": "met",
            "syscalls": "**missed**",  # 4.1 > 4
            "allocs": "met",
            "vmhwm_kib": "met",  # 2028 <= 2048
            "size_kib": "met",
        })

    def test_verdicts_compare_the_exact_value(self):
        self.assertEqual(mr.verdict(4, "<=", 4), "met")
        self.assertEqual(mr.verdict(100, ">=", 100), "met")
        self.assertEqual(mr.verdict(0, "==", 0), "met")
        # shown as 1.100 (and 0.00), but above the target
        self.assertEqual(mr.fmt(1.1004, "%.3f"), "1.100")
        self.assertEqual(mr.verdict(1.1004, "<=", 1.10), "**missed**")
        self.assertEqual(mr.verdict(1 / 300, "==", 0), "**missed**")

    def test_variants(self):
        v = {x.name: x for x in self.f.variants}
        self.assertEqual(list(v), ["gnu-static", "gnu-opt-s", "musl", "musl-opt-s"])
        self.assertEqual(v["gnu-static"].description(), "glibc, static (`-C target-feature=+crt-static`)")
        self.assertEqual(v["gnu-opt-s"].description(), 'glibc, dynamic, opt-level "s"')
        self.assertEqual(v["musl"].description(), "musl, static (`--target x86_64-unknown-linux-musl`)")
        self.assertEqual(v["musl-opt-s"].description(), 'musl, static, opt-level "s"')
        self.assertAlmostEqual(v["musl"].instructions, (711169 - 239585) / 10)
        self.assertAlmostEqual(v["musl"].syscalls, 4.1)
        self.assertEqual(v["musl"].mem["private"], 368 + 92)


class ReportTest(unittest.TestCase):
    """The rendered Markdown."""

    def test_the_fixture_renders_as_checked_by_hand(self):
        with open(os.path.join(FIXTURES, "quick-run.md"), encoding="utf-8") as fh:
            expected = fh.read()
        self.assertEqual(mr.render_results(mr.Figures(mr.Raw(fixture_text()))), expected)

    def test_ratio_rows(self):
        md = mr.render_results(figures())
        for line in (
            "| CPU per sample, bash peer / ours | 10.6× | ≥ 100× | **missed** |",
            "| criterion: whole sample / bare-pread floor | 1.107 | ≤ 1.10 | **missed** |",
            "| criterion: parse /proc/net/snmp, procfs / ours | 61.9× | ≥ 5× | met |",
            "| instructions per sample, bash peer / ours | 84.3× | – | – |",
            "| syscalls per sample (ours) | 4.100 | ≤ 4 | **missed** |",
            "| heap allocations per sample (ours) | 0.00 | 0 | met |",
            "| peak RSS, VmHWM (ours) | 2028 KiB | ≤ 2048 KiB | met |",
            "| stripped binary size | 362.2 KiB | ≤ 600 KiB | met |",
            "| CPU per sample (schedstat, user + kernel) | 86.36 µs | 238.93 µs | 919.07 µs |",
            "| ours | pread64 ×2.100, ppoll ×1.000, write ×1.000 |",
            "| current release (glibc, dynamic) | 362 KiB | 1812 KiB | 457 KiB | 380 KiB | 4.100 | 30554 |",
            "**71.24 µs**. Above that floor: ours 15.11 µs,",
            "Above the wake-only floor: bash / ours = 13.7×,",
        ):
            self.assertIn(line + "\n", md)

    def test_readme_table(self):
        self.assertEqual(mr.render_readme_table(figures()), "\n".join([
            "| measure | result | target | |",
            "|---|---:|---:|---|",
            "| whole sample (read + parse + format + write) / bare `pread` of the same files (criterion)"
            " | 1.11 | ≤ 1.10 | missed |",
            "| parse `/proc/net/snmp`: `procfs` crate / ours (criterion) | 62× | ≥ 5× | met |",
            "| heap allocations per sample (valgrind, differenced runs) | 0 | 0 | met |",
            "| syscalls per sample (strace, differenced runs) | 4.1 | ≤ 4 | missed |",
            "| peak RSS (VmHWM) | 1.98 MiB | ≤ 2 MiB | met |",
            "| stripped binary | 362 KiB | ≤ 600 KiB | met |",
            "| CPU per sample, bash peer / ours | 11× | ≥ 100× | missed |",
            "| CPU per sample, python peer / ours | 2.8× | ≥ 20× | missed |",
            "| user-space instructions per sample, bash peer / ours (callgrind) | 84× | | |",
            "| user-space instructions per sample, python peer / ours | 3.5× | | |",
        ]) + "\n")

    def assertNoMadeUpValues(self, md):
        found = re.findall(r"\b(?:nan|inf|None|Gap)\b", md, re.IGNORECASE)
        self.assertEqual(found, [], "a made-up value in the report")

    def test_without_valgrind_its_figures_are_not_measured(self):
        f = figures(drop=("callgrind.", "memcheck."), set_={"run.missing_tools": "valgrind"})
        md = mr.render_results(f)
        self.assertNoMadeUpValues(md)
        for line in (
            "| instructions per sample, bash peer / ours | not measured | – | – |",
            "| heap allocations per sample (ours) | not measured | 0 | not measured |",
            "| user-space instructions per sample (callgrind Ir) | not measured | not measured | not measured |",
            "| libc heap allocations per sample (memcheck) | not measured | not measured | not measured |",
            "Memcheck on the plugin: not measured in this run.",
            "- Tools missing in this run (their figures read \"not measured\"): valgrind.",
            "  valgrind not measured; CPU from one run per program,",
        ):
            self.assertIn(line + "\n", md)
        # the figures of the other tools are still there
        self.assertIn("| syscalls per sample (ours) | 4.100 | ≤ 4 | **missed** |\n", md)
        self.assertIn("| heap allocations per sample (valgrind, differenced runs) | not measured | 0 | not measured |",
                      mr.render_readme_table(f))

    def test_without_strace_cc_or_time(self):
        md = mr.render_results(figures(drop=("strace.", "cpu.floor_", "mem.ours.time_maxrss")))
        self.assertNoMadeUpValues(md)
        self.assertIn("| syscalls per sample (ours) | not measured | ≤ 4 | not measured |\n", md)
        self.assertIn("Syscalls per sample, by name (strace -f -c): not measured in this run.\n", md)
        self.assertNotIn("`pread64` ×", md)
        self.assertIn("CPU floor (`benches/peers/floor_sleeper.c`): not measured in this run.\n", md)
        self.assertNotIn("Above the wake-only floor", md)
        self.assertIn("| peak RSS, `/usr/bin/time -v` | not measured | 8464 KiB | 3116 KiB |\n", md)
        self.assertIn("all programs side by side (ours python bash),", md)
        self.assertIn("start-up and exit cancel out: strace not measured;\n", md)

    def test_zero_denominators(self):
        # ours runs no instruction between its two runs, and two CPU readings
        # after the same sample
        f = figures(set_={"callgrind.ours.12.ir": "475713", "cpu.ours.samples": "3 3"})
        self.assertIs(f.ir_ratio["bash"], mr.ZERO_DENOMINATOR)
        self.assertIs(f.cpu_us["ours"], mr.ZERO_DENOMINATOR)
        md = mr.render_results(f)
        self.assertNoMadeUpValues(md)
        self.assertIn("| CPU per sample, bash peer / ours | undefined (÷ 0) | ≥ 100× | undefined (÷ 0) |\n", md)
        self.assertIn("| instructions per sample, bash peer / ours | undefined (÷ 0) | – | – |\n", md)
        self.assertIn("| user-space instructions per sample (callgrind Ir) | 0 | 108222 | 2575458 |\n", md)
        self.assertIn("| CPU per sample, bash peer / ours | undefined (÷ 0) | ≥ 100× | undefined (÷ 0) |",
                      mr.render_readme_table(f))
        # runs of the same length
        f = figures(set_={"strace.ours.samples": "13 13"})
        self.assertIs(f.syscalls["ours"], mr.ZERO_DENOMINATOR)
        self.assertIn("| syscalls per sample (ours) | undefined (÷ 0) | ≤ 4 | undefined (÷ 0) |\n",
                      mr.render_results(f))

    def test_criterion_skipped_or_failed(self):
        f = figures(drop=("criterion.",), set_={"criterion.status": "skipped"})
        md = mr.render_results(f)
        self.assertIn("| criterion: whole sample / bare-pread floor | not measured | ≤ 1.10 | not measured |\n", md)
        self.assertIn("## Criterion\n\nNot measured in this run (`--no-criterion`).\n", md)
        f = figures(drop=("criterion.",), set_={
            "criterion.status": "failed", "criterion.error": "error[E0432]: unresolved import `tcp_resets::linux`"})
        md = mr.render_results(f)
        self.assertNoMadeUpValues(md)
        self.assertIn("`cargo bench --bench sample` failed: error[E0432]: unresolved import `tcp_resets::linux`.", md)
        self.assertNotIn("## Criterion medians", md)

    def test_variants_skipped_or_not_built(self):
        md = mr.render_results(figures(drop=("variant", "probe."), set_={"variants.status": "skipped"}))
        self.assertIn("## Build variants\n\nNot measured in this run (`--no-variants`).\n", md)
        self.assertNotIn("## Peak RSS by build variant", md)
        md = mr.render_results(figures(
            drop=("strace.variant:musl.", "callgrind.variant:musl.", "probe.musl.", "variant.musl.bytes"),
            set_={"variant.musl.build": "failed", "variant.musl-opt-s.build": "no-target"}))
        self.assertIn("Not measured: musl (build failed); musl-opt-s (Rust target not installed).\n", md)
        self.assertNotIn("| musl, static", md)
        self.assertIn("| glibc, static (`-C target-feature=+crt-static`) | 1177 KiB |", md)

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "results.md")
            rc = mr.main([os.path.join(FIXTURES, "quick-run.raw"), "--results", out])
            self.assertEqual(rc, 0)
            with open(out, encoding="utf-8") as fh:
                self.assertTrue(fh.read().startswith("# tcp_resets: whole-process measurements\n"))


class ExtractTest(unittest.TestCase):
    """benches/measure_extract.sh on the real tool output in fixtures/logs:
    it yields the raw lines of the same run."""

    @classmethod
    def setUpClass(cls):
        cls.raw = mr.Raw(fixture_text())

    def extract(self, function, *args):
        script = '. "$1"; shift; "$@"'
        r = subprocess.run(
            ["bash", "-c", script, "bash", os.path.join(HERE, "measure_extract.sh"), function, *args],
            capture_output=True, text=True, check=True,
        )
        return r.stdout.strip()

    def log(self, name):
        return os.path.join(LOGS, name)

    def test_strace_tables(self):
        # the errors column is empty on most lines, filled on some
        for name, key in (("strace.ours.13.txt", "strace.ours.13"), ("strace.bash.3.txt", "strace.bash.3")):
            with self.subTest(name=name):
                self.assertEqual(self.extract("strace_calls", self.log(name)), self.raw.text(key))

    def test_valgrind_logs_one_figure_per_process(self):
        cases = (
            ("cg_ir", "callgrind.bash.2.log", (), "callgrind.bash.2.ir"),
            ("cg_ir", "callgrind.ours.12.log", (), "callgrind.ours.12.ir"),
            ("mc_field", "memcheck.bash.2.log", ("allocs",), "memcheck.bash.2.allocs"),
            ("mc_field", "memcheck.bash.2.log", ("bytes",), "memcheck.bash.2.bytes"),
            ("mc_field", "memcheck.bash.2.log", ("errors",), "memcheck.bash.2.errors"),
            ("mc_field", "memcheck.ours.12.log", ("bytes",), "memcheck.ours.12.bytes"),
        )
        for function, name, args, key in cases:
            with self.subTest(key=key):
                self.assertEqual(self.extract(function, self.log(name), *args), self.raw.text(key))

    def test_proc_files_and_time(self):
        self.assertEqual(self.extract("kib_field", self.log("proc-status.txt"), "VmHWM"), "1680")
        # Pss, not Pss_Dirty or Pss_Anon
        self.assertEqual(self.extract("kib_field", self.log("proc-smaps_rollup.txt"), "Pss"), "225")
        self.assertEqual(self.extract("kib_field", self.log("proc-smaps_rollup.txt"), "Private_Dirty"), "108")
        self.assertEqual(self.extract("schedstat_ns", self.log("proc-schedstat.txt")), "896381")
        self.assertEqual(self.extract("time_maxrss_kib", self.log("time-v.ours.txt")),
                         self.raw.text("mem.ours.time_maxrss_kib"))


if __name__ == "__main__":
    unittest.main()
