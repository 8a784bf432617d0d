//! A real netdata (Debian's 1.37.1, or whatever `netdata` is installed) run
//! in the foreground for a test: every directory in a temporary tree, the
//! web API on a free loopback port, only our plugin and our health file.
//!
//! Netdata runs in its own process group, dies with the test process
//! (PR_SET_PDEATHSIG), and is stopped by its pid, its plugins by theirs,
//! when the handle drops, also when a check fails; then the tail of its
//! error.log and the last API answers are printed.
//!
//! Without netdata the tests say SKIPPED and pass, unless REQUIRE_NETDATA=1
//! (set by .ci/run), which makes a missing netdata a failure.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const PLUGIN_BIN: &str = env!("CARGO_BIN_EXE_tcp_resets");

/// Our alarms, by chart, as the health file defines them.
pub const ALARMS: &[(&str, &str)] = &[
    ("tcp_resets.resets", "1m_ipv4_tcp_resets_received"),
    ("tcp_resets.resets", "10s_ipv4_tcp_resets_received"),
    ("tcp_resets.resets", "1m_ipv4_tcp_resets_sent"),
    ("tcp_resets.resets", "10s_ipv4_tcp_resets_sent"),
    (
        "tcp_resets.syncookies",
        "tcp_resets_queue_full_without_syncookies",
    ),
    ("tcp_resets.spoofing", "1m_tcp_challenge_acks"),
    ("tcp_resets.spoofing", "10s_tcp_challenge_acks"),
];

/// Where Debian's and upstream's packages keep netdata's own plugins.
pub const NETDATA_PLUGINS_DIRS: &[&str] = &[
    "/usr/lib/netdata/plugins.d",
    "/usr/libexec/netdata/plugins.d",
];

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The netdata binary, or `None` after printing why the test is skipped.
/// Panics instead under REQUIRE_NETDATA=1.
pub fn netdata_or_skip(test: &str) -> Option<PathBuf> {
    let found = [
        "/usr/sbin/netdata",
        "/usr/bin/netdata",
        "/opt/netdata/bin/netdata",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists());
    if found.is_none() {
        let why = "netdata is not installed (apt-get install -y netdata)";
        if std::env::var("REQUIRE_NETDATA").as_deref() == Ok("1") {
            panic!("{test}: {why}, and REQUIRE_NETDATA=1");
        }
        eprintln!("SKIPPED {test}: {why}; set REQUIRE_NETDATA=1 to make this a failure");
    }
    found
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// How a netdata for a test is set up.
pub struct Config {
    pub hostname: String,
    /// Install the plugin and run it.
    pub plugin: bool,
    /// `stream.conf`: `Some((parent port, api key))` for a child.
    pub stream_to: Option<(u16, String)>,
    /// An API key to accept children with (a parent).
    pub accept_key: Option<String>,
    /// More netdata.conf text, appended.
    pub extra: String,
}

impl Config {
    pub fn node(hostname: &str) -> Config {
        Config {
            hostname: hostname.to_string(),
            plugin: true,
            stream_to: None,
            accept_key: None,
            extra: String::new(),
        }
    }
}

/// A running netdata.
pub struct Netdata {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
    pub hostname: String,
    pub started: Instant,
    seen: Mutex<Vec<String>>,
}

impl Netdata {
    pub fn start(netdata: &Path, cfg: Config) -> Netdata {
        let n = SEQ.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "tcp_resets-netdata-{}-{}-{}",
            std::process::id(),
            n,
            cfg.hostname
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for d in [
            "etc",
            "stock",
            "plugins",
            "cache",
            "lib",
            "log",
            "health",
            "stock-health",
        ] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        // Netdata runs system-info.sh from its plugins directory at start-up;
        // 1.37's stream sender aborts (a bad free) when it could not.
        for helper in ["system-info.sh", "get-kubernetes-labels.sh"] {
            if let Some(src) = NETDATA_PLUGINS_DIRS
                .iter()
                .map(|d| Path::new(d).join(helper))
                .find(|p| p.exists())
            {
                std::os::unix::fs::symlink(src, dir.join("plugins").join(helper)).unwrap();
            }
        }
        if cfg.plugin {
            std::fs::copy(PLUGIN_BIN, dir.join("plugins/tcp_resets.plugin")).unwrap();
        }
        std::fs::copy(
            repo().join("health.d/tcp_resets_plugin.conf"),
            dir.join("stock-health/tcp_resets_plugin.conf"),
        )
        .unwrap();
        let port = free_port();
        let d = dir.display();
        let conf = format!(
            "[global]
    run as user = {user}
    memory mode = ram
    hostname = {host}
    update every = 1
[directories]
    config = {d}/etc
    stock config = {d}/stock
    log = {d}/log
    plugins = \"{d}/plugins\"
    cache = {d}/cache
    lib = {d}/lib
    home = {d}/lib
    health config = {d}/health
    stock health config = {d}/stock-health
[logs]
    debug log = none
    error log = {d}/log/error.log
    access log = none
[web]
    bind to = 127.0.0.1:{port}
[plugins]
    enable running new plugins = no
    tcp_resets = {plugin}
    proc = no
    diskspace = no
    cgroups = no
    tc = no
    idlejitter = no
    timex = no
    statsd = no
    checks = no
    apps = no
    python.d = no
    charts.d = no
    go.d = no
    node.d = no
    fping = no
    ioping = no
    perf = no
    slabinfo = no
    nfacct = no
    ebpf = no
    cups = no
[ml]
    enabled = no
[health]
    enabled = yes
[registry]
    enabled = no
[cloud]
    enabled = no
",
            user = user_name(),
            host = cfg.hostname,
            plugin = if cfg.plugin { "yes" } else { "no" },
        ) + &cfg.extra;
        std::fs::write(dir.join("etc/netdata.conf"), conf).unwrap();
        let mut stream = String::new();
        if let Some((parent, key)) = &cfg.stream_to {
            write!(
                stream,
                "[stream]\n    enabled = yes\n    destination = tcp:127.0.0.1:{parent}\n    api key = {key}\n    timeout seconds = 10\n    reconnect delay seconds = 1\n"
            )
            .unwrap();
        } else {
            stream.push_str("[stream]\n    enabled = no\n");
        }
        if let Some(key) = &cfg.accept_key {
            write!(
                stream,
                "[{key}]\n    enabled = yes\n    allow from = *\n    default memory mode = ram\n    health enabled by default = yes\n"
            )
            .unwrap();
        }
        std::fs::write(dir.join("etc/stream.conf"), stream).unwrap();

        let mut c = Command::new(netdata);
        c.arg("-D")
            .arg("-c")
            .arg(dir.join("etc/netdata.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(
                std::fs::File::create(dir.join("log/stdout.log")).unwrap(),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("log/stderr.log")).unwrap(),
            ))
            .process_group(0);
        fn die_with_parent() -> std::io::Result<()> {
            // SAFETY: prctl(PR_SET_PDEATHSIG) touches no memory and is
            // async-signal-safe.
            #[allow(unsafe_code)]
            unsafe {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL)
            };
            Ok(())
        }
        // SAFETY: the closure runs in the forked child before exec and only
        // calls prctl.
        #[allow(unsafe_code)]
        unsafe {
            c.pre_exec(die_with_parent);
        }
        let child = c.spawn().expect("start netdata");
        Netdata {
            child,
            port,
            dir,
            hostname: cfg.hostname,
            started: Instant::now(),
            seen: Mutex::new(Vec::new()),
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// GET `path` from the web API: `(status code, body)`, or `None` when
    /// netdata does not answer (yet).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).ok()?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n")?;
        let code = head.split_whitespace().nth(1)?.parse().ok()?;
        let mut seen = self.seen.lock().unwrap();
        if seen.len() >= 6 {
            seen.remove(0);
        }
        let short: String = body.chars().take(3000).collect();
        seen.push(format!("GET {path} -> {code}\n{short}"));
        Some((code, body.to_string()))
    }

    /// GET and parse JSON; `None` until netdata answers 200 with JSON.
    pub fn json(&self, path: &str) -> Option<Value> {
        match self.get(path)? {
            (200, body) => serde_json::from_str(&body).ok(),
            _ => None,
        }
    }

    /// Polls `f` every 500 ms until it returns `Some`, for at most `limit`;
    /// fails at once if netdata exits.
    pub fn wait<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut f: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let end = Instant::now() + limit;
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                panic!(
                    "{}: netdata exited ({s}) while waiting for {what}",
                    self.hostname
                );
            }
            if let Some(v) = f(self) {
                return v;
            }
            if Instant::now() >= end {
                panic!(
                    "{}: gave up after {limit:?} waiting for {what}",
                    self.hostname
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Chart ids (the charts API) on this agent, or on a child it receives
    /// when `host` is given.
    pub fn charts(&self, host: Option<&str>) -> Option<Value> {
        self.json(&format!("{}/api/v1/charts", prefix(host)))
    }

    /// `/api/v1/alarms?all`, by the `chart.alarm` key.
    pub fn alarms(&self, host: Option<&str>) -> Option<serde_json::Map<String, Value>> {
        let v = self.json(&format!("{}/api/v1/alarms?all", prefix(host)))?;
        v.get("alarms")?.as_object().cloned()
    }

    /// The status of `chart.alarm` (e.g. "CLEAR", "WARNING").
    pub fn alarm_status(&self, host: Option<&str>, chart: &str, alarm: &str) -> Option<String> {
        let a = self.alarms(host)?;
        Some(
            a.get(&format!("{chart}.{alarm}"))?
                .get("status")?
                .as_str()?
                .to_string(),
        )
    }

    /// The netdata.uptime of this agent, in seconds.
    pub fn uptime(&self) -> Option<f64> {
        let v = self.json("/api/v1/data?chart=netdata.uptime&points=1&after=-1&format=json")?;
        v.get("data")?.get(0)?.get(1)?.as_f64()
    }

    /// The pids of the plugins netdata started (its direct children).
    pub fn plugin_pids(&self, name: &str) -> Vec<i32> {
        children_of(self.pid())
            .into_iter()
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                    .is_ok_and(|c| c.split('\0').next().is_some_and(|a| a.ends_with(name)))
            })
            .collect()
    }

    /// error.log lines that mention `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("log/error.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_string)
            .collect()
    }

    /// What a person debugging a failure needs: error.log's tail and the
    /// last API answers.
    pub fn diagnostics(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("log/error.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        let seen = self
            .seen
            .lock()
            .map(|s| s.join("\n---\n"))
            .unwrap_or_default();
        format!(
            "===== netdata '{}' (pid {}, dir {}) error.log tail:\n{tail}\n===== last API answers:\n{seen}\n",
            self.hostname,
            self.pid(),
            self.dir.display()
        )
    }

    fn stop(&mut self) {
        let pid = self.pid();
        let plugins = descendants(pid);
        // SAFETY: kill sends SIGTERM to netdata's pid, which we started.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for p in plugins {
            // SAFETY: kill sends SIGKILL to a pid that was netdata's
            // descendant a moment ago; a plugin left behind is ended.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
    }
}

impl Drop for Netdata {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        if failed {
            eprintln!("{}", self.diagnostics());
        }
        self.stop();
        if !failed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn prefix(host: Option<&str>) -> String {
    host.map(|h| format!("/host/{h}")).unwrap_or_default()
}

/// Direct children of `pid`, from /proc.
pub fn children_of(pid: i32) -> Vec<i32> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return v;
    };
    for e in rd.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(1))
            .and_then(|s| s.parse::<i32>().ok());
        if ppid == Some(pid) {
            v.push(p);
        }
    }
    v
}

/// Every descendant of `pid`.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for c in children_of(p) {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

/// The kernel's counter `name` in the `label` rows (`Tcp:`, `TcpExt:`) of
/// `file` (`/proc/net/snmp`, `/proc/net/netstat`) of this process's network
/// namespace; `None` when this kernel lacks the column.
pub fn kernel_counter(file: &str, label: &str, name: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with(label)).collect();
    let head: Vec<&str> = rows[0].split_whitespace().collect();
    let vals: Vec<&str> = rows[1].split_whitespace().collect();
    let i = head.iter().position(|h| *h == name)?;
    Some(vals[i].parse().unwrap())
}

/// A `Tcp:` counter of /proc/net/snmp.
pub fn kernel_tcp(name: &str) -> u64 {
    kernel_counter("/proc/net/snmp", "Tcp:", name).unwrap()
}

/// `n` connections to a port nobody listens on, on 127.0.0.1: each one is
/// refused with a reset (OutRsts on the closed side, AttemptFails on the
/// connecting side).
pub fn refused_connections(port: u16, n: u64) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    for _ in 0..n {
        match TcpStream::connect(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            other => panic!("127.0.0.1:{port} should refuse, got {other:?}"),
        }
    }
}

/// Refused connections from `threads` threads for `d`; returns how many.
pub fn reset_storm(port: u16, threads: usize, d: Duration) -> u64 {
    let end = Instant::now() + d;
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut n = 0;
                while Instant::now() < end {
                    refused_connections(port, 100);
                    n += 100;
                }
                n
            })
        })
        .collect();
    hs.into_iter().map(|h| h.join().unwrap()).sum()
}
