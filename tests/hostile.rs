//! Hostile conditions for the real binary: the wall clock stepping back and
//! forward by an hour (libfaketime), a reader that stalls for 30 s, SIGSTOP
//! and SIGCONT, counters that go backwards, running as an unprivileged user,
//! and no network access of any kind (strace).
//!
//! Tools these tests need (libfaketime, strace, setpriv) are installed by
//! .ci/run; without them a test says so and skips, unless REQUIRE_TOOLS=1
//! (set by .ci/run), which turns the skip into a failure.

mod common;
mod protocol;

use std::io::{BufReader, Read};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::child::{plugin, run, Guard};
use common::{fixture, skip, sys, Need, TempDir, BIN};

const LIMIT: Duration = Duration::from_secs(10);
const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// Whether `tool` is installed; otherwise skips `test` (or fails it under
/// REQUIRE_TOOLS=1).
fn have(test: &str, tool: &str) -> bool {
    if Path::new(tool).exists() {
        return true;
    }
    skip(
        Need::Tools,
        test,
        &format!("{tool} is not installed (apt-get install faketime strace util-linux)"),
    );
    false
}

/// (arrival, microseconds) of every `BEGIN tcp_resets.resets`.
fn begins(lines: &[(Instant, String)]) -> Vec<(Instant, Option<u64>)> {
    lines
        .iter()
        .filter_map(|(t, l)| {
            let rest = l.strip_prefix("BEGIN tcp_resets.resets")?;
            Some((*t, rest.trim().parse().ok()))
        })
        .collect()
}

/// CPU seconds (user + system) the process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn assert_paced(b: &[(Instant, Option<u64>)], what: &str) {
    for w in b.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!(
            gap >= Duration::from_millis(400),
            "{what}: burst, samples {gap:?} apart"
        );
        assert!(
            gap <= Duration::from_millis(2300),
            "{what}: stall of {gap:?}"
        );
        let us = w[1].1.expect("microseconds");
        assert!(
            (300_000..=2_300_000).contains(&us),
            "{what}: absurd BEGIN microseconds {us}"
        );
    }
}

#[test]
fn wall_clock_steps_neither_burst_nor_stall() {
    if !have("wall_clock_steps_neither_burst_nor_stall", FAKETIME) {
        return;
    }
    let dir = TempDir::new("faketime");
    let offset = dir.join("offset");
    std::fs::write(&offset, "+0\n").unwrap();
    let mut c = plugin(Some(&fixture("linux-6.18")), &["1"]);
    c.env("LD_PRELOAD", FAKETIME)
        .env("FAKETIME_TIMESTAMP_FILE", &offset)
        .env("FAKETIME_NO_CACHE", "1")
        .env("DONT_FAKE_MONOTONIC", "1");
    let mut g = Guard::spawn(c);
    let rx = g.stdout_lines();
    let before = rx.collect_for(Duration::from_millis(3500));
    let cpu0 = cpu_seconds(g.pid());
    std::fs::write(&offset, "-3600\n").unwrap();
    let back = rx.collect_for(Duration::from_secs(6));
    std::fs::write(&offset, "+0\n").unwrap();
    let forward = rx.collect_for(Duration::from_secs(6));
    let cpu = cpu_seconds(g.pid()) - cpu0;
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));

    assert!(begins(&before).len() >= 3);
    let all: Vec<_> = before
        .iter()
        .chain(&back)
        .chain(&forward)
        .cloned()
        .collect();
    let b = begins(&all);
    assert_paced(&b[1..], "clock steps");
    let in_steps = begins(&back).len() + begins(&forward).len();
    assert!((8..=14).contains(&in_steps), "{in_steps} samples in 12 s");
    assert!(cpu < 0.5, "busy loop: {cpu} CPU seconds in 12 s");
    let text: String = all.iter().map(|(_, l)| format!("{l}\n")).collect();
    protocol::validate(&text).unwrap();
}

/// The plugin at a 1 s interval writing into a 4 KiB pipe, which fills
/// after a few samples so that the plugin blocks in write.
fn on_a_small_pipe() -> (Guard, std::process::ChildStdout) {
    let mut g = Guard::spawn(plugin(Some(&fixture("linux-6.18")), &["1"]));
    let out = g.0.stdout.take().unwrap();
    let r = sys::set_pipe_size(out.as_fd(), 4096);
    assert!(r >= 4096, "cannot shrink the pipe");
    (g, out)
}

#[test]
fn stalled_reader_blocks_the_plugin_without_growth_or_partial_lines() {
    let (mut g, out) = on_a_small_pipe();
    common::wait_until_blocked(&out);
    let rss_early = common::rss_kib(g.pid());
    // Blocked for several more intervals: long enough for a leak or a
    // busy loop to show.
    std::thread::sleep(Duration::from_secs(6));
    let rss_late = common::rss_kib(g.pid());
    let stalled_at = Instant::now();
    assert_eq!(
        g.0.try_wait().unwrap(),
        None,
        "the plugin died while blocked"
    );
    // Resume reading.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(out);
        let mut buf = Vec::new();
        loop {
            let mut chunk = [0u8; 4096];
            match r.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    let _ = tx.send((Instant::now(), buf.clone()));
                }
            }
        }
    });
    let mut last = Vec::new();
    while let Ok((_, b)) = rx.recv_timeout(Duration::from_secs(4)) {
        last = b;
        if stalled_at.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));
    assert!(
        rss_late <= rss_early + 64,
        "memory grew while blocked: {rss_early} -> {rss_late} KiB"
    );
    let text = String::from_utf8(last).unwrap();
    // Everything up to the last complete line is valid protocol.
    let complete = &text[..text.rfind('\n').unwrap() + 1];
    let s = protocol::validate(complete).unwrap_or_else(|e| panic!("{e}"));
    let us: Vec<u64> = s
        .samples("tcp_resets.resets")
        .iter()
        .filter_map(|b| b.microseconds)
        .collect();
    // One sample waited out the stall: its interval is the real one (about
    // 9 s), then sampling is back to one a second.
    let long = us.iter().filter(|&&u| u > 5_000_000).count();
    assert_eq!(long, 1, "{us:?}");
    assert!(us.iter().all(|&u| u > 0 && u < 40_000_000), "{us:?}");
    assert!(
        us.last().is_some_and(|&u| u < 2_300_000),
        "not back to the interval: {us:?}"
    );
}

#[test]
fn sigstop_and_sigcont_resume_without_a_burst() {
    let mut g = Guard::spawn(plugin(Some(&fixture("linux-6.18")), &["1"]));
    let rx = g.stdout_lines();
    let before = rx.collect_for(Duration::from_millis(2500));
    g.signal(libc::SIGSTOP);
    std::thread::sleep(Duration::from_secs(5));
    g.signal(libc::SIGCONT);
    let after = rx.collect_for(Duration::from_secs(4));
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));
    let b = begins(&after);
    assert!(b.len() >= 3, "{b:?}");
    // The first sample after SIGCONT reports the real gap, about 5 s.
    let first = b[0].1.unwrap();
    assert!((4_000_000..=8_000_000).contains(&first), "{first}");
    assert_paced(&b, "after SIGCONT");
    assert!(begins(&before).len() >= 2);
}

#[test]
fn counters_going_backwards_are_passed_through() {
    let dir = TempDir::new("backwards");
    let snmp = dir.join("proc/net/snmp");
    std::fs::create_dir_all(snmp.parent().unwrap()).unwrap();
    std::fs::copy(fixture("linux-6.18").join("proc/net/snmp"), &snmp).unwrap();
    let mut g = Guard::spawn(plugin(Some(dir.path()), &["1"]));
    let rx = g.stdout_lines();
    let first = rx.collect_for(Duration::from_millis(1500));
    let text = std::fs::read_to_string(&snmp)
        .unwrap()
        .replace(" 1001 ", " 7 ");
    std::fs::write(&snmp, text).unwrap();
    let later = rx.collect_for(Duration::from_millis(2500));
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));
    assert!(first.iter().any(|(_, l)| l == "SET AttemptFails = 1001"));
    let newest = later
        .iter()
        .rev()
        .find(|(_, l)| l.starts_with("SET AttemptFails"))
        .map(|(_, l)| l.as_str());
    assert_eq!(newest, Some("SET AttemptFails = 7"));
    assert!(!later.iter().any(|(_, l)| l == "DISABLE"));
}

#[test]
fn runs_as_an_unprivileged_user_on_live_proc() {
    const NAME: &str = "runs_as_an_unprivileged_user_on_live_proc";
    if !have(NAME, "/usr/bin/setpriv") {
        return;
    }
    if sys::euid() != 0 {
        skip(
            Need::Tools,
            NAME,
            "not root, so it cannot drop to another user",
        );
        return;
    }
    let as_nobody = |args: &[&str]| {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            BIN,
        ])
        .args(args)
        .env_remove("NETDATA_HOST_PREFIX")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        c
    };
    let nobody = |args: &[&str]| run(as_nobody(args), LIMIT);
    let out = nobody(&["1", "--iterations", "2"]);
    assert!(out.status.success(), "{}", out.stderr);
    // One line says why the reset tracepoints are off; the charts are all
    // there but the one they make.
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(
            "tcp_resets.plugin: info: the tcp-resets Function and the tcp_resets.sent_reasons chart are off: "
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("CAP_"), "what to grant: {}", out.stderr);
    let s = protocol::validate(&out.stdout).unwrap();
    assert_eq!(s.samples("tcp_resets.resets").len(), 2);
    assert!(s.samples("tcp_resets.resets")[1].sets["OutRsts"].is_some());
    assert!(!s.charts.contains_key("tcp_resets.sent_reasons"));
    assert!(s.charts.contains_key("tcp_resets.spoofing"));
    // The Function, even for a caller who may see everything: 503 and what
    // to grant; tcp-listeners answers beside it.
    let mut a = common::child::Asker::of(as_nobody(&["1"]));
    let (status, body) = a.call("tcp-resets", Some("0x13"));
    assert_eq!(status, 503, "{body}");
    let why = body["errorMessage"].as_str().unwrap();
    assert!(why.contains("CAP_"), "what to grant: {why}");
    assert_eq!(a.call("tcp-listeners", Some("0x13")).0, 200);
    a.stop();
    // By hand: one line, exit 1.
    let out = nobody(&["--resets", "--seconds", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("cannot open the reset tracepoints: "),
        "{}",
        out.stderr
    );
    // The listeners too: root's listener with its queue, limit and drops;
    // only its owning process is hidden from nobody, and the help says so.
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let out = nobody(&["--listeners", "--json"]);
    assert!(out.status.success(), "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // Root's listener, seen by nobody.
    let col = common::listener_row(&v, port);
    assert_eq!(col("Limit"), 128);
    assert_eq!(col("Drops"), 0);
    assert_eq!(col("User"), "root");
    assert_eq!(col("PID"), serde_json::Value::Null);
    assert!(
        v["help"]
            .as_str()
            .unwrap()
            .contains("could not be looked at"),
        "{}",
        v["help"]
    );
    drop(l);
}

#[test]
fn no_network_system_calls() {
    let dir = TempDir::new("strace");
    let log = dir.join("calls");
    let Some(mut c) = common::under_strace(
        "no_network_system_calls",
        &[
            "-f",
            "-qq",
            "-e",
            "trace=%network",
            "-o",
            log.to_str().unwrap(),
        ],
        &["1", "--iterations", "2"],
    ) else {
        return;
    };
    c.env("NETDATA_HOST_PREFIX", fixture("linux-6.18"));
    let out = run(c, LIMIT);
    assert!(out.status.success(), "{}", out.stderr);
    let calls = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = calls.lines().filter(|l| !l.trim().is_empty()).collect();
    // The only socket is the signal self-pipe, a local socketpair, which
    // signal-hook probes with an empty send; no other socket is ever made,
    // so nothing can reach a network.
    assert!(
        lines.iter().any(|l| l.contains("socketpair(AF_UNIX")),
        "strace saw no socketpair: {calls}"
    );
    for l in &lines {
        let call = l.split_whitespace().nth(1).unwrap_or("");
        let local_pair = call.starts_with("socketpair(AF_UNIX");
        let send_on_pair = call.starts_with("sendto(") && l.contains(", NULL, 0)");
        assert!(local_pair || send_on_pair, "unexpected network call: {l}");
    }
}

#[test]
fn sigterm_ends_a_write_blocked_on_a_stalled_reader() {
    let (mut g, out) = on_a_small_pipe();
    // Nobody reads: after a few samples the pipe is full and the plugin
    // blocks in write.
    common::wait_until_blocked(&out);
    g.exits_0_within_100ms_of(
        |g| g.signal(libc::SIGTERM),
        Duration::from_secs(2),
        "SIGTERM during a write blocked on a full pipe",
    );
    drop(out);
}
