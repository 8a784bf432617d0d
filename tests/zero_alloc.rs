//! Zero heap allocations per sample, counted by a global allocator over the
//! real read-parse-format-write path (no sleeping), on fixture trees and on
//! this machine's live /proc.

mod common;

use std::fs::File;
use std::io::Write;

use tcp_resets::log::Log;
use tcp_resets::platform::{Host, Kernel};
use tcp_resets::plugin::Plugin;

use common::sys::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    Counting::count()
}

const SAMPLES: u64 = 10_000;

/// Drives `SAMPLES` samples; `between(i)` runs before sample `i` with the
/// count paused. Returns the allocations made after the first sample.
fn drive(prefix: &str, between: impl FnMut(u64)) -> u64 {
    drive_n(prefix, SAMPLES, between)
}

fn drive_n(prefix: &str, samples: u64, mut between: impl FnMut(u64)) -> u64 {
    let mut log = Log::from_env(|_| None);
    let (source, found) = Host::open(prefix, &mut log).expect("open the source");
    let mut plugin = Plugin::new(source, found, 1, None, &mut log).expect("charts");
    let mut sink = File::create("/dev/null").expect("open /dev/null");
    let first = plugin.sample(None, &mut log).to_vec();
    assert!(first.starts_with(b"CHART tcp_resets.resets "));
    let capacity = plugin.capacity();
    let mut made = 0;
    for i in 1..samples {
        between(i);
        let before = allocations();
        let bytes = plugin.sample(Some(1_000_000), &mut log);
        sink.write_all(bytes).expect("write");
        made += allocations() - before;
    }
    assert_eq!(plugin.capacity(), capacity, "the output buffer grew");
    made
}

/// Allocations after the first sample on the fixture tree `name`.
fn on_fixture(name: &str) -> u64 {
    drive(common::fixture(name).to_str().unwrap(), |_| ())
}

#[test]
fn fixture_tree_samples_allocate_nothing() {
    assert_eq!(on_fixture("linux-6.18"), 0);
}

#[test]
fn live_proc_samples_allocate_nothing() {
    assert_eq!(drive("", |_| ()), 0);
}

#[test]
fn broken_input_and_its_logging_allocate_nothing() {
    assert_eq!(on_fixture("broken-garbage"), 0);
}

#[test]
fn vanishing_and_returning_file_allocates_nothing() {
    let dir = common::fixture_copy("linux-6.18");
    let snmp = dir.join("proc/net/snmp");
    let saved = std::fs::read(&snmp).unwrap();
    let made = drive(dir.path().to_str().unwrap(), |i| match i {
        3000 => std::fs::remove_file(&snmp).unwrap(),
        6000 => std::fs::write(&snmp, &saved).unwrap(),
        _ => {}
    });
    assert_eq!(made, 0);
}

/// With the reset tracepoints open (root): 200 samples, each after a
/// hundred resets of its own (connections refused on loopback), and each
/// after a wake of the rings (the loop's other drain): nothing allocated.
#[test]
fn samples_with_the_reset_tracepoints_draining_allocate_nothing() {
    use std::cell::RefCell;
    use std::net::{Ipv4Addr, SocketAddrV4};
    use std::rc::Rc;
    use tcp_resets::resets::Resets;
    const TEST: &str = "samples_with_the_reset_tracepoints_draining_allocate_nothing";
    if let Err(why) = common::traffic::private_network() {
        common::skip(common::Need::Tools, TEST, &why);
        return;
    }
    let tracer = match Host::tracer() {
        Ok(t) => t,
        Err(why) => {
            common::skip(common::Need::Tools, TEST, &why.to_string());
            return;
        }
    };
    let mut log = Log::from_env(|_| None);
    let shared = Rc::new(RefCell::new(Resets::new(Box::new(tracer), 1_800_000_000)));
    let (source, found) = Host::open("", &mut log).expect("open the source");
    let mut plugin = Plugin::new(source, found, 1, Some(shared.clone()), &mut log).expect("charts");
    let mut sink = File::create("/dev/null").expect("open /dev/null");
    let first = plugin.sample(None, &mut log).to_vec();
    assert!(String::from_utf8_lossy(&first).contains("CHART tcp_resets.sent_reasons "));
    let to = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 9), 81);
    let mut made = 0;
    for _ in 0..200 {
        common::traffic::refused_from(Ipv4Addr::new(127, 0, 0, 7), to, 100);
        let before = allocations();
        plugin.woken();
        let bytes = plugin.sample(Some(1_000_000), &mut log);
        sink.write_all(bytes).expect("write");
        made += allocations() - before;
    }
    let r = shared.borrow();
    eprintln!("{} rows, {} lost", r.top.len(), r.lost);
    assert!(r.top.len() >= 2, "the resets were seen");
    assert_eq!(made, 0);
}

#[test]
fn the_counter_sees_allocations() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 32]);
    assert_eq!(allocations() - before, 1);
    drop(v);
}

fn rss_kib() -> u64 {
    common::rss_kib(std::process::id())
}

/// One million samples through the real path: zero allocations and flat
/// memory. Long in a debug build, so .ci/run runs it in release mode:
/// `cargo test --release --test zero_alloc -- --ignored`.
#[test]
#[ignore = "a soak; run by .ci/run in release mode"]
fn soak_million_samples_flat_memory() {
    let prefix = common::fixture("linux-6.18");
    let prefix = prefix.to_str().unwrap();
    // Warm up: the same path, so every page it touches is resident.
    assert_eq!(drive_n(prefix, 10_000, |_| ()), 0);
    let before = rss_kib();
    let made = drive_n(prefix, 1_000_000, |_| ());
    let after = rss_kib();
    eprintln!("soak: 1,000,000 samples, {made} allocations, RSS {before} -> {after} KiB");
    assert_eq!(made, 0);
    assert!(
        after <= before + 64,
        "RSS grew from {before} to {after} KiB"
    );
}
