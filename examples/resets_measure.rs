//! Measurements of the reset tracer (not a test; root, Linux 4.15+).
//!
//! ```text
//! cargo run --release --example resets_measure -- idle N     # N idle drains: ns per drain
//! cargo run --release --example resets_measure -- storm S R [PAGES [MS]]  # S seconds of R refused connections/s on 127.0.0.1,
//!                                                                     # rings of PAGES data pages drained every MS ms
//! cargo run --release --example resets_measure -- memory
//! ```
//!
//! The connections come in bursts every 10 ms.
//!
//! `idle` also serves callgrind: the instructions of one idle drain are
//! (Ir of `idle N2` - Ir of `idle N1`) / (N2 - N1). `storm` drains every
//! 100 ms from a thread of its own into a 1,024-row table and prints that
//! thread's CPU time (`/proc/thread-self/schedstat`, ns on CPU) against
//! the wall time: the cost of the rings and the table together. The
//! connections are made by the main thread on 127.0.0.1 only; each is one
//! reset sent and one received (two samples on 6.10+).

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tcp_resets::platform::linux::tracepoints::event::Direction;
use tcp_resets::platform::linux::tracepoints::perf::{port_rule, RingSize, Tracer};
use tcp_resets::resets::top::{Top, DEFAULT_CAPACITY};

fn on_cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    s.split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("on-CPU ns")
}

/// `Tcp: OutRsts` of the caller's network namespace.
fn out_rsts() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/net/snmp").expect("snmp");
    let rows: Vec<&str> = s.lines().filter(|l| l.starts_with("Tcp:")).collect();
    let col = rows[0]
        .split_whitespace()
        .position(|w| w == "OutRsts")
        .expect("OutRsts");
    rows[1]
        .split_whitespace()
        .nth(col)
        .and_then(|v| v.parse().ok())
        .expect("a number")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn open(size: RingSize) -> Tracer {
    Tracer::open(size).unwrap_or_else(|e| {
        eprintln!("resets_measure: {e}");
        std::process::exit(1)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    match args.first().map(String::as_str) {
        Some("idle") => {
            let n = arg(1, 10_000_000);
            let mut t = open(RingSize::default());
            let mut top = Top::new(DEFAULT_CAPACITY, port_rule());
            t.drain(|e| top.record(e, now()));
            let start = Instant::now();
            let mut events = 0;
            for _ in 0..n {
                events += t.drain(|e| top.record(e, 0)).events;
            }
            let ns = start.elapsed().as_nanos() as f64 / n.max(1) as f64;
            println!(
                "idle: {n} drains over {} CPUs, {ns:.2} ns per drain, {events} events meanwhile",
                t.cpus()
            );
        }
        Some("storm") => {
            let (secs, rate) = (arg(1, 10), arg(2, 10_000));
            let pages = arg(3, RingSize::default().data_pages as u64) as usize;
            let every = Duration::from_millis(arg(4, 100));
            let mut t = open(RingSize { data_pages: pages });
            let stop = Arc::new(AtomicBool::new(false));
            let drainer = {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut top = Top::new(DEFAULT_CAPACITY, port_rule());
                    let (cpu0, wall0) = (on_cpu_ns(), Instant::now());
                    let (mut events, mut lost, mut sent, mut odd) = (0, 0, 0u64, 0u64);
                    let mut drain = |t: &mut Tracer, top: &mut Top| {
                        let at = now();
                        let d = t.drain(|e| {
                            sent += u64::from(e.direction == Direction::Sent);
                            top.record(e, at);
                        });
                        events += d.events;
                        lost += d.lost;
                        odd += d.undecoded + d.skipped;
                    };
                    while !stop.load(Ordering::Relaxed) {
                        drain(&mut t, &mut top);
                        std::thread::sleep(every);
                    }
                    drain(&mut t, &mut top);
                    let cpu = (on_cpu_ns() - cpu0) as f64;
                    let wall = wall0.elapsed().as_nanos() as f64;
                    (events, lost, sent, odd, cpu, wall, top.top(1))
                })
            };
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let to = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            let rsts0 = out_rsts();
            let (burst, start) = (rate / 100, Instant::now());
            let mut made = 0u64;
            let mut next = start;
            while start.elapsed() < Duration::from_secs(secs) {
                for _ in 0..burst {
                    let _ = TcpStream::connect(to);
                }
                made += burst;
                next += Duration::from_millis(10);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            let rate_made = made as f64 / start.elapsed().as_secs_f64();
            stop.store(true, Ordering::Relaxed);
            let (events, lost, sent, odd, cpu, wall, top) = drainer.join().unwrap();
            let rsts = out_rsts() - rsts0;
            println!("storm: {sent} sent-reset events, Tcp:OutRsts grew by {rsts}; {odd} records undecoded or skipped");
            println!(
                "storm: {made} refused connections ({rate_made:.0}/s) in {secs} s, rings of {pages} pages drained every {every:?}; drained {events} events ({:.0}/s), {lost} lost; \
                 drain thread {:.1} ms on CPU in {:.1} s = {:.3} % of one core, {:.0} ns per event",
                events as f64 / (wall / 1e9),
                cpu / 1e6,
                wall / 1e9,
                100.0 * cpu / wall,
                cpu / events.max(1) as f64
            );
            if let Some(r) = top.first() {
                println!(
                    "storm: top row {:?}: {} in the last minute",
                    r.key, r.minute
                );
            }
        }
        Some("memory") => {
            let t = open(RingSize::default());
            let top = Top::new(DEFAULT_CAPACITY, port_rule());
            println!(
                "memory: rings {} KiB mapped on {} CPUs ({} KiB each, page {} B); table {} KiB for {} rows",
                t.memory() / 1024,
                t.cpus(),
                t.memory() / 1024 / t.cpus().max(1),
                t.page_size(),
                top.memory() / 1024,
                top.capacity()
            );
        }
        _ => {
            eprintln!("usage: resets_measure idle N | storm SECONDS RATE | memory");
            std::process::exit(2);
        }
    }
}
