use super::sink::{connect, facility, JOURNAL_SOCKETS};
use super::*;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

fn memory(min: Level, format: Format) -> Log {
    Log {
        min,
        format,
        ..Log::memory_for_tests()
    }
}

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

/// Parses one datagram of systemd's native journal protocol.
fn journal_fields(d: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut rest = d;
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let line = &rest[..nl];
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            v.push((
                String::from_utf8(line[..eq].to_vec()).unwrap(),
                line[eq + 1..].to_vec(),
            ));
            rest = &rest[nl + 1..];
        } else {
            let key = String::from_utf8(line.to_vec()).unwrap();
            let len = u64::from_le_bytes(rest[nl + 1..nl + 9].try_into().unwrap()) as usize;
            let value = rest[nl + 9..nl + 9 + len].to_vec();
            assert_eq!(rest[nl + 9 + len], b'\n');
            v.push((key, value));
            rest = &rest[nl + 10 + len..];
        }
    }
    v
}

#[test]
fn messages_below_the_level_are_dropped() {
    let mut l = memory(Level::Error, Format::Plain);
    l.info(&["hidden"]);
    l.warning(&["hidden"]);
    l.error(&["shown"]);
    assert_eq!(l.memory_text(), "tcp_resets.plugin: error: shown\n");
}

#[test]
fn level_names_as_netdata_writes_them() {
    assert_eq!(Level::parse("ERROR"), Some(Level::Error));
    assert_eq!(Level::parse("warn"), Some(Level::Warning));
    assert_eq!(Level::parse("debug"), Some(Level::Debug));
    assert_eq!(Level::parse("loud"), None);
}

#[test]
fn overlong_messages_are_cut_to_one_line() {
    let mut l = memory(Level::Info, Format::Plain);
    l.error(&[&"x".repeat(5000)]);
    let s = l.memory_text();
    assert_eq!(s.len(), "tcp_resets.plugin: error: ".len() + MESSAGE + 1);
    assert!(s.ends_with('\n'));
}

/// A datagram socket bound in a new temporary directory (removed by
/// the caller): the journal's or syslog's stand-in.
fn bound(tag: &str) -> (std::path::PathBuf, std::path::PathBuf, UnixDatagram) {
    let dir = std::env::temp_dir().join(format!("tcp_resets-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("socket");
    let server = UnixDatagram::bind(&sock).unwrap();
    (dir, sock, server)
}

#[test]
fn journal_entries_carry_netdata_fields_and_binary_safe_values() {
    let (dir, sock, server) = bound("journal");
    let path = sock.to_str().unwrap();
    let vars = [
        ("NETDATA_LOG_METHOD", "journal"),
        ("NETDATA_LOG_FORMAT", "logfmt"),
        ("NETDATA_SYSTEMD_JOURNAL_PATH", path),
        (
            "NETDATA_INVOCATION_ID",
            "657B9A9B-2AB5-4D33-8FF8-2285DA31A0A8",
        ),
    ];
    let mut l = Log::from_env(env(&vars));
    assert!(l.to_journal());
    l.warning(&["two\nlines"]);
    let mut d = [0u8; 4096];
    let n = server.recv(&mut d).unwrap();
    let f = journal_fields(&d[..n]);
    let keys: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "SYSLOG_IDENTIFIER",
            "ND_LOG_SOURCE",
            "PRIORITY",
            "INVOCATION_ID",
            "TID",
            "MESSAGE"
        ]
    );
    assert_eq!(f[0].1, b"tcp_resets.plugin");
    assert_eq!(f[1].1, b"collector");
    assert_eq!(f[2].1, b"4");
    assert_eq!(f[3].1, b"657b9a9b2ab54d338ff82285da31a0a8");
    assert_eq!(f[5].1, b"two\nlines");
    // The journal went away: the message is written to stderr instead
    // (seen here as no panic and no datagram).
    drop(server);
    l.error(&["after"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn journal_without_a_socket_falls_back_to_stderr() {
    let vars = [
        ("NETDATA_LOG_METHOD", "journal"),
        ("NETDATA_SYSTEMD_JOURNAL_PATH", "/nonexistent/socket"),
        ("NETDATA_HOST_PREFIX", "/nonexistent"),
    ];
    let l = Log::from_env(env(&vars));
    // This machine may have a journald; only without one is stderr used.
    if !Path::new(JOURNAL_SOCKETS[0]).exists() && !Path::new(JOURNAL_SOCKETS[1]).exists() {
        assert!(!l.to_journal());
        assert_eq!(l.format, Format::Plain);
    }
}

#[test]
fn syslog_datagram_is_pri_ident_pid_and_logfmt() {
    let (dir, sock, server) = bound("syslog");
    let mut l = Log {
        min: Level::Info,
        format: Format::Plain,
        sink: Sink::Syslog(connect(&sock).unwrap(), facility(Some("local3"))),
        invocation: None,
    };
    l.warning(&["queue full"]);
    let mut d = [0u8; 4096];
    let n = server.recv(&mut d).unwrap();
    let s = std::str::from_utf8(&d[..n]).unwrap();
    let head = format!("<156>tcp_resets.plugin[{}]: time=", std::process::id());
    assert!(s.starts_with(&head), "{s}");
    assert!(
        s.ends_with(" level=warning tid=") || s.contains("msg=\"queue full\""),
        "{s}"
    );
    assert!(!s.ends_with('\n'));
    assert_eq!(facility(Some("bogus")), 3);
    let _ = std::fs::remove_dir_all(&dir);
}
