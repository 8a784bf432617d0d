//! What `tcp-listeners` calls an overflow, proven with the real binary in a
//! network namespace of the test's own (root): a `TCP_DEFER_ACCEPT`
//! listener serving 1,000 connections, a listener whose handshakes end in
//! resets, and a backlog-3 listener that never accepts, each alone between
//! two calls and then all at once, asked on stdin as netdata 2.x asks.

mod common;

use common::child::Asker;
use common::traffic;
use common::{listener_row as row, skip, Need};

fn private(test: &str) -> bool {
    if let Err(why) = traffic::private_network() {
        skip(Need::Tools, test, &why);
        return false;
    }
    if let Err(why) = traffic::have_iptables() {
        skip(Need::Tools, test, &why);
        return false;
    }
    true
}

/// A data call of a caller with sensitive access.
fn table(a: &mut Asker) -> serde_json::Value {
    let (status, v) = a.call("tcp-listeners", Some("0x13"));
    assert_eq!(status, 200, "{v}");
    v
}

/// The ports of the rows, worst first.
fn order(t: &serde_json::Value) -> Vec<u64> {
    let port = t["columns"]["Port"]["index"].as_u64().unwrap() as usize;
    t["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[port].as_u64().unwrap())
        .collect()
}

fn severity(t: &serde_json::Value, port: u16) -> String {
    row(t, port)("rowOptions")["severity"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn overflows_are_told_from_deferred_accept_and_reset_drops() {
    let test = "overflows_are_told_from_deferred_accept_and_reset_drops";
    if !private(test) {
        return;
    }
    let mut a = Asker::start(None);
    let (deferred, deferred_port) = traffic::deferred_listener();
    table(&mut a);

    // 1. Deferred accept alone: a thousand drops, no overflow.
    traffic::serve_deferred(&deferred, 1000);
    let t = table(&mut a);
    let d = row(&t, deferred_port);
    eprintln!("deferred alone: {} drops, {}", d("NewDrops"), d("Status"));
    assert!(d("NewDrops").as_u64().unwrap() >= 1000, "{t}");
    assert_eq!(d("Status"), "drops, no overflow");
    assert_eq!(d("OverflowsMax"), 0);
    assert_eq!(severity(&t, deferred_port), "normal");

    // 2. Handshakes ended by resets alone: drops, no overflow.
    let (_resets, resets_port) = traffic::reset_handshakes(10).unwrap();
    let t = table(&mut a);
    let r = row(&t, resets_port);
    eprintln!("resets alone: {} drops, {}", r("NewDrops"), r("Status"));
    assert_eq!(r("NewDrops"), 10, "{t}");
    assert_eq!(r("Status"), "drops, no overflow");

    // 3. All at once, with a backlog-3 listener that never accepts: it is
    // first and critical; neither other is called overflowing.
    let (_never, _clients, never_port) = traffic::overflowing(3, 20);
    let (_resets2, resets2_port) = traffic::reset_handshakes(10).unwrap();
    traffic::serve_deferred(&deferred, 1000);
    let t = table(&mut a);
    eprintln!("all at once: order {:?}; help: {}", order(&t), t["help"]);
    assert_eq!(order(&t)[0], u64::from(never_port), "{t}");
    assert_eq!(row(&t, never_port)("Status"), "refusing");
    assert_eq!(severity(&t, never_port), "critical");
    for port in [deferred_port, resets2_port] {
        let status = row(&t, port)("Status");
        assert!(
            !matches!(status.as_str().unwrap(), "refusing" | "overflowed"),
            "{port}: {status}"
        );
        assert!(!matches!(
            severity(&t, port).as_str(),
            "warning" | "critical"
        ));
    }
    let rank = |p: u16| order(&t).iter().position(|&x| x == u64::from(p)).unwrap();
    assert!(rank(deferred_port) > rank(never_port));

    // 4. The listener that never accepts, alone since: still first,
    // refusing, and its overflows since the previous call proven.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let t = table(&mut a);
    let n = row(&t, never_port);
    eprintln!(
        "never accepts, later: {} new drops, overflows {}..{}",
        n("NewDrops"),
        n("OverflowsMin"),
        n("OverflowsMax")
    );
    assert_eq!(order(&t)[0], u64::from(never_port));
    assert_eq!(n("Status"), "refusing");
    a.stop();
}
