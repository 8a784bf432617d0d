//! The plugin and its alarms inside a real netdata: a child agent running
//! the plugin streams to a parent agent, both on loopback.
//!
//! `child_and_parent_chart_values_and_reset_alarms` (host network
//! namespace): the chart and its dimensions, values against the kernel's own
//! counter deltas, our alarms loaded without a health-config error, no false
//! alarm in netdata's first minute (despite a burst of resets in it) nor
//! across a restart of the plugin, both 10 s reset alarms raised by a reset
//! storm, and the parent showing the child's chart and evaluating our alarms
//! for it.
//!
//! `queue_full_and_challenge_ack_alarms_in_a_network_namespace`: the test
//! re-runs itself under `unshare -n`, turns SYN cookies off there (the
//! host's setting is never touched), floods a listener that never accepts,
//! and injects SYNs into an established connection to provoke RFC 5961
//! challenge ACKs.
//!
//! Without netdata these tests say SKIPPED; REQUIRE_NETDATA=1 makes that a
//! failure.

mod netdata;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netdata::*;

const RESET_DIMS: [&str; 3] = ["AttemptFails", "EstabResets", "OutRsts"];

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The dimension ids of `chart` in a charts answer.
fn dims(charts: &serde_json::Value, chart: &str) -> Option<Vec<String>> {
    let c = charts.get("charts")?.get(chart)?;
    let mut v: Vec<String> = c.get("dimensions")?.as_object()?.keys().cloned().collect();
    v.sort();
    Some(v)
}

fn has_reset_chart(charts: &serde_json::Value) -> bool {
    let mut want: Vec<String> = RESET_DIMS.iter().map(|s| s.to_string()).collect();
    want.sort();
    dims(charts, "tcp_resets.resets") == Some(want)
}

/// Events in `[after, before]` per dimension: the per-second rates summed.
fn events(nd: &Netdata, after: u64, before: u64) -> Vec<(String, f64)> {
    let points = before - after;
    let v = nd
        .json(&format!(
            "/api/v1/data?chart=tcp_resets.resets&after={after}&before={before}&points={points}&group=average&format=json&options=unaligned"
        ))
        .expect("data API");
    let labels: Vec<String> = v["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let rows = v["data"].as_array().unwrap();
    assert!(
        rows.len() as u64 + 2 >= points,
        "{} rows for {points} s: {v}",
        rows.len()
    );
    labels
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, l)| {
            let sum = rows.iter().map(|r| r[i].as_f64().unwrap_or(0.0)).sum();
            (l.clone(), sum)
        })
        .collect()
}

fn status_of(nd: &Netdata, host: Option<&str>, alarm: &str) -> String {
    let chart = ALARMS.iter().find(|(_, a)| *a == alarm).unwrap().0;
    nd.alarm_status(host, chart, alarm)
        .unwrap_or_else(|| "MISSING".into())
}

fn all_alarms_listed(nd: &Netdata, host: Option<&str>) -> Option<()> {
    let a = nd.alarms(host)?;
    ALARMS
        .iter()
        .all(|(c, n)| a.contains_key(&format!("{c}.{n}")))
        .then_some(())
}

fn raised(status: &str) -> bool {
    status == "WARNING" || status == "CRITICAL"
}

#[test]
fn child_and_parent_chart_values_and_reset_alarms() {
    let Some(bin) = netdata_or_skip("child_and_parent_chart_values_and_reset_alarms") else {
        return;
    };
    let key = "5f0c2a8e-6b1d-4f27-9d3a-7c41e2b9a001".to_string();
    let mut parent = Netdata::start(
        &bin,
        Config {
            hostname: "tcp-resets-parent".into(),
            plugin: false,
            stream_to: None,
            accept_key: Some(key.clone()),
            extra: String::new(),
        },
    );
    parent.wait("the parent's API", Duration::from_secs(60), |p| {
        p.json("/api/v1/info")
    });
    let child_host = "tcp-resets-child";
    let mut child = Netdata::start(
        &bin,
        Config {
            hostname: child_host.into(),
            plugin: true,
            stream_to: Some((parent.port, key)),
            accept_key: None,
            extra: String::new(),
        },
    );

    // 1. The chart, its dimensions, our alarms, no health-config error.
    child.wait(
        "tcp_resets.resets with its three dimensions",
        Duration::from_secs(60),
        |c| c.charts(None).filter(has_reset_chart),
    );
    child.wait("our seven alarms", Duration::from_secs(30), |c| {
        all_alarms_listed(c, None)
    });
    let errors: Vec<String> = [
        "tcp_resets_plugin.conf",
        "tcp_resets.plugin",
        "[tcp_resets]",
    ]
    .iter()
    .chain(ALARMS.iter().map(|(_, a)| a))
    .flat_map(|n| child.log_lines(n))
    .filter(|l| l.contains("ERROR") && !l.contains("STREAM "))
    // 1.37 does not know netdata 2.x's `summary:` and says so once per
    // alarm; that line, and no other, is expected.
    .filter(|l| {
        !l.ends_with("has unknown key 'summary'.")
            && !l.contains("has unknown key 'summary'. (errno")
    })
    .collect();
    assert!(errors.is_empty(), "errors about our files: {errors:#?}");

    // 2. Values: a known number of refused connections on loopback, against
    // the kernel's own counter deltas over the same seconds.
    let closed = free_port();
    std::thread::sleep(Duration::from_secs(3));
    let after = now() - 1;
    let (k_att, k_out) = (kernel_tcp("AttemptFails"), kernel_tcp("OutRsts"));
    const REFUSED: u64 = 3000;
    refused_connections(closed, REFUSED);
    std::thread::sleep(Duration::from_secs(4));
    let (d_att, d_out) = (
        kernel_tcp("AttemptFails") - k_att,
        kernel_tcp("OutRsts") - k_out,
    );
    let before = now();
    assert!(
        d_att >= REFUSED && d_out >= REFUSED,
        "kernel: {d_att} {d_out}"
    );
    let seen = events(&child, after, before);
    eprintln!(
        "{REFUSED} refused connections; kernel AttemptFails +{d_att}, OutRsts +{d_out}; netdata: {seen:?}"
    );
    for (dim, kernel) in [("AttemptFails", d_att), ("OutRsts", d_out)] {
        let got = seen.iter().find(|(l, _)| l == dim).unwrap().1;
        // Netdata interpolates onto its second boundaries and stores values
        // in a compact float: 1 % plus a few events of tolerance, and the
        // kernel may count a few more in the margins around the burst.
        let tol = kernel as f64 * 0.01 + 5.0;
        assert!(
            got >= REFUSED as f64 * 0.99 - 5.0 && got <= kernel as f64 + tol,
            "{dim}: netdata shows {got} events, the kernel counted {kernel} ({REFUSED} made)"
        );
    }

    // 3a. The first minute: the burst above would raise the 10 s alarms
    // without the uptime guard; they must stay clear until the guard ends.
    let watched = ["10s_ipv4_tcp_resets_received", "10s_ipv4_tcp_resets_sent"];
    let guard_end = child.started + Duration::from_secs(75);
    while Instant::now() < guard_end {
        for a in watched {
            let s = status_of(&child, None, a);
            assert!(!raised(&s), "{a} is {s} in netdata's first minute");
        }
        std::thread::sleep(Duration::from_secs(1));
    }

    // 3b. A restart of the plugin: SIGTERM (exit 0), netdata starts it
    // again; the alarms stay clear for three evaluations after.
    let old = child.plugin_pids("tcp_resets.plugin");
    assert_eq!(old.len(), 1, "plugin processes: {old:?}");
    // SAFETY: kill sends SIGTERM to the plugin netdata started for us.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(old[0], libc::SIGTERM);
    }
    let new = child.wait(
        "netdata to restart the plugin",
        Duration::from_secs(60),
        |c| {
            let p = c.plugin_pids("tcp_resets.plugin");
            (p.len() == 1 && p[0] != old[0]).then(|| p[0])
        },
    );
    eprintln!("plugin restarted: pid {} -> {new}", old[0]);
    let quiet_end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < quiet_end {
        for a in watched {
            let s = status_of(&child, None, a);
            assert!(
                s == "CLEAR",
                "{a} is {s} after a plugin restart with normal traffic"
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }

    // 3c. A reset storm: both 10 s alarms rise to WARNING.
    let storm_start = Instant::now();
    let storm = std::thread::spawn(move || reset_storm(closed, 2, Duration::from_secs(20)));
    child.wait(
        "both 10 s reset alarms raised by the storm",
        Duration::from_secs(45),
        |c| {
            watched
                .iter()
                .all(|a| status_of(c, None, a) == "WARNING")
                .then_some(())
        },
    );
    eprintln!(
        "child alarms raised {:?} after the storm began",
        storm_start.elapsed()
    );

    // 4. The parent: the child's chart, our alarms evaluated for the child,
    // raised by the same storm.
    parent.wait(
        "the child's tcp_resets.resets on the parent",
        Duration::from_secs(30),
        |p| p.charts(Some(child_host)).filter(has_reset_chart),
    );
    parent.wait(
        "our alarms for the child on the parent",
        Duration::from_secs(30),
        |p| all_alarms_listed(p, Some(child_host)),
    );
    parent.wait(
        "the parent raising 10s_ipv4_tcp_resets_received for the child",
        Duration::from_secs(40),
        |p| (status_of(p, Some(child_host), watched[0]) == "WARNING").then_some(()),
    );
    let made = storm.join().unwrap();
    eprintln!("storm: {made} refused connections in 20 s");
}

/// Runs `name` again inside a new network namespace; the inner run does the
/// work. Returns false (after saying why) when namespaces are not permitted
/// here and netdata is not required.
fn in_network_namespace(name: &str) -> bool {
    if std::env::var_os("TCP_RESETS_IN_NETNS").is_some() {
        return true;
    }
    let ok = Command::new("unshare")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let why =
            "`unshare -n` is not permitted here (needs root or CAP_SYS_ADMIN, and util-linux)";
        if std::env::var("REQUIRE_NETDATA").as_deref() == Ok("1") {
            panic!("{name}: {why}, and REQUIRE_NETDATA=1");
        }
        eprintln!("SKIPPED {name}: {why}");
        return false;
    }
    let host_syncookies = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_syncookies").unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut c = Command::new("unshare");
    c.arg("-n")
        .arg("--")
        .arg(exe)
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env("TCP_RESETS_IN_NETNS", "1");
    let mut child = c.spawn().expect("unshare");
    let end = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: the run in the namespace took over 300 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{name} inside the namespace: {status}");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/net/ipv4/tcp_syncookies").unwrap(),
        host_syncookies,
        "the host's tcp_syncookies changed"
    );
    false
}

fn sysctl_write(name: &str, value: &str) -> bool {
    std::fs::write(format!("/proc/sys/net/ipv4/{name}"), value).is_ok()
}

/// A listener on 127.0.0.1 with a backlog of 1 that never accepts.
fn tiny_listener() -> (OwnedFd, u16) {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    // SAFETY: listen on a socket we own; only its backlog changes.
    #[allow(unsafe_code)]
    let r = unsafe { libc::listen(l.as_raw_fd(), 1) };
    assert_eq!(r, 0);
    (OwnedFd::from(l), port)
}

/// 127.0.0.1:`port` for libc's socket calls.
fn loopback(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
        },
        sin_zero: [0; 8],
    }
}

/// Keeps opening non-blocking connections to `port` (dropped by the full
/// queue) until `stop`.
fn syn_flood(port: u16, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::Ordering;
    let addr = loopback(port);
    while !stop.load(Ordering::Relaxed) {
        let mut socks = Vec::new();
        for _ in 0..200 {
            // SAFETY: socket takes no pointers.
            #[allow(unsafe_code)]
            let fd =
                unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0) };
            assert!(fd >= 0);
            // SAFETY: a new socket, owned by the OwnedFd at once.
            #[allow(unsafe_code)]
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            // SAFETY: connect with a valid sockaddr_in and its size.
            #[allow(unsafe_code)]
            unsafe {
                libc::connect(
                    fd.as_raw_fd(),
                    (&addr as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                );
            }
            socks.push(fd);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn checksum(data: &[u8], mut sum: u32) -> u16 {
    for ch in data.chunks(2) {
        let w = u16::from_be_bytes([ch[0], *ch.get(1).unwrap_or(&0)]);
        sum += u32::from(w);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// SYNs with arbitrary sequence numbers from `src` to `dst` on 127.0.0.1,
/// sent on a raw socket, into the established connection between them.
fn syn_injection(src: u16, dst: u16, d: Duration) -> u64 {
    // SAFETY: socket takes no pointers.
    #[allow(unsafe_code)]
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_TCP) };
    assert!(fd >= 0, "raw socket: {}", std::io::Error::last_os_error());
    // SAFETY: a new socket, owned by the OwnedFd at once.
    #[allow(unsafe_code)]
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let to = loopback(0);
    let end = Instant::now() + d;
    let mut sent = 0u64;
    let mut seq: u32 = 0x1234_5678;
    while Instant::now() < end {
        for _ in 0..100 {
            seq = seq.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let mut h = [0u8; 20];
            h[0..2].copy_from_slice(&src.to_be_bytes());
            h[2..4].copy_from_slice(&dst.to_be_bytes());
            h[4..8].copy_from_slice(&seq.to_be_bytes());
            h[12] = 5 << 4; // data offset: 5 words, no options
            h[13] = 0x02; // SYN
            h[14..16].copy_from_slice(&65535u16.to_be_bytes());
            let mut pseudo = Vec::with_capacity(32);
            pseudo.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1, 0, 6, 0, 20]);
            pseudo.extend_from_slice(&h);
            let c = checksum(&pseudo, 0);
            h[16..18].copy_from_slice(&c.to_be_bytes());
            // SAFETY: sendto with a 20-byte buffer and a valid sockaddr_in.
            #[allow(unsafe_code)]
            let r = unsafe {
                libc::sendto(
                    fd.as_raw_fd(),
                    h.as_ptr().cast(),
                    h.len(),
                    0,
                    (&to as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            };
            assert_eq!(r, 20, "sendto: {}", std::io::Error::last_os_error());
            sent += 1;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    sent
}

#[test]
fn queue_full_and_challenge_ack_alarms_in_a_network_namespace() {
    const NAME: &str = "queue_full_and_challenge_ack_alarms_in_a_network_namespace";
    let Some(bin) = netdata_or_skip(NAME) else {
        return;
    };
    if !in_network_namespace(NAME) {
        return;
    }
    // Inside the new namespace: loopback up, SYN cookies off, and no rate
    // limit on challenge ACKs, all for this namespace only.
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .expect("ip (iproute2)");
    assert!(up.success());
    assert!(sysctl_write("tcp_syncookies", "0"), "set tcp_syncookies");
    assert!(sysctl_write("tcp_invalid_ratelimit", "0"));
    let _ = sysctl_write("tcp_challenge_ack_limit", "2147483647");

    let mut nd = Netdata::start(&bin, Config::node("tcp-resets-netns"));
    nd.wait("our alarms", Duration::from_secs(60), |n| {
        all_alarms_listed(n, None)
    });
    nd.wait(
        "the chart variable tcp_syncookies = 0",
        Duration::from_secs(30),
        |n| {
            let v = n.json("/api/v1/alarm_variables?chart=tcp_resets.syncookies")?;
            let x = v["chart_variables"]["tcp_syncookies"].as_f64()?;
            (x == 0.0).then_some(())
        },
    );

    // The listen-queue alarm: a listener that never accepts, flooded.
    let (_listener, port) = tiny_listener();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || syn_flood(port, stop))
    };
    let t = Instant::now();
    nd.wait(
        "tcp_resets_queue_full_without_syncookies raised",
        // Netdata evaluates a one-minute lookup once the chart holds a
        // minute of data: about a minute after start-up.
        Duration::from_secs(100),
        |n| {
            (status_of(n, None, "tcp_resets_queue_full_without_syncookies") == "WARNING")
                .then_some(())
        },
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flood.join().unwrap();
    eprintln!(
        "queue-full alarm raised after {:?} of flooding",
        t.elapsed()
    );
    assert!(
        kernel_netstat("ListenOverflows") + kernel_netstat("TCPReqQFullDrop") > 0,
        "the kernel counted no overflow"
    );

    // The challenge-ACK alarm: after netdata's first minute (and a quiet
    // baseline), SYNs with random sequence numbers into an established
    // connection; the server answers each with a challenge ACK.
    let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let (_accepted, _) = server.accept().unwrap();
    let (src, dst) = (
        client.local_addr().unwrap().port(),
        server.local_addr().unwrap().port(),
    );
    let wait_for = (nd.started + Duration::from_secs(65)).saturating_duration_since(Instant::now());
    std::thread::sleep(wait_for);
    let status = status_of(&nd, None, "10s_tcp_challenge_acks");
    assert!(
        !raised(&status),
        "10s_tcp_challenge_acks {status} before any injection"
    );
    let before = kernel_netstat("TCPChallengeACK");
    let inject = std::thread::spawn(move || syn_injection(src, dst, Duration::from_secs(20)));
    nd.wait(
        "10s_tcp_challenge_acks raised",
        Duration::from_secs(45),
        |n| (status_of(n, None, "10s_tcp_challenge_acks") == "WARNING").then_some(()),
    );
    let sent = inject.join().unwrap();
    let acks = kernel_netstat("TCPChallengeACK") - before;
    eprintln!("{sent} injected SYNs, {acks} challenge ACKs");
    assert!(acks > 0);
}

/// A `TcpExt:` counter of /proc/net/netstat; 0 when this kernel lacks it.
fn kernel_netstat(name: &str) -> u64 {
    kernel_counter("/proc/net/netstat", "TcpExt:", name).unwrap_or(0)
}

/// At an interval above 60 s the plugin writes an empty line every minute
/// (netdata 1.41+ ends a plugin silent for 120 s); netdata must take it
/// without complaint and keep the same plugin process.
#[test]
fn netdata_accepts_the_keepalive_line() {
    let Some(bin) = netdata_or_skip("netdata_accepts_the_keepalive_line") else {
        return;
    };
    let mut cfg = Config::node("tcp-resets-keepalive");
    // 600 s: the sample after the first is at least 300 s away, so the
    // only output in the next minutes is the keepalive.
    cfg.extra = "[plugin:tcp_resets]\n    update every = 600\n".into();
    let mut nd = Netdata::start(&bin, cfg);
    nd.wait(
        "tcp_resets.resets with its three dimensions",
        Duration::from_secs(60),
        |n| n.charts(None).filter(has_reset_chart),
    );
    let pid = nd.wait("the plugin process", Duration::from_secs(10), |n| {
        let p = n.plugin_pids("tcp_resets.plugin");
        (p.len() == 1).then(|| p[0])
    });
    let args = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(
        args.split('\0').any(|a| a == "600"),
        "plugin args: {args:?}"
    );
    let writes = || -> u64 {
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
        io.lines()
            .find_map(|l| l.strip_prefix("syscw: "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = writes();
    // Past the first keepalive (60 s after the first sample).
    std::thread::sleep(Duration::from_secs(75));
    let keepalives = writes() - before;
    assert!(
        keepalives >= 1,
        "the plugin wrote nothing in 75 s (no keepalive)"
    );
    assert_eq!(
        nd.plugin_pids("tcp_resets.plugin"),
        vec![pid],
        "netdata restarted or lost the plugin after a keepalive line"
    );
    // The plugin's parser thread is PLUGINSD[tcp_resets].
    let complaints: Vec<String> = ["[tcp_resets]", "tcp_resets.plugin"]
        .iter()
        .flat_map(|n| nd.log_lines(n))
        .filter(|l| l.contains("ERROR"))
        .collect();
    assert!(complaints.is_empty(), "{complaints:#?}");
}
