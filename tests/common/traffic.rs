//! Traffic that moves the kernel's TCP counters, on 127.0.0.1 only, and the
//! readers of those counters and of the per-namespace TCP settings.
//!
//! Everything here acts in the network namespace of the calling thread:
//! [`private_network`] moves a thread into a namespace of its own, so that a
//! test can compare the kernel's counters with what netdata shows (no other
//! traffic on the host moves them) and change `tcp_syncookies` without
//! touching the host. Counters are read from `/proc/thread-self/net/`, not
//! `/proc/net/` (which is the namespace of the process's first thread).
//!
//! Generators: [`refused_connections`] and [`reset_storm`] (a reset for each
//! connection to a closed port: OutRsts on one side, AttemptFails on the
//! other), [`Flood::accept_queue`] and [`Flood::syn_queue`] (a listener that
//! never accepts, its accept queue or its SYN queue overflowing), and
//! [`SynInjection`] (SYNs with arbitrary sequence numbers into an
//! established connection, answered by RFC 5961 challenge ACKs), with the
//! TCP checksum they need ([`tcp_checksum`]).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::sys;

/// Moves the calling thread into a network namespace of its own and brings
/// its loopback interface up (with `ip`, from iproute2). Threads and
/// processes the caller starts afterwards share that namespace.
pub fn private_network() -> Result<(), String> {
    sys::unshare_network().map_err(|e| {
        format!("cannot create a network namespace ({e}; needs root or CAP_SYS_ADMIN)")
    })?;
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match up {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`ip link set lo up` failed: {s}")),
        Err(e) => Err(format!("cannot run `ip` (iproute2): {e}")),
    }
}

/// Every `Tcp:` and `TcpExt:` counter of the caller's network namespace, by
/// `Tcp:AttemptFails`, `TcpExt:ListenOverflows` and so on.
#[derive(Clone, Debug)]
pub struct Counters(BTreeMap<String, u64>);

impl Counters {
    pub fn read() -> Counters {
        let mut m = BTreeMap::new();
        for file in ["snmp", "netstat"] {
            let path = format!("/proc/thread-self/net/{file}");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let lines: Vec<&str> = text.lines().collect();
            for pair in lines.chunks(2) {
                let [head, vals] = pair else { continue };
                let (label, names) = head.split_once(':').unwrap();
                if label != "Tcp" && label != "TcpExt" {
                    continue;
                }
                let values = vals.split_once(':').unwrap().1;
                for (n, v) in names.split_whitespace().zip(values.split_whitespace()) {
                    // Tcp: MaxConn is -1; nothing here needs it.
                    if let Ok(v) = v.parse() {
                        m.insert(format!("{label}:{n}"), v);
                    }
                }
            }
        }
        Counters(m)
    }

    /// The counter `key` (`Tcp:OutRsts`); panics when this kernel lacks it.
    pub fn get(&self, key: &str) -> u64 {
        *self
            .0
            .get(key)
            .unwrap_or_else(|| panic!("this kernel has no counter {key}"))
    }

    /// How much `key` grew since `earlier`.
    pub fn since(&self, earlier: &Counters, key: &str) -> u64 {
        self.get(key) - earlier.get(key)
    }
}

/// `/proc/sys/net/ipv4/NAME` of the caller's network namespace.
pub fn ipv4_setting(name: &str) -> String {
    let p = format!("/proc/sys/net/ipv4/{name}");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .trim()
        .to_string()
}

/// Sets `/proc/sys/net/ipv4/NAME` in the caller's network namespace (only
/// ever call this inside a [`private_network`]).
pub fn set_ipv4_setting(name: &str, value: &str) {
    let p = format!("/proc/sys/net/ipv4/{name}");
    std::fs::write(&p, value).unwrap_or_else(|e| panic!("write {value} to {p}: {e}"));
    assert_eq!(ipv4_setting(name), value, "{p} did not take {value}");
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// The most connections a second the generators of single resets make:
/// the storm the plugin's reset rings are sized for.
pub const PACE_PER_SECOND: u64 = 10_000;

/// Calls `f(i)` for `i` in `0..n`, no faster than [`PACE_PER_SECOND`].
pub fn paced(n: u64, mut f: impl FnMut(u64)) {
    let start = Instant::now();
    for i in 0..n {
        f(i);
        let due = start + Duration::from_secs(1) * (i as u32 + 1) / PACE_PER_SECOND as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
}

/// `n` connections to 127.0.0.1:`port`, where nobody listens, paced: each
/// one is refused with a reset (OutRsts on the closed side, AttemptFails
/// on the connecting side).
pub fn refused_connections(port: u16, n: u64) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    paced(n, |_| match TcpStream::connect(addr) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
        other => panic!("127.0.0.1:{port} should refuse, got {other:?}"),
    });
}

/// Refused connections to `port` at about `per_second`, in bursts every
/// 100 ms, until `stop` is set or `limit` has passed; returns how many.
pub fn reset_storm(port: u16, per_second: u64, limit: Duration, stop: &AtomicBool) -> u64 {
    let burst = (per_second / 10).max(1);
    let end = Instant::now() + limit;
    let mut made = 0;
    let mut next = Instant::now();
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        refused_connections(port, burst);
        made += burst;
        next += Duration::from_millis(100);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    made
}

/// A firewall rule of the caller's network namespace, deleted on drop.
#[derive(Debug)]
pub struct IptablesRule {
    spec: Vec<String>,
}

impl IptablesRule {
    /// `iptables -A <spec>`.
    pub fn append(spec: &[&str]) -> Result<IptablesRule, String> {
        let spec: Vec<String> = spec.iter().map(|s| s.to_string()).collect();
        iptables("-A", &spec)?;
        Ok(IptablesRule { spec })
    }
}

impl Drop for IptablesRule {
    fn drop(&mut self) {
        let _ = iptables("-D", &self.spec);
    }
}

fn iptables(op: &str, spec: &[String]) -> Result<(), String> {
    let out = Command::new("iptables")
        .args(["-w", "10", op])
        .args(spec)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run iptables: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "iptables {op} {}: {}; {}",
            spec.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether `iptables` runs here (installed, and permitted).
pub fn have_iptables() -> Result<(), String> {
    let out = Command::new("iptables")
        .args(["-w", "10", "-L", "INPUT", "-n"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run iptables (apt-get install iptables): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`iptables -L` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A listener on 127.0.0.1 with a listen backlog of 4 that never accepts,
/// and a thread opening non-blocking connections to it in batches until
/// stopped. Connections of a batch are closed before the next one.
#[derive(Debug)]
pub struct Flood {
    pub port: u16,
    // First, so that the thread is joined before the listener closes.
    connecting: Repeating,
    _listener: OwnedFd,
    _held: Vec<TcpStream>,
    _rule: Option<IptablesRule>,
}

/// Connections per batch, and the pause between batches.
const BATCH: usize = 100;
const PAUSE: Duration = Duration::from_millis(250);

impl Flood {
    /// Accept-queue overflow: the listener's accept queue is filled with
    /// completed connections first (backlog 4 holds 5), so that every new
    /// SYN is dropped as ListenOverflows before it reaches the SYN queue.
    /// TCPReqQFullDrop does not move, with or without SYN cookies.
    pub fn accept_queue() -> Flood {
        let (listener, port) = tiny_listener();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let held: Vec<TcpStream> = (0..5)
            .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok())
            .collect();
        assert!(
            !held.is_empty(),
            "no connection to the backlog-4 listener completed"
        );
        Flood::start(listener, port, held, None)
    }

    /// SYN-queue overflow: the listener's SYN-ACKs are dropped by a
    /// firewall rule of this namespace, so that the requests stay in
    /// SYN-RECV and fill its SYN queue (backlog 4). With tcp_syncookies = 0
    /// each further SYN is dropped and counted as TCPReqQFullDrop (and
    /// ListenDrops); with 1 it is answered with a cookie
    /// (TCPReqQFullDoCookies, SyncookiesSent). Needs iptables.
    pub fn syn_queue() -> Result<Flood, String> {
        let (listener, port) = tiny_listener();
        let p = port.to_string();
        let rule = IptablesRule::append(&[
            "INPUT",
            "-p",
            "tcp",
            "-s",
            "127.0.0.1",
            "--sport",
            &p,
            "--tcp-flags",
            "SYN,ACK",
            "SYN,ACK",
            "-j",
            "DROP",
        ])?;
        Ok(Flood::start(listener, port, Vec::new(), Some(rule)))
    }

    fn start(
        listener: OwnedFd,
        port: u16,
        held: Vec<TcpStream>,
        rule: Option<IptablesRule>,
    ) -> Flood {
        let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
        let connecting = Repeating::spawn(move || {
            let batch: Vec<OwnedFd> = (0..BATCH).map(|_| sys::connect_nonblocking(to)).collect();
            std::thread::sleep(PAUSE);
            batch.len() as u64
        });
        Flood {
            port,
            connecting,
            _listener: listener,
            _held: held,
            _rule: rule,
        }
    }

    /// Stops the connections; returns how many were opened.
    pub fn stop(self) -> u64 {
        self.connecting.stop()
    }
}

/// A listener on 127.0.0.1 with `backlog` that never accepts, and
/// `connects` non-blocking connections to it (which overflow its queue).
pub fn overflowing(backlog: i32, connects: usize) -> (TcpListener, Vec<OwnedFd>, u16) {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    sys::listen(l.as_fd(), backlog);
    let port = l.local_addr().unwrap().port();
    let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    let socks = (0..connects)
        .map(|_| sys::connect_nonblocking(to))
        .collect();
    // Let the handshakes that can complete complete.
    std::thread::sleep(Duration::from_millis(300));
    (l, socks, port)
}

/// `n` connections from `from` (any port) to `to`, a closed port, paced:
/// each is refused by a reset (`NO_SOCKET`). Panics when one is not
/// refused.
pub fn refused_from(from: Ipv4Addr, to: SocketAddrV4, n: usize) {
    paced(n as u64, |_| {
        let r = sys::connect_from(SocketAddrV4::new(from, 0), to);
        assert_eq!(r.err(), Some(libc::ECONNREFUSED), "{from} -> {to}");
    });
}

/// A `TCP_DEFER_ACCEPT` listener on 127.0.0.1 (backlog 128), returned with
/// its port.
pub fn deferred_listener() -> (TcpListener, u16) {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    sys::defer_accept(l.as_fd(), 5);
    let port = l.local_addr().unwrap().port();
    (l, port)
}

/// Serves `n` connections on `l`, each of which sends a request first, as
/// a client of a `TCP_DEFER_ACCEPT` server does; returns once all are
/// answered (within 60 s).
pub fn serve_deferred(l: &TcpListener, n: usize) {
    let port = l.local_addr().unwrap().port();
    let server = l.try_clone().unwrap();
    let t = std::thread::spawn(move || {
        for _ in 0..n {
            let (mut c, _) = server.accept().unwrap();
            let mut b = [0u8; 16];
            let _ = c.read(&mut b);
            let _ = c.write_all(b"ok");
        }
    });
    let end = Instant::now() + Duration::from_secs(60);
    for _ in 0..n {
        assert!(
            Instant::now() < end,
            "serving {n} deferred connections took over 60 s"
        );
        let mut c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(b"GET /").unwrap();
        let mut b = [0u8; 2];
        c.read_exact(&mut b).unwrap();
    }
    t.join().unwrap();
}

/// `n` handshakes with a listener on 127.0.0.1 (backlog 128) that end in
/// a reset before the listener sees their final ACK (iptables drops it):
/// the requests die in SYN-RECV. Returns the listener and its port.
pub fn reset_handshakes(n: usize) -> Result<(TcpListener, u16), String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let p = port.to_string();
    let rule = IptablesRule::append(&[
        "INPUT",
        "-i",
        "lo",
        "-p",
        "tcp",
        "--dport",
        &p,
        "--tcp-flags",
        "ALL",
        "ACK",
        "-j",
        "DROP",
    ])?;
    let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    let clients: Vec<OwnedFd> = (0..n).map(|_| sys::connect_nonblocking(to)).collect();
    std::thread::sleep(Duration::from_millis(300));
    for c in clients {
        sys::linger_zero(c.as_fd());
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(rule);
    Ok((l, port))
}

/// A listener on 127.0.0.1 with a listen backlog of 4 that never accepts.
fn tiny_listener() -> (OwnedFd, u16) {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let port = l.local_addr().unwrap().port();
    sys::listen(l.as_fd(), 4);
    (OwnedFd::from(l), port)
}

/// The TCP checksum of `segment` (header with a zero checksum field, and
/// payload) from `src` to `dst`: the ones' complement of the ones'
/// complement sum of the IPv4 pseudo-header and the segment.
pub fn tcp_checksum(src: Ipv4Addr, dst: Ipv4Addr, segment: &[u8]) -> u16 {
    let mut pseudo = Vec::with_capacity(12 + segment.len());
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(segment.len() as u16).to_be_bytes());
    pseudo.extend_from_slice(segment);
    let mut sum: u32 = 0;
    for ch in pseudo.chunks(2) {
        sum += u32::from(u16::from_be_bytes([ch[0], *ch.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A SYN from 127.0.0.1:`src` to 127.0.0.1:`dst` with sequence number
/// `seq`, checksum included.
pub fn syn_segment(src: u16, dst: u16, seq: u32) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[0..2].copy_from_slice(&src.to_be_bytes());
    h[2..4].copy_from_slice(&dst.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[12] = 5 << 4; // data offset: 5 words, no options
    h[13] = 0x02; // SYN
    h[14..16].copy_from_slice(&65535u16.to_be_bytes());
    let c = tcp_checksum(Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST, &h);
    h[16..18].copy_from_slice(&c.to_be_bytes());
    h
}

/// An established loopback connection and a thread injecting SYNs with
/// arbitrary sequence numbers into it from the client's port, on a raw
/// socket (root or CAP_NET_RAW), about 2,000 a second: the server answers
/// each with an RFC 5961 challenge ACK (TCPChallengeACK), as far as
/// `tcp_invalid_ratelimit` and `tcp_challenge_ack_limit` allow.
#[derive(Debug)]
pub struct SynInjection {
    // First, so that the thread is joined before the connection closes.
    injecting: Repeating,
    _conn: (TcpStream, TcpStream),
}

impl SynInjection {
    pub fn start() -> SynInjection {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let (accepted, _) = server.accept().unwrap();
        let (src, dst) = (
            client.local_addr().unwrap().port(),
            server.local_addr().unwrap().port(),
        );
        let raw = sys::raw_tcp_socket();
        let to = SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0);
        let mut seq: u32 = 0x1234_5678;
        let injecting = Repeating::spawn(move || {
            for _ in 0..100 {
                seq = seq.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                sys::send_raw(raw.as_fd(), &syn_segment(src, dst, seq), to);
            }
            std::thread::sleep(Duration::from_millis(50));
            100
        });
        SynInjection {
            injecting,
            _conn: (client, accepted),
        }
    }

    /// Stops injecting; returns how many SYNs were sent.
    pub fn stop(self) -> u64 {
        self.injecting.stop()
    }
}

/// A thread running `round` over and over until stopped (by [`stop`] or
/// on drop), adding up what each round returns.
///
/// [`stop`]: Repeating::stop
#[derive(Debug)]
struct Repeating {
    stop: Arc<AtomicBool>,
    total: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Repeating {
    fn spawn(mut round: impl FnMut() -> u64 + Send + 'static) -> Repeating {
        let stop = Arc::new(AtomicBool::new(false));
        let total = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, total) = (stop.clone(), total.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    total.fetch_add(round(), Ordering::Relaxed);
                }
            })
        };
        Repeating {
            stop,
            total,
            thread: Some(thread),
        }
    }

    /// Stops the thread, waits for its round to end; returns the total.
    fn stop(mut self) -> u64 {
        self.halt();
        self.total.load(Ordering::Relaxed)
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Repeating {
    fn drop(&mut self) {
        self.halt();
    }
}
