//! The Function `tcp-resets` of the real binary, asked on stdin as netdata
//! 2.x asks, in a network namespace of the test's own (root, tracefs and
//! perf). Tracepoints see every namespace of the host: each case counts
//! only rows of its own loopback addresses (127.0.0.7, 127.0.0.8,
//! 127.1.x.y), and the reason a reset is sent for is read from the kernel
//! itself (an ftrace instance of its own), never assumed. The cases run
//! one at a time (a lock): a scan of 10,000 addresses in one would rightly
//! push another's single reset out of every plugin's table.

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::time::Duration;

use common::child::Asker;
use common::traffic;
use common::{skip, Need};

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Takes the lock, whether or not a case before failed.
fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Skips (or, with REQUIRE_TOOLS=1, fails) a case that cannot run here.
fn ready(test: &str) -> bool {
    if let Err(why) = traffic::private_network() {
        skip(Need::Tools, test, &why);
        return false;
    }
    if !std::path::Path::new("/sys/kernel/tracing/events/tcp/tcp_send_reset").exists() {
        skip(
            Need::Tools,
            test,
            "no tracefs with tcp:tcp_send_reset at /sys/kernel/tracing (mount -t tracefs nodev /sys/kernel/tracing; .ci/run does)",
        );
        return false;
    }
    true
}

/// The table, asked by a caller who may see the peers.
fn table(a: &mut Asker) -> serde_json::Value {
    let (status, v) = a.call("tcp-resets", Some("0x13"));
    assert_eq!(status, 200, "{v}");
    v
}

/// Every row of `t` as (column key -> cell).
fn rows(t: &serde_json::Value) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let cols = t["columns"].as_object().unwrap();
    t["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            cols.iter()
                .map(|(k, c)| (k.clone(), r[c["index"].as_u64().unwrap() as usize].clone()))
                .collect()
        })
        .collect()
}

/// The rows of peer `peer` sent or received.
fn of(
    t: &serde_json::Value,
    direction: &str,
    peer: &str,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    rows(t)
        .into_iter()
        .filter(|r| r["Direction"] == direction && r["Remote"] == peer)
        .collect()
}

/// Waits until the plugin has drained what the kernel recorded: its next
/// sample (a drain) after `d`.
fn settle() {
    std::thread::sleep(Duration::from_millis(1500));
}

#[test]
fn a_thousand_refused_connections_from_one_peer_are_one_row_of_a_thousand() {
    let test = "a_thousand_refused_connections_from_one_peer_are_one_row_of_a_thousand";
    let _alone = alone();
    if !ready(test) {
        return;
    }
    let mut a = Asker::start(None);
    settle();
    let closed = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 9), 81);
    traffic::refused_from(Ipv4Addr::new(127, 0, 0, 7), closed, 1000);
    settle();
    let t = table(&mut a);
    let sent = of(&t, "sent", "127.0.0.7");
    eprintln!("sent to 127.0.0.7: {sent:?}");
    assert_eq!(sent.len(), 1, "{t}");
    let r = &sent[0];
    assert_eq!(r["LastMinute"], 1000);
    assert_eq!(r["Local"], "127.0.0.9");
    assert_eq!(r["LocalPort"], closed.port().to_string());
    // The client's port changes with every connection.
    assert_eq!(r["RemotePort"], "any");
    let every = !t["help"].as_str().unwrap().contains("full sockets only");
    if every {
        assert_eq!(r["Reason"], "NO_SOCKET");
    }
    // The client received each reset too.
    let received: u64 = of(&t, "received", "127.0.0.9")
        .iter()
        .filter(|r| r["Local"] == "127.0.0.7")
        .map(|r| r["LastMinute"].as_u64().unwrap())
        .sum();
    assert_eq!(received, 1000);
    // An anonymous caller gets the same counts without the peer (on
    // loopback the client's address shows again as the local address of
    // the resets it received).
    let (status, anon) = a.call("tcp-resets", Some("0x8"));
    assert_eq!(status, 200);
    for peer in ["Remote", "RemotePort"] {
        assert!(anon["columns"].get(peer).is_none(), "{}", anon["columns"]);
    }
    let sent: Vec<_> = rows(&anon)
        .into_iter()
        .filter(|r| r["Direction"] == "sent" && r["Local"] == "127.0.0.9")
        .collect();
    assert_eq!(sent.len(), 1, "{anon}");
    assert_eq!(sent[0]["LastMinute"], 1000);
    assert!(!serde_json::Value::from(sent[0].clone())
        .to_string()
        .contains("127.0.0.7"));
    a.stop();
}

/// An ftrace instance of the test's own, with `tcp:tcp_send_reset`
/// enabled: the kernel's own text of each reset it sends (an oracle
/// independent of the plugin's decoder). Removed on drop.
struct Ftrace(std::path::PathBuf);

impl Ftrace {
    fn start() -> Ftrace {
        let dir = std::path::PathBuf::from(format!(
            "/sys/kernel/tracing/instances/tcp_resets_test_{}",
            std::process::id()
        ));
        std::fs::create_dir(&dir).unwrap();
        let f = Ftrace(dir);
        std::fs::write(f.0.join("events/tcp/tcp_send_reset/enable"), "1").unwrap();
        f
    }

    /// The `reason=` of the resets sent from `local`.
    fn reasons_from(&self, local: &str) -> Vec<String> {
        let text = std::fs::read_to_string(self.0.join("trace")).unwrap();
        text.lines()
            .filter(|l| l.contains(&format!("src={local}:")))
            .filter_map(|l| l.split("reason=").nth(1))
            .map(|r| r.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    }
}

impl Drop for Ftrace {
    fn drop(&mut self) {
        let _ = std::fs::write(self.0.join("events/tcp/tcp_send_reset/enable"), "0");
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_linger_0_close_is_seen_sent_with_the_kernels_reason_and_received_by_the_client() {
    let test = "a_linger_0_close_is_seen_sent_with_the_kernels_reason_and_received_by_the_client";
    let _alone = alone();
    if !ready(test) {
        return;
    }
    let mut a = Asker::start(None);
    let trace = Ftrace::start();
    settle();
    // A server's port outside the ephemeral range: the client's is the
    // one that says "any".
    let server = TcpListener::bind((Ipv4Addr::new(127, 0, 0, 8), 8080)).unwrap();
    let port = server.local_addr().unwrap().port();
    let client = TcpStream::connect((Ipv4Addr::new(127, 0, 0, 8), port)).unwrap();
    let (accepted, _) = server.accept().unwrap();
    use std::os::fd::AsFd;
    common::sys::linger_zero(accepted.as_fd());
    drop(accepted);
    settle();
    let t = table(&mut a);
    let kernel = trace.reasons_from("127.0.0.8");
    eprintln!("the kernel's reasons: {kernel:?}");
    let sent: Vec<_> = rows(&t)
        .into_iter()
        .filter(|r| r["Direction"] == "sent" && r["Local"] == "127.0.0.8")
        .collect();
    assert_eq!(sent.len(), 1, "{t}");
    assert_eq!(sent[0]["LastMinute"], 1);
    assert_eq!(sent[0]["LocalPort"], port.to_string());
    if let [reason] = kernel.as_slice() {
        if !reason.is_empty() {
            assert_eq!(sent[0]["Reason"], reason.as_str());
        }
    }
    // The client's side: one reset received from the server.
    let received = of(&t, "received", "127.0.0.8");
    assert_eq!(received.len(), 1, "{t}");
    assert_eq!(received[0]["LastMinute"], 1);
    assert_eq!(received[0]["RemotePort"], port.to_string());
    drop(client);
    a.stop();
}

#[test]
fn a_scan_from_ten_thousand_addresses_stays_bounded_and_keeps_the_top_talker() {
    let test = "a_scan_from_ten_thousand_addresses_stays_bounded_and_keeps_the_top_talker";
    let _alone = alone();
    if !ready(test) {
        return;
    }
    let mut a = Asker::start(None);
    settle();
    let closed = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 10), 82);
    // The top talker first, then 10,000 others once each, then the top
    // talker again.
    traffic::refused_from(Ipv4Addr::new(127, 0, 0, 17), closed, 1500);
    traffic::paced(10_000, |i| {
        let from = Ipv4Addr::from(0x7f01_0000 + i as u32);
        traffic::refused_from(from, closed, 1);
    });
    traffic::refused_from(Ipv4Addr::new(127, 0, 0, 17), closed, 1500);
    settle();
    let t = table(&mut a);
    let all = rows(&t);
    eprintln!("{} rows; help: {}", all.len(), t["help"]);
    assert!(all.len() <= 2 * 1024, "{} rows", all.len());
    let first_sent = all
        .iter()
        .find(|r| r["Direction"] == "sent")
        .expect("a sent row");
    assert_eq!(first_sent["Remote"], "127.0.0.17");
    let count = first_sent["Last10Minutes"].as_u64().unwrap();
    let over = first_sent["Overestimate"].as_u64().unwrap();
    assert!(
        count >= 3000 && count - over <= 3000,
        "the top talker: {count}, over-estimate {over}; {}",
        t["help"]
    );
    a.stop();
}
