//! The `tcp-listeners` table of the real binary: asked on stdin the way
//! netdata 1.37 and 2.x ask, and by hand (`--listeners`), checked against
//! `ss -ltnm` (iproute2) as the oracle for queue, limit and drops.

mod common;
mod protocol;

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::child::{plugin, run, Guard};
use common::traffic::overflowing;
use common::{fixture, listener_row as row, ss_listener as ss, sys};

const LIMIT: Duration = Duration::from_secs(10);

fn listeners_json() -> serde_json::Value {
    let out = run(plugin(None, &["--listeners", "--json"]), LIMIT);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn by_hand_the_overflowing_listener_matches_ss() {
    if Command::new("ss").arg("-V").output().is_err() {
        common::skip(
            common::Need::Tools,
            "by_hand_the_overflowing_listener_matches_ss",
            "ss (iproute2) is not installed",
        );
        return;
    }
    let (_l, _socks, port) = overflowing(3, 10);
    let (q0, limit, d0) = ss(port).expect("ss sees the listener");
    let table = listeners_json();
    let (q1, _, d1) = ss(port).unwrap();
    let get = row(&table, port);
    eprintln!(
        "ss: queue {q0}->{q1}, limit {limit}, drops {d0}->{d1}; ours: {:?} {:?} {:?}",
        get("Queue"),
        get("Limit"),
        get("Drops")
    );
    // The kernel lets the accept queue run one over its limit.
    assert_eq!((q0, q1, limit), (4, 4, 3));
    assert_eq!(get("Queue"), 4);
    assert_eq!(get("Limit"), 3);
    // The queue holds the limit and one more: full, refusing.
    assert_eq!(get("Fill"), 100);
    assert_eq!(get("Status"), "refusing");
    let drops = get("Drops").as_u64().unwrap();
    assert!(
        d0 > 0 && (d0..=d1).contains(&drops),
        "{d0} <= {drops} <= {d1}"
    );
    assert_eq!(get("PID"), std::process::id());
    // The text form shows the same row.
    let out = run(plugin(None, &["--listeners"]), LIMIT);
    assert!(out.status.success());
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("127.0.0.1:{port} ")))
        .expect("our row");
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1..5], ["refusing", "4", "3", "100%"], "{line}");
    assert!(out.stdout.starts_with("LISTENER "), "{}", out.stdout);
}

#[test]
fn without_sock_diag_one_line_and_exit_1() {
    // strace makes every socket() fail, as on a kernel without sock_diag.
    let Some(c) = common::under_strace(
        "without_sock_diag_one_line_and_exit_1",
        &[
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "inject=socket:error=EAFNOSUPPORT",
        ],
        &["--listeners"],
    ) else {
        return;
    };
    let out = run(c, LIMIT);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "cannot list the listeners: sock_diag netlink socket: Address family not supported"
        ),
        "{}",
        out.stderr
    );
}

/// Runs the plugin at a 1 s interval with `requests` written to its stdin
/// after the first sample; returns everything it wrote in 3 s.
fn asked(requests: &[u8]) -> protocol::Stream {
    let mut c = plugin(Some(&fixture("linux-6.18")), &["1"]);
    c.stdin(Stdio::piped());
    let mut g = Guard::spawn(c);
    let mut stdin = g.0.stdin.take().unwrap();
    let lines = g.stdout_lines();
    // The whole stream from the start: registration, definitions, samples,
    // answers, so that the validator sees it all in order.
    let mut text = String::new();
    while let Some(l) = lines.next(LIMIT) {
        text.push_str(&l);
        text.push('\n');
        if l == "END" && text.contains("BEGIN tcp_resets.spoofing") {
            break;
        }
    }
    stdin.write_all(requests).unwrap();
    for (_, l) in lines.collect_for(Duration::from_secs(3)) {
        text.push_str(&l);
        text.push('\n');
    }
    g.signal(libc::SIGTERM);
    assert_eq!(g.wait_for(LIMIT).unwrap().code(), Some(0));
    drop(stdin);
    protocol::validate(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn calls_on_stdin_from_both_netdata_versions_are_answered_between_samples() {
    let (_l, _socks, port) = overflowing(3, 10);
    let s = asked(
            b"FUNCTION ffaa80ec-e8f2-11f1-82a4-02fc00000001 10 \"tcp-listeners\"\n\
             FUNCTION cbf78ae1e3814d23bc69b6e530162ded 10 \"tcp-listeners info\" \"0x8\" \"method=none,role=any,permissions=0x8,ip=localhost\"\n\
             FUNCTION_PAYLOAD 3d6c 5 \"tcp-listeners\" \"0x8\" \"m\" \"application/json\"\n{\"x\":\n1}\nFUNCTION_PAYLOAD_END\n\
             FUNCTION_PAYLOAD 3d6d 5 \"tcp-listeners\" \"0x13\" \"m\" \"application/json\"\n{\"info\": true}\nFUNCTION_PAYLOAD_END\n\
             FUNCTION 0a0b 10 \"tcp-listeners\" \"0x13\" \"method=cloud\"\n"
        ,
    );
    let txs: Vec<&str> = s.results.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        txs,
        [
            "ffaa80ec-e8f2-11f1-82a4-02fc00000001",
            "cbf78ae1e3814d23bc69b6e530162ded",
            "3d6c",
            "3d6d",
            "0a0b"
        ]
    );
    let bodies: Vec<serde_json::Value> = s
        .results
        .iter()
        .map(|(_, status, kind, body)| {
            assert_eq!((*status, kind.as_str()), (200, "application/json"));
            serde_json::from_str(body).unwrap()
        })
        .collect();
    // 1.37's call (no access) and the anonymous one: the table without
    // owners.
    for v in [&bodies[0], &bodies[2]] {
        assert_eq!(v["type"], "table");
        assert_eq!(row(v, port)("Limit"), 3);
        assert_eq!(row(v, port)("Status"), "refusing");
        assert!(v["columns"].get("PID").is_none(), "{}", v["columns"]);
    }
    // Info, asked as a word or in a JSON body: metadata only.
    for v in [&bodies[1], &bodies[3]] {
        assert_eq!(v["v"], 3);
        assert!(v.get("data").is_none() && v.get("columns").is_none(), "{v}");
    }
    // A caller with sensitive access sees the owner: this test.
    let full = &bodies[4];
    assert_eq!(row(full, port)("PID"), std::process::id());
    // Each data call knows the drops since the one before; info calls
    // moved nothing.
    assert!(bodies[0]["help"].as_str().unwrap().contains("First call"));
    assert!(row(&bodies[2], port)("NewDrops").as_u64().is_some());
    // Samples went on around the answers.
    assert!(s.samples("tcp_resets.resets").len() >= 2);
}

#[test]
fn unknown_malformed_and_cancelled_calls_get_error_answers() {
    let s = asked(
        b"FUNCTION t1 10 \"processes\"\n\
          FUNCTION t2 x \"tcp-listeners\"\n\
          FUNCTION t3 10 \"tcp-listeners\"\nFUNCTION_CANCEL t3\n\
          hello\n",
    );
    let answers: Vec<(&str, u16)> = s.results.iter().map(|r| (r.0.as_str(), r.1)).collect();
    assert_eq!(answers, [("t1", 404), ("t2", 400), ("t3", 499)]);
    for (_, status, _, body) in &s.results {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["status"], u64::from(*status));
        assert!(v["errorMessage"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn the_functions_are_registered_once_before_the_charts() {
    let out = run(
        plugin(Some(&fixture("linux-6.18")), &["1", "--iterations", "1"]),
        LIMIT,
    );
    let s = protocol::validate(&out.stdout).unwrap();
    assert_eq!(s.functions.len(), 2);
    let (name, timeout, help, rest) = &s.functions[0];
    assert_eq!((name.as_str(), *timeout), ("tcp-listeners", 10));
    assert!(help.contains("accept and SYN queues"));
    assert_eq!(rest, &["top", "0x8", "100", "0"]);
    let (name, timeout, help, rest) = &s.functions[1];
    assert_eq!((name.as_str(), *timeout), ("tcp-resets", 10));
    assert!(help.contains("reason"));
    assert_eq!(rest, &["top", "0x8", "101", "0"]);
    assert!(out.stdout.starts_with("FUNCTION GLOBAL \"tcp-listeners\" "));
}

#[test]
fn sigterm_ends_an_answer_blocked_on_a_stalled_reader() {
    // Sixty listeners make an answer bigger than the 4 KiB pipe: it is
    // written in part, then blocks; a stop signal that arrives then must
    // end the plugin, not leave it blocked on the rest.
    let _listeners: Vec<TcpListener> = (0..60)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
        .collect();
    let mut c = plugin(Some(&fixture("linux-6.18")), &["1"]);
    c.stdin(Stdio::piped());
    let mut g = Guard::spawn(c);
    let out = g.0.stdout.take().unwrap();
    assert!(sys::set_pipe_size(out.as_fd(), 4096) >= 4096);
    let mut stdin = g.0.stdin.take().unwrap();
    stdin
        .write_all(b"FUNCTION t1 10 \"tcp-listeners\"\n")
        .unwrap();
    common::wait_until_blocked(&out);
    g.exits_0_within_100ms_of(
        |g| g.signal(libc::SIGTERM),
        Duration::from_secs(3),
        "SIGTERM during a write of an answer blocked on a full pipe",
    );
    drop((out, stdin));
}
