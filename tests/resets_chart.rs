//! `tcp_resets.sent_reasons` adds up to `OutRsts`: the real binary at a
//! 1 s interval in a network namespace of the test's own, with 1,000
//! connections refused and 20 closed with `SO_LINGER` 0, over the same
//! samples. The tracepoint sees every namespace of the host while
//! `OutRsts` counts the plugin's: the equality holds on a quiet host, so
//! this is the only test of its binary (cargo runs test binaries one after
//! another). Root, tracefs and perf are needed; without them it skips
//! loudly, or fails under REQUIRE_TOOLS=1.

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::Stdio;
use std::time::Duration;

use common::child::{plugin, Guard};
use common::{skip, traffic, Need};

mod protocol;

#[test]
fn sent_reasons_add_up_to_out_rsts_in_a_quiet_namespace() {
    let test = "sent_reasons_add_up_to_out_rsts_in_a_quiet_namespace";
    if let Err(why) = traffic::private_network() {
        skip(Need::Tools, test, &why);
        return;
    }
    let mut c = plugin(None, &["1"]);
    c.stdin(Stdio::null());
    let mut g = Guard::spawn(c);
    let lines = g.stdout_lines();
    let mut text = String::new();
    // The definitions and the first sample.
    while let Some(l) = lines.next(Duration::from_secs(10)) {
        text.push_str(&l);
        text.push('\n');
        if l == "END" && text.contains("BEGIN tcp_resets.spoofing") {
            break;
        }
    }
    if !text.contains("CHART tcp_resets.sent_reasons ") {
        skip(
            Need::Tools,
            test,
            "the plugin defined no tcp_resets.sent_reasons here (not root, no tracefs at /sys/kernel/tracing, or a kernel before 6.10)",
        );
        return;
    }
    std::thread::sleep(Duration::from_millis(1200));
    traffic::refused_from(
        Ipv4Addr::new(127, 0, 0, 7),
        SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 9), 81),
        1000,
    );
    let server = TcpListener::bind((Ipv4Addr::new(127, 0, 0, 8), 8080)).unwrap();
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(TcpStream::connect((Ipv4Addr::new(127, 0, 0, 8), 8080)).unwrap());
        let (accepted, _) = server.accept().unwrap();
        common::sys::linger_zero(accepted.as_fd());
    }
    // Three quiet samples after.
    for (_, l) in lines.collect_for(Duration::from_millis(3500)) {
        text.push_str(&l);
        text.push('\n');
    }
    g.signal(libc::SIGTERM);
    let s = protocol::validate(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let first = |chart: &str| s.samples(chart)[0].sets.clone();
    let last = |chart: &str| s.samples(chart).last().unwrap().sets.clone();
    let value = |sets: &std::collections::BTreeMap<String, Option<i64>>, d: &str| sets[d].unwrap();
    let out_rsts = value(&last("tcp_resets.resets"), "OutRsts")
        - value(&first("tcp_resets.resets"), "OutRsts");
    let (a, b) = (
        first("tcp_resets.sent_reasons"),
        last("tcp_resets.sent_reasons"),
    );
    let dims = s.dim_ids("tcp_resets.sent_reasons");
    let by_reason: Vec<(&str, i64)> = dims
        .iter()
        .map(|d| (*d, value(&b, d) - value(&a, d)))
        .filter(|(_, n)| *n != 0)
        .collect();
    let sum: i64 = by_reason.iter().map(|(_, n)| n).sum();
    eprintln!("OutRsts {out_rsts}; sent_reasons {sum}: {by_reason:?}");
    assert_eq!(s.charts["tcp_resets.sent_reasons"].chart_type, "stacked");
    assert!(
        dims.contains(&"no_socket") && dims.contains(&"lost"),
        "{dims:?}"
    );
    assert_eq!(value(&b, "lost"), 0, "records lost");
    assert_eq!(
        out_rsts, 1020,
        "the kernel's own count of the test's resets"
    );
    assert_eq!(sum, out_rsts);
    assert!(by_reason.contains(&("no_socket", 1000)), "{by_reason:?}");
    // The same dimensions in every sample: no churn.
    for block in s.samples("tcp_resets.sent_reasons") {
        let ids: Vec<&str> = block.sets.keys().map(String::as_str).collect();
        let mut want = dims.clone();
        want.sort_unstable();
        assert_eq!(ids, want);
    }
    drop(clients);
}
