//! The real binary's lifecycle: arguments, exit codes, signals, a closed
//! pipe, netdata's QUIT on stdin, a source that vanishes and returns, the
//! keepalive, and log formats.

mod common;
mod protocol;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::child::{plugin, run, Guard};
use common::lines::Lines;
use common::{fixture, fixture_copy, BIN};

const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn bad_arguments_exit_1_with_one_line_and_no_stdout() {
    for (args, needle) in [
        (&["abc"][..], "'abc'"),
        (&["0"][..], "'0'"),
        (&["-5"][..], "'-5'"),
        (&["86401"][..], "'86401'"),
        (&["--bogus"][..], "'--bogus'"),
        (&["--iterations"][..], "'--iterations'"),
        (&["1", "--iterations", "zero"][..], "'zero'"),
        // A newline in the argument stays on the message's one line.
        (&["1\n2"][..], "'1?2'"),
    ] {
        let out = run(plugin(Some(&fixture("linux-6.18")), args), LIMIT);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn bad_netdata_update_every_exits_1() {
    let mut c = plugin(Some(&fixture("linux-6.18")), &["--iterations", "1"]);
    c.env("NETDATA_UPDATE_EVERY", "soon");
    let out = run(c, LIMIT);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("NETDATA_UPDATE_EVERY 'soon'"),
        "{}",
        out.stderr
    );
}

#[test]
fn netdata_update_every_is_used_without_an_argument() {
    let mut c = plugin(Some(&fixture("linux-6.18")), &["--iterations", "1"]);
    c.env("NETDATA_UPDATE_EVERY", "7");
    let out = run(c, LIMIT);
    assert!(out.status.success());
    let s = protocol::validate(&out.stdout).unwrap();
    assert_eq!(s.charts["tcp_resets.resets"].update_every, 7);
}

#[test]
fn help_and_version_exit_0() {
    let out = run(plugin(None, &["--help"]), LIMIT);
    assert!(out.status.success());
    assert!(out
        .stdout
        .contains("Usage: tcp_resets [UPDATE_EVERY] [--iterations N]"));
    assert_eq!(out.stderr, "");
    let out = run(plugin(None, &["--version"]), LIMIT);
    assert!(out.status.success());
    assert_eq!(
        out.stdout,
        format!("tcp_resets {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// Starts the plugin with a long interval, waits for its first sample (so
/// it is asleep), and returns it with a reader of its stdout.
fn sleeping(interval: &str, stdin: Stdio) -> (Guard, Lines) {
    let mut c = plugin(Some(&fixture("linux-6.18")), &[interval]);
    c.stdin(stdin);
    let mut g = Guard::spawn(c);
    let lines = g.stdout_lines();
    lines.first_sample(LIMIT, Duration::from_millis(200));
    (g, lines)
}

#[test]
fn stop_signals_end_the_sleep_within_100ms_with_exit_0() {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let (mut g, _rx) = sleeping("30", Stdio::null());
        g.exits_0_within_100ms_of(|g| g.signal(sig), LIMIT, &format!("signal {sig}"));
    }
}

#[test]
fn closed_pipe_exits_0_quietly() {
    let mut g = Guard::spawn(plugin(Some(&fixture("linux-6.18")), &["1"]));
    let mut out = g.0.stdout.take().unwrap();
    let mut first = [0u8; 100];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let status = g
        .wait_for(LIMIT)
        .expect("plugin did not notice the closed pipe");
    assert_eq!(status.code(), Some(0));
    assert_eq!(g.stderr_text(), "");
}

#[test]
fn piped_into_head_ends_promptly_without_panic_text() {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("'{BIN}' 1 | head -c 100; echo \" exit=$?\" >&2"))
        .env("NETDATA_HOST_PREFIX", fixture("linux-6.18"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = run(c, LIMIT);
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 100);
    assert_eq!(out.stderr.trim(), "exit=0", "{}", out.stderr);
}

/// Asserts that the plugin, asleep, ends with exit 0 within 100 ms of
/// `stop(stdin)` (netdata 2.x's ways of stopping a plugin).
fn stops_within_100ms(stop: impl FnOnce(std::process::ChildStdin)) {
    let (mut g, _rx) = sleeping("30", Stdio::piped());
    let stdin = g.0.stdin.take().unwrap();
    g.exits_0_within_100ms_of(|_| stop(stdin), LIMIT, "stdin");
}

#[test]
fn quit_without_a_newline_ends_the_plugin_within_100ms() {
    // netdata 2.x writes exactly these four bytes, and keeps the pipe open.
    let mut keep = None;
    stops_within_100ms(|mut stdin| {
        stdin.write_all(b"QUIT").unwrap();
        keep = Some(stdin);
    });
}

#[test]
fn quit_then_eof_ends_the_plugin_within_100ms() {
    stops_within_100ms(|mut stdin| {
        stdin.write_all(b"QUIT").unwrap();
        drop(stdin);
    });
}

#[test]
fn eof_alone_ends_the_plugin_within_100ms() {
    stops_within_100ms(drop);
}

#[test]
fn other_bytes_on_stdin_are_ignored() {
    let (mut g, rx) = sleeping("1", Stdio::piped());
    let mut stdin = g.0.stdin.take().unwrap();
    stdin.write_all(b"QUI\nHELLO\n").unwrap();
    // Still sampling two seconds later.
    let begins = rx
        .collect_for(Duration::from_secs(3))
        .iter()
        .filter(|(_, l)| l.starts_with("BEGIN tcp_resets.resets "))
        .count();
    assert!(begins >= 2, "{begins}");
    assert_eq!(g.0.try_wait().unwrap(), None);
    // A line of its own: "xxQUIT" is not QUIT.
    stdin.write_all(b"xxQUIT\nQUIT").unwrap();
    assert_eq!(g.wait_for(LIMIT).expect("QUIT ignored").code(), Some(0));
}

#[test]
fn null_stdin_is_not_a_reason_to_stop() {
    let out = run(
        plugin(Some(&fixture("linux-6.18")), &["1", "--iterations", "3"]),
        LIMIT,
    );
    assert!(out.status.success());
    let s = protocol::validate(&out.stdout).unwrap();
    assert_eq!(s.samples("tcp_resets.resets").len(), 3);
}

#[test]
fn vanished_source_leaves_values_empty_logs_once_and_recovers() {
    let dir = fixture_copy("linux-6.18");
    let snmp = dir.join("proc/net/snmp");
    let saved = std::fs::read(&snmp).unwrap();

    let mut g = Guard::spawn(plugin(Some(dir.path()), &["1"]));
    let rx = g.stdout_lines();
    let next_attempt_fails = |rx: &Lines| -> String {
        rx.wait_for("SET AttemptFails", LIMIT, |l| {
            l.starts_with("SET AttemptFails")
        })
    };
    assert_eq!(next_attempt_fails(&rx), "SET AttemptFails = 1001");
    std::fs::remove_file(&snmp).unwrap();
    // Skip a sample that may have been formatted before the removal.
    next_attempt_fails(&rx);
    for _ in 0..3 {
        assert_eq!(next_attempt_fails(&rx), "SET AttemptFails =");
    }
    // Replaced by a new file with other values: read from the new file.
    let changed = String::from_utf8(saved)
        .unwrap()
        .replace(" 1001 ", " 1500 ");
    std::fs::write(&snmp, changed).unwrap();
    next_attempt_fails(&rx);
    assert_eq!(next_attempt_fails(&rx), "SET AttemptFails = 1500");
    assert_eq!(
        g.0.try_wait().unwrap(),
        None,
        "the plugin must keep running"
    );
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));
    let err = g.stderr_text();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("proc/net/snmp: cannot read: No such file or directory"),
        "{err}"
    );
    assert!(lines[1].contains("proc/net/snmp: readable again"), "{err}");
}

#[test]
fn logfmt_and_json_formats_and_level_filter() {
    for format in ["logfmt", "json"] {
        let mut c = plugin(
            Some(&fixture("broken-garbage")),
            &["1", "--iterations", "2"],
        );
        c.env("NETDATA_LOG_FORMAT", format);
        let out = run(c, LIMIT);
        assert!(out.status.success());
        assert_eq!(out.stderr.lines().count(), 4, "{}", out.stderr);
        for l in out.stderr.lines() {
            if format == "logfmt" {
                assert!(l.starts_with("time=20"), "{l}");
                assert!(
                    l.contains(" comm=tcp_resets.plugin source=collector level=error "),
                    "{l}"
                );
            } else {
                let v: serde_json::Value = serde_json::from_str(l).expect(l);
                assert!(v["time"].as_u64().is_some(), "{l}");
                assert_eq!(v["comm"], "tcp_resets.plugin", "{l}");
                assert_eq!(v["level"], 3, "{l}");
            }
        }
    }
    let mut c = plugin(Some(&fixture("no-netstat")), &["1", "--iterations", "1"]);
    c.env("NETDATA_LOG_LEVEL", "error");
    let out = run(c, LIMIT);
    assert!(out.status.success());
    assert_eq!(out.stderr, "", "warnings must be dropped below level error");
}

#[test]
fn syncookie_setting_change_shows_within_ten_seconds() {
    let dir = fixture_copy("linux-6.18");
    let setting = dir.join("proc/sys/net/ipv4/tcp_syncookies");
    let mut g = Guard::spawn(plugin(Some(dir.path()), &["1"]));
    let rx = g.stdout_lines();
    let next_variable = |rx: &Lines, limit: Duration| -> String {
        rx.wait_for("a VARIABLE line", limit, |l| l.starts_with("VARIABLE"))
    };
    assert_eq!(
        next_variable(&rx, LIMIT),
        "VARIABLE CHART tcp_syncookies = 1"
    );
    std::fs::write(&setting, "0\n").unwrap();
    let t = Instant::now();
    loop {
        let l = next_variable(&rx, Duration::from_secs(12));
        if l == "VARIABLE CHART tcp_syncookies = 0" {
            break;
        }
        assert_eq!(l, "VARIABLE CHART tcp_syncookies = 1");
    }
    assert!(t.elapsed() <= Duration::from_secs(11), "{:?}", t.elapsed());
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));
}

#[test]
fn usage_errors_honour_netdata_log_format() {
    for (format, check) in [("logfmt", "level=error tid="), ("json", "\"level\":3,")] {
        let mut c = plugin(None, &["--bogus"]);
        c.env("NETDATA_LOG_FORMAT", format);
        let out = run(c, LIMIT);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(out.stdout, "");
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains(check), "{format}: {}", out.stderr);
        assert!(
            out.stderr.contains("unknown option '--bogus'"),
            "{}",
            out.stderr
        );
    }
}

/// One datagram of systemd's native journal protocol, as (key, value).
fn journal_fields(d: &[u8]) -> Vec<(String, String)> {
    let mut v = Vec::new();
    let mut rest = d;
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').expect("newline");
        let line = &rest[..nl];
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            v.push((
                String::from_utf8_lossy(&line[..eq]).into_owned(),
                String::from_utf8_lossy(&line[eq + 1..]).into_owned(),
            ));
            rest = &rest[nl + 1..];
        } else {
            let len = u64::from_le_bytes(rest[nl + 1..nl + 9].try_into().unwrap()) as usize;
            v.push((
                String::from_utf8_lossy(line).into_owned(),
                String::from_utf8_lossy(&rest[nl + 9..nl + 9 + len]).into_owned(),
            ));
            assert_eq!(rest[nl + 9 + len], b'\n');
            rest = &rest[nl + 10 + len..];
        }
    }
    v
}

#[test]
fn journal_method_sends_native_entries_to_the_socket_netdata_names() {
    use std::os::unix::net::UnixDatagram;
    let dir = common::TempDir::new("journal");
    let socket = dir.join("socket");
    let journal = UnixDatagram::bind(&socket).unwrap();
    journal
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut c = plugin(
        Some(&fixture("broken-garbage")),
        &["1", "--iterations", "2"],
    );
    c.env("NETDATA_LOG_METHOD", "journal")
        .env("NETDATA_LOG_FORMAT", "logfmt")
        .env("NETDATA_SYSTEMD_JOURNAL_PATH", &socket)
        .env("NETDATA_INVOCATION_ID", "657b9a9b2ab54d338ff82285da31a0a8");
    let out = run(c, LIMIT);
    assert!(out.status.success());
    assert_eq!(out.stderr, "", "everything goes to the journal");
    let mut entries = Vec::new();
    let mut buf = [0u8; 65536];
    for _ in 0..4 {
        let n = journal.recv(&mut buf).expect("a journal entry");
        entries.push(journal_fields(&buf[..n]));
    }
    for e in &entries {
        let get = |k: &str| {
            e.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {k} in {e:?}"))
        };
        assert_eq!(get("SYSLOG_IDENTIFIER"), "tcp_resets.plugin");
        assert_eq!(get("ND_LOG_SOURCE"), "collector");
        assert_eq!(get("PRIORITY"), "3");
        assert_eq!(get("INVOCATION_ID"), "657b9a9b2ab54d338ff82285da31a0a8");
        assert!(get("MESSAGE").contains("broken-garbage/proc/"), "{e:?}");
    }
    journal.set_nonblocking(true).unwrap();
    assert!(journal.recv(&mut buf).is_err(), "more than four entries");
}
