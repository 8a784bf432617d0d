//! Zero heap allocations per drain, counted by a global allocator: the
//! pure path (ring walk, sample decoding, the heavy-hitters table) on a
//! ring image full of 6.18 samples, and, as root, the live tracer when idle
//! and after a burst of resets.

mod common;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};

use common::sys::Counting;
use common::{skip, Need};
use tcp_resets::platform::linux::tracepoints::event::Layouts;
use tcp_resets::platform::linux::tracepoints::format::parse;
use tcp_resets::platform::linux::tracepoints::perf::{self, RingSize, Tracer};
use tcp_resets::platform::linux::tracepoints::ring::{walk, Record};
use tcp_resets::resets::top::{PortRule, Top, DEFAULT_CAPACITY};

#[global_allocator]
static GLOBAL: Counting = Counting;

const SEND: &[u8] = include_bytes!("fixtures/tracefs/6.18/tcp_send_reset/format");
const RECEIVE: &[u8] = include_bytes!("fixtures/tracefs/6.18/tcp_receive_reset/format");

/// A 6.18 `tcp_send_reset` sample: a closed-port reset to 10.0.x.y.
fn send_sample(i: u32) -> Vec<u8> {
    let mut raw = vec![0u8; 88];
    raw[0..2].copy_from_slice(&2280u16.to_ne_bytes());
    raw[28..32].copy_from_slice(&1u32.to_ne_bytes());
    for (at, ip, port) in [
        (32, [127, 0, 0, 1], 9u16),
        (60, (0x0a00_0000 + i).to_be_bytes(), 40000),
    ] {
        raw[at..at + 2].copy_from_slice(&2u16.to_ne_bytes());
        raw[at + 2..at + 4].copy_from_slice(&port.to_be_bytes());
        raw[at + 4..at + 8].copy_from_slice(&ip);
    }
    raw
}

/// A perf data area of `size` bytes holding `n` samples from `tail` on.
fn ring_image(size: usize, tail: u64, n: u32) -> (Vec<u8>, u64) {
    let mut data = vec![0u8; size];
    let mut at = tail;
    for i in 0..n {
        let raw = send_sample(i);
        let len = (8 + 4 + raw.len()).next_multiple_of(8);
        let mut rec = vec![0u8; len];
        rec[0..4].copy_from_slice(&9u32.to_ne_bytes());
        rec[6..8].copy_from_slice(&(len as u16).to_ne_bytes());
        rec[8..12].copy_from_slice(&(raw.len() as u32).to_ne_bytes());
        rec[12..12 + raw.len()].copy_from_slice(&raw);
        for b in rec {
            data[(at % size as u64) as usize] = b;
            at += 1;
        }
    }
    (data, at)
}

#[test]
fn walking_decoding_and_counting_allocate_nothing() {
    let layouts = Layouts::new(&parse(SEND).unwrap(), &parse(RECEIVE).unwrap()).unwrap();
    let mut top = Top::new(DEFAULT_CAPACITY, PortRule::default());
    // 1,200 samples in a 128 KiB area, starting near its end so that one
    // record wraps.
    let (data, head) = ring_image(128 << 10, (128 << 10) - 40, 1200);
    let before = Counting::count();
    let mut events = 0;
    for round in 0..200u64 {
        let w = walk(&data, (128 << 10) - 40, head, |r| {
            if let Record::Sample(raw) = r {
                let e = layouts.decode(raw).unwrap();
                top.record(&e, 1_800_000_000 + round);
                events += 1;
            }
        });
        assert_eq!(w.samples, 1200);
    }
    assert_eq!(Counting::count() - before, 0);
    assert_eq!(events, 240_000);
    assert_eq!(
        top.len(),
        DEFAULT_CAPACITY,
        "1,200 keys in 1,024 rows: evictions ran too"
    );
}

#[test]
fn live_drains_allocate_nothing() {
    const TEST: &str = "live_drains_allocate_nothing";
    if common::sys::euid() != 0 {
        let need = if Need::Tools.required() {
            Need::Tools
        } else {
            Need::Netdata
        };
        skip(need, TEST, "needs root (tracefs, perf_event_open)");
        return;
    }
    let tracer = perf::tracefs()
        .and_then(|root| perf::read_layouts(&root))
        .and_then(|l| Tracer::with_layouts(l, RingSize::default()));
    let mut tracer = match tracer {
        Ok(t) => t,
        Err(e) => {
            let need = if Need::Tools.required() {
                Need::Tools
            } else {
                Need::Netdata
            };
            skip(need, TEST, &e.to_string());
            return;
        }
    };
    if let Err(e) = common::traffic::private_network() {
        skip(Need::Tools, TEST, &e);
        return;
    }
    let mut top = Top::new(DEFAULT_CAPACITY, perf::port_rule());
    tracer.drain(|e| top.record(e, 0));
    let before = Counting::count();
    for _ in 0..100_000 {
        tracer.drain(|e| top.record(e, 1_800_000_000));
    }
    let idle = Counting::count() - before;
    // A burst of resets (made with the count paused), then drained.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for _ in 0..100 {
        assert!(TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).is_err());
    }
    let before = Counting::count();
    let d = tracer.drain(|e| top.record(e, 1_800_000_001));
    let busy = Counting::count() - before;
    assert_eq!((idle, busy), (0, 0));
    assert!(d.events >= 100, "the burst was drained: {d:?}");
}
