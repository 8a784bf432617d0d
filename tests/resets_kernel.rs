//! The reset tracepoints read from the running kernel: root only (tracefs,
//! perf_event_open and network namespaces). Without root, tracefs or perf
//! permission each test says so loudly and passes; with REQUIRE_NETDATA=1
//! or REQUIRE_TOOLS=1 (as CI sets) it fails instead.
//!
//! Each test runs in a network namespace of its own, but tracepoints see
//! every namespace: each counts only the events of its own addresses and
//! ports (127.0.0.7, 127.0.0.8, 127.0.0.9). The tests run one at a time
//! (a lock), so that one's storm cannot overflow another's rings.

mod common;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::os::fd::AsFd;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::traffic::{private_network, Counters};
use common::{skip, sys, Need};
use tcp_resets::platform::linux::tracepoints::event::{Direction, Event};
use tcp_resets::platform::linux::tracepoints::perf::{self, RingSize, Tracer};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Skips (or fails, when required) a test that cannot run here.
fn unavailable(test: &str, why: &str) {
    let need = if Need::Tools.required() {
        Need::Tools
    } else {
        Need::Netdata
    };
    skip(need, test, why);
}

/// tracefs, mounted for the test under a temporary directory when the
/// system has none at /sys/kernel/tracing (and unmounted on drop).
struct Tracefs {
    root: std::path::PathBuf,
    mounted: Option<common::TempDir>,
}

impl Tracefs {
    fn find() -> Result<Tracefs, String> {
        if let Ok(root) = perf::tracefs() {
            return Ok(Tracefs {
                root,
                mounted: None,
            });
        }
        let dir = common::TempDir::new("tracefs");
        let out = std::process::Command::new("mount")
            .args(["-t", "tracefs", "nodev"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "tracefs is not mounted and `mount -t tracefs` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        eprintln!("mounted tracefs at {} for this test", dir.path().display());
        Ok(Tracefs {
            root: dir.path().to_path_buf(),
            mounted: Some(dir),
        })
    }
}

impl Drop for Tracefs {
    fn drop(&mut self) {
        if let Some(dir) = &self.mounted {
            let _ = std::process::Command::new("umount")
                .arg(dir.path())
                .status();
        }
    }
}

/// The tracer with `size` rings, in a private network namespace, or
/// `None` after skipping.
fn setup(test: &str, size: RingSize) -> Option<Tracer> {
    if common::sys::euid() != 0 {
        unavailable(
            test,
            "needs root (tracefs, perf_event_open, network namespaces)",
        );
        return None;
    }
    let layouts = match Tracefs::find()
        .and_then(|t| perf::read_layouts(&t.root).map_err(|e| e.to_string()))
    {
        Ok(l) => l,
        Err(e) => {
            unavailable(test, &e);
            return None;
        }
    };
    let tracer = match Tracer::with_layouts(layouts, size) {
        Ok(t) => t,
        Err(e) => {
            unavailable(test, &e.to_string());
            return None;
        }
    };
    if let Err(e) = private_network() {
        unavailable(test, &e);
        return None;
    }
    Some(tracer)
}

fn v4(a: [u8; 4], port: u16) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::from(a), port)
}

/// A port nobody listens on at `ip` in this namespace.
fn closed_port(ip: Ipv4Addr) -> u16 {
    let l = TcpListener::bind((ip, 0)).unwrap();
    l.local_addr().unwrap().port()
}

/// `n` connections from `from` (any port) to the closed `to`, each refused.
fn refused_from(from: Ipv4Addr, to: SocketAddrV4, n: usize, mut between: impl FnMut()) {
    for i in 0..n {
        let e = sys::connect_from(v4(from.octets(), 0), to).expect_err("a closed port accepted");
        assert_eq!(
            e,
            libc::ECONNREFUSED,
            "connection {i}: {}",
            std::io::Error::from_raw_os_error(e)
        );
        between();
    }
}

#[test]
fn closed_port_resets_are_seen_one_for_one() {
    const TEST: &str = "closed_port_resets_are_seen_one_for_one";
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(mut tracer) = setup(TEST, RingSize::default()) else {
        return;
    };
    let (client, server) = (Ipv4Addr::new(127, 0, 0, 7), Ipv4Addr::LOCALHOST);
    let port = closed_port(server);
    let to = v4(server.octets(), port);
    tracer.drain(|_| {});
    let before = Counters::read();
    let mut sent: Vec<Event> = Vec::new();
    let mut received: Vec<Event> = Vec::new();
    let mut lost = 0;
    let mut take = |tracer: &mut Tracer| {
        let d = tracer.drain(|e| {
            let (Some(l), Some(r)) = (e.local, e.remote) else {
                return;
            };
            match e.direction {
                Direction::Sent if l == SocketAddr::V4(to) && r.ip() == client => sent.push(*e),
                Direction::Received if r == SocketAddr::V4(to) && l.ip() == client => {
                    received.push(*e)
                }
                _ => {}
            }
        });
        lost += d.lost;
    };
    let mut n = 0;
    refused_from(client, to, 1000, || {
        n += 1;
        if n % 50 == 0 {
            take(&mut tracer);
        }
    });
    take(&mut tracer);
    let out_rsts = Counters::read().since(&before, "Tcp:OutRsts");
    assert_eq!(lost, 0, "samples were lost");
    let layouts = tracer.layouts().clone();
    // The connecting side took each reset in SYN-SENT (tcp_reset()).
    assert_eq!(received.len(), 1000);
    if layouts.sees_every_sent_reset() {
        assert_eq!(sent.len(), 1000);
        assert_eq!(
            sent.len() as u64,
            out_rsts,
            "sent events against Tcp:OutRsts"
        );
        for e in &sent {
            assert_eq!(layouts.reason_name(e.reason.unwrap()), Some("NO_SOCKET"));
            assert_eq!(e.state, 0, "no socket, no state");
        }
    } else {
        // Before 6.10 resets sent without a full socket are not traced.
        assert_eq!((sent.len(), out_rsts), (0, 1000));
    }
}

#[test]
fn zero_linger_close_is_a_reset_each_way() {
    const TEST: &str = "zero_linger_close_is_a_reset_each_way";
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(mut tracer) = setup(TEST, RingSize::default()) else {
        return;
    };
    let ip = Ipv4Addr::new(127, 0, 0, 8);
    let listener = TcpListener::bind((ip, 0)).unwrap();
    let server = listener.local_addr().unwrap();
    let client = std::net::TcpStream::connect(server).unwrap();
    let client_addr = client.local_addr().unwrap();
    let cookie = sys::cookie(client.as_fd());
    let (accepted, _) = listener.accept().unwrap();
    tracer.drain(|_| {});
    sys::linger_zero(accepted.as_fd());
    drop(accepted);
    // The client sees the reset: a bounded read fails with ECONNRESET.
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let got = std::io::Read::read(&mut &client, &mut [0u8; 16]);
    assert_eq!(
        got.map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::ConnectionReset)
    );
    let (mut sent, mut received) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(5);
    while (sent.is_empty() || received.is_empty()) && Instant::now() < deadline {
        tracer.drain(|e| match e.direction {
            Direction::Sent if e.local == Some(server) && e.remote == Some(client_addr) => {
                sent.push(*e)
            }
            Direction::Received if e.local == Some(client_addr) && e.remote == Some(server) => {
                received.push(*e)
            }
            _ => {}
        });
        std::thread::sleep(Duration::from_millis(10));
    }
    let layouts = tracer.layouts().clone();
    assert_eq!(received.len(), 1, "the client's received reset");
    assert_eq!(
        received[0].cookie,
        Some(cookie),
        "sock_cookie is the client's SO_COOKIE"
    );
    assert_eq!(sent.len(), 1, "the server's sent reset");
    let s = sent[0];
    let state = layouts.state_name(s.state);
    match s.reason {
        Some(r) => {
            let name = layouts.reason_name(r);
            assert!(
                name.is_some(),
                "reason {} has no name in the format",
                r.value
            );
            eprintln!(
                "{TEST}: SO_LINGER 0 close: reason {} ({}), state {:?} on {}",
                name.unwrap(),
                r.value,
                state,
                std::fs::read_to_string("/proc/sys/kernel/osrelease")
                    .unwrap_or_default()
                    .trim()
            );
        }
        None => assert!(!layouts.sees_every_sent_reset()),
    }
    assert!(state.is_some(), "a full socket has a state");
}

#[test]
fn a_full_tiny_ring_reports_lost_samples() {
    const TEST: &str = "a_full_tiny_ring_reports_lost_samples";
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(mut tracer) = setup(TEST, RingSize { data_pages: 1 }) else {
        return;
    };
    let client = Ipv4Addr::new(127, 0, 0, 9);
    let port = closed_port(Ipv4Addr::LOCALHOST);
    let to = v4([127, 0, 0, 1], port);
    // On one CPU, so that the storm fills one ring and the reset that
    // follows lands in the same one.
    sys::pin_to_first_cpu();
    tracer.drain(|_| {});
    // 2,000 refused connections without draining: far more than one page
    // holds (about 40 samples).
    refused_from(client, to, 2000, || {});
    let mine = |e: &Event| {
        e.local.map(|a| a.ip()) == Some(client.into())
            || e.remote.map(|a| a.ip()) == Some(client.into())
    };
    let mut ours = 0u64;
    let d = tracer.drain(|e| ours += u64::from(mine(e)));
    assert_eq!(
        d.lost, 0,
        "nothing is reported lost before the ring has room"
    );
    // The kernel writes PERF_RECORD_LOST in front of the first sample that
    // fits again (kernel/events/ring_buffer.c:190-191, 248-250): after
    // this drain, with the next reset.
    let (mut lost, mut more) = (0, 0);
    while lost == 0 && more < 100 {
        refused_from(client, to, 1, || {});
        more += 1;
        lost += tracer.drain(|e| ours += u64::from(mine(e))).lost;
    }
    let per_connection = if tracer.layouts().sees_every_sent_reset() {
        2
    } else {
        1
    };
    let expected = (2000 + more) * per_connection;
    eprintln!("{TEST}: {ours} of {expected} kept, {lost} lost, after {more} more");
    assert!(lost > 0, "no PERF_RECORD_LOST");
    assert!(ours < expected);
    // `lost` may include the host's other resets, lost with ours.
    assert!(ours + lost >= expected, "kept + lost < resets");
}
