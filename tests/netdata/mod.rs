//! Real netdata agents for the tests, both major versions: Debian's 1.37.1
//! and upstream's 2.10.4, each run in the foreground with every directory
//! in a temporary tree, its web API on a free loopback port of the calling
//! thread's network namespace, our plugin as its only external plugin and
//! our health file as its only health file (notifications go to
//! `/bin/true`).
//!
//! # Finding the agents
//!
//! Nothing outside the repository is assumed to exist; each version is
//! looked for in this order:
//!
//! | agent | variable | default | else |
//! |---|---|---|---|
//! | 1.x | `TCP_RESETS_NETDATA137` | `/usr/sbin/netdata` (Debian 12's package) | the first `netdata` on `PATH` that says `v1.` |
//! | 2.x | `TCP_RESETS_NETDATA2` | `/usr/local/lib/netdata2/netdata` (where `install.sh` of the CI's netdata 2 build puts it) | the first `netdata` on `PATH` that says `v2.` |
//!
//! Each candidate is asked for its version (`netdata -V`). A variable that
//! names a missing file or an agent of the other major version is an error
//! (reported like a missing agent); a variable set to the empty string
//! leaves that version out. A missing agent makes its tests say SKIPPED and
//! pass, unless `REQUIRE_NETDATA=1` (set by `.ci/run`), which makes it a
//! failure.
//!
//! # What differs between the versions, and where the harness hides it
//!
//! - Configuration: 1.x `[global] memory mode` and `[logs] error log`; 2.x
//!   `[db] db` and `[logs] daemon`/`collector`/`health`, and `[plugins]
//!   netdata pulse = yes` for the `netdata.uptime` chart the alarms read.
//!   stream.conf: 1.x `default memory mode`, `health enabled by default`;
//!   2.x `db`, `health enabled`.
//! - Logs ([`Netdata::log_lines`], [`Netdata::error_lines`]): 1.x writes
//!   one `error.log` (`date: netdata ERROR : THREAD : message`, the
//!   plugin's stderr copied raw); 2.x writes logfmt (`level=error`) to
//!   `daemon.log` and `health.log`, and hands the plugin's stderr to
//!   `collector.log`.
//! - Processes ([`Netdata::plugin_pids`]): 1.x starts the plugin as its own
//!   child; 2.x starts it from its spawn server, a grandchild of the agent.
//! - Alarm variables ([`Netdata::resolves`]): 2.x answers
//!   `/api/v1/variable?chart=..&variable=..` with the exact lookup its
//!   alarms use (`found`); 1.x has no such call, so a name counts as
//!   resolved when `/api/v1/alarm_variables?chart=..` lists it among the
//!   chart's, family's or host's variables or it is one of the names the
//!   expression evaluator knows itself (`this`, `status`, `WARNING`, ...).
//! - 2.x has no web dashboard in this build; the `/api/v1/` calls used here
//!   answer in both versions with the same shape, including under
//!   `/host/<child>/` on a parent.
//! - 2.x's web server leaves about one request in five unanswered when the
//!   request arrives in pieces (a GET line written in three writes: 22 of
//!   100 hung, against 0 of 100 written at once); [`Netdata::get`] writes
//!   each request at once, and one-shot questions are retried for 20 s
//!   ([`Netdata::json_retry`]) because a busy machine can still delay an
//!   answer.
//! - 2.x starts its plugins through a spawn server listening on
//!   `/run/netdata/netdata-spawn-plugins.sock`, whatever `NETDATA_RUN_DIR`
//!   says (the agent resets that variable to the directory it picks). Two
//!   2.x agents running at once replace each other's socket, and the
//!   first one's plugins then fail to start ("SPAWN SERVER: Invalid
//!   authorization key"); so each 2.x agent runs in a mount namespace of
//!   its own with a private `/run` (which needs root).
//!
//! # Processes
//!
//! Netdata runs in its own process group, dies with the thread that started
//! it (PR_SET_PDEATHSIG), and is stopped by its pid (SIGTERM, then SIGKILL
//! after 15 s) when the handle drops, also when a check fails; its
//! descendants (plugins, 2.x's spawn server) are then killed by their pids.
//! On a failure the tails of its logs and its last API answers are printed
//! and its directory is kept.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::common::child::{self, Guard};
use crate::common::{repo, skip, sys, traffic, Need, TempDir, BIN};

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

/// The chart of alarm `name`.
pub fn chart_of(name: &str) -> &'static str {
    ALARMS
        .iter()
        .find(|(_, a)| *a == name)
        .unwrap_or_else(|| panic!("no alarm {name}"))
        .0
}

/// The status of our alarm `name` in an `/api/v1/alarms?all` answer
/// ("CLEAR", "WARNING", ..., "MISSING" when it is not listed).
pub fn status_in(alarms: &serde_json::Map<String, Value>, name: &str) -> String {
    alarms
        .get(&format!("{}.{name}", chart_of(name)))
        .and_then(|a| a.get("status")?.as_str())
        .unwrap_or("MISSING")
        .to_string()
}

/// The charts and dimension ids the plugin defines on Linux (`bad_resets`
/// of tcp_resets.spoofing is FreeBSD's).
pub const LINUX_CHARTS: &[(&str, &[&str])] = &[
    (
        "tcp_resets.resets",
        &["AttemptFails", "EstabResets", "OutRsts"],
    ),
    (
        "tcp_resets.causes",
        &["queue_full", "aborted", "memory", "half_open"],
    ),
    (
        "tcp_resets.syncookies",
        &["sent", "received", "failed", "syn_queue_drops"],
    ),
    ("tcp_resets.spoofing", &["challenge_acks", "syn_challenges"]),
];

/// Where Debian's and upstream's packages keep netdata's own plugins (1.x
/// runs `system-info.sh` from its plugins directory at start-up; 1.37's
/// stream sender aborts when it could not).
const NETDATA_PLUGINS_DIRS: &[&str] = &[
    "/usr/lib/netdata/plugins.d",
    "/usr/libexec/netdata/plugins.d",
];

/// A netdata major version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    V1,
    V2,
}

impl Flavor {
    /// (environment variable, default path, `netdata -V` prefix, how to
    /// install one).
    fn facts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Flavor::V1 => (
                "TCP_RESETS_NETDATA137",
                "/usr/sbin/netdata",
                "v1.",
                "apt-get install netdata (Debian 12 ships 1.37.1)",
            ),
            Flavor::V2 => (
                "TCP_RESETS_NETDATA2",
                "/usr/local/lib/netdata2/netdata",
                "v2.",
                "install netdata 2.x and point TCP_RESETS_NETDATA2 at it",
            ),
        }
    }

    fn variable(self) -> &'static str {
        self.facts().0
    }

    fn default_path(self) -> &'static str {
        self.facts().1
    }

    fn prefix(self) -> &'static str {
        self.facts().2
    }

    fn install_hint(self) -> &'static str {
        self.facts().3
    }
}

/// A netdata binary and the version it reports.
#[derive(Clone, Debug)]
pub struct Agent {
    pub flavor: Flavor,
    pub bin: PathBuf,
    /// As `netdata -V` says it, without the `v`: `1.37.1`, `2.10.4`.
    pub version: String,
}

impl Agent {
    /// `netdata 2.10.4`, for messages.
    pub fn name(&self) -> String {
        format!("netdata {}", self.version)
    }
}

/// The version `bin -V` reports (`v1.37.1`), or why there is none.
fn version_of(bin: &Path) -> Result<String, String> {
    let mut c = Command::new(bin);
    c.arg("-V")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = child::run(c, Duration::from_secs(20));
    let text = format!("{}{}", out.stdout, out.stderr);
    text.split_whitespace()
        .find(|w| w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| format!("{} -V said {text:?}", bin.display()))
}

/// Finds the agent of `flavor` (see the module's documentation).
pub fn find_agent(flavor: Flavor) -> Result<Agent, String> {
    let check = |bin: PathBuf| -> Result<Agent, String> {
        let v = version_of(&bin)?;
        if !v.starts_with(flavor.prefix()) {
            return Err(format!(
                "{} is netdata {v}, not {}x",
                bin.display(),
                flavor.prefix()
            ));
        }
        Ok(Agent {
            flavor,
            bin,
            version: v[1..].to_string(),
        })
    };
    if let Some(v) = std::env::var_os(flavor.variable()) {
        if v.is_empty() {
            return Err(format!("{} is set empty", flavor.variable()));
        }
        let p = PathBuf::from(v);
        if !p.is_file() {
            return Err(format!(
                "{}={} does not exist",
                flavor.variable(),
                p.display()
            ));
        }
        return check(p);
    }
    let default = PathBuf::from(flavor.default_path());
    if default.is_file() {
        return check(default);
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let p = dir.join("netdata");
        if p.is_file() {
            if let Ok(a) = check(p) {
                return Ok(a);
            }
        }
    }
    Err(format!(
        "no netdata {}x: {} unset, {} absent, none on PATH ({})",
        flavor.prefix(),
        flavor.variable(),
        flavor.default_path(),
        flavor.install_hint()
    ))
}

/// The agent of `flavor`, or `None` after saying SKIPPED (a failure under
/// REQUIRE_NETDATA=1).
pub fn agent_or_skip(flavor: Flavor, test: &str) -> Option<Agent> {
    match find_agent(flavor) {
        Ok(a) => Some(a),
        Err(why) => {
            skip(Need::Netdata, test, &why);
            None
        }
    }
}

/// Says that `test` cannot run for want of a privilege or a tool: a
/// failure under REQUIRE_NETDATA=1 or REQUIRE_TOOLS=1, else SKIPPED.
pub fn skip_tool(test: &str, why: &str) {
    let need = if Need::Netdata.required() {
        Need::Netdata
    } else {
        Need::Tools
    };
    skip(need, test, why);
}

/// Calls `f` every 500 ms until it returns `Some`, for at most `limit`;
/// panics saying who gave up waiting for what.
fn poll<T>(who: &str, what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let end = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < end,
            "{who}: gave up after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn user_name() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// How a netdata for a test is set up.
#[derive(Clone, Debug)]
pub struct Config {
    pub hostname: String,
    /// Install the plugin and run it.
    pub plugin: bool,
    /// `[plugin:tcp_resets] update every`, when not netdata's 1 s.
    pub plugin_every: Option<u32>,
    /// `stream.conf`: `Some((parent port, api key))` for a child.
    pub stream_to: Option<(u16, String)>,
    /// An API key to accept children with (a parent).
    pub accept_key: Option<String>,
}

impl Config {
    pub fn node(hostname: &str) -> Config {
        Config {
            hostname: hostname.to_string(),
            plugin: true,
            plugin_every: None,
            stream_to: None,
            accept_key: None,
        }
    }
}

/// A running netdata.
pub struct Netdata {
    pub agent: Agent,
    pub port: u16,
    pub hostname: String,
    pub started: Instant,
    dir: TempDir,
    guard: Option<Guard>,
    seen: Mutex<VecDeque<String>>,
}

impl Netdata {
    pub fn start(agent: &Agent, cfg: Config) -> Netdata {
        let dir =
            TempDir::new(&format!("netdata{}-{}", agent.version, cfg.hostname)).keep_on_failure();
        for d in [
            "etc",
            "stock",
            "plugins",
            "cache",
            "lib",
            "log",
            "web",
            "health",
            "stock-health",
        ] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        if agent.flavor == Flavor::V1 {
            let own = agent.bin.parent().and_then(Path::parent).map(|p| {
                [
                    p.join("lib/netdata/plugins.d"),
                    p.join("libexec/netdata/plugins.d"),
                ]
            });
            let dirs: Vec<PathBuf> = NETDATA_PLUGINS_DIRS
                .iter()
                .map(PathBuf::from)
                .chain(own.into_iter().flatten())
                .collect();
            for helper in ["system-info.sh", "get-kubernetes-labels.sh"] {
                if let Some(src) = dirs.iter().map(|d| d.join(helper)).find(|p| p.exists()) {
                    std::os::unix::fs::symlink(src, dir.join("plugins").join(helper)).unwrap();
                }
            }
        }
        if cfg.plugin {
            std::fs::copy(BIN, dir.join("plugins/tcp_resets.plugin")).unwrap();
        }
        std::fs::copy(
            repo().join("health.d/tcp_resets_plugin.conf"),
            dir.join("stock-health/tcp_resets_plugin.conf"),
        )
        .unwrap();
        let port = traffic::closed_port();
        let conf = match agent.flavor {
            Flavor::V1 => conf_v1(dir.path(), port, &cfg),
            Flavor::V2 => conf_v2(dir.path(), port, &cfg),
        };
        std::fs::write(dir.join("etc/netdata.conf"), conf).unwrap();
        std::fs::write(dir.join("etc/stream.conf"), stream_conf(agent.flavor, &cfg)).unwrap();

        // 2.x's spawn server listens on /run/netdata/netdata-spawn-*.sock
        // whatever NETDATA_RUN_DIR says: agents running at once must not
        // share it (a second agent replaces the first's socket, whose
        // plugins then fail to start with "Invalid authorization key"), so
        // each 2.x agent gets a /run of its own.
        let mut c = Command::new(&agent.bin);
        if agent.flavor == Flavor::V2 {
            let run = dir.join("run");
            std::fs::create_dir_all(&run).unwrap();
            sys::private_mount(&mut c, &run, Path::new("/run"));
        }
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
        let guard = Guard::spawn(c);
        Netdata {
            agent: agent.clone(),
            port,
            hostname: cfg.hostname,
            started: Instant::now(),
            dir,
            guard: Some(guard),
            seen: Mutex::new(VecDeque::new()),
        }
    }

    pub fn pid(&self) -> u32 {
        self.guard.as_ref().unwrap().pid()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `[netdata 2.10.4 tcp-resets-child]`, for messages.
    pub fn who(&self) -> String {
        format!("[{} {}]", self.agent.name(), self.hostname)
    }

    /// GET `path` from the web API: `(status code, body)`, or `None` when
    /// netdata does not answer (yet).
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let answer = http_get(self.port, path);
        let mut seen = self.seen.lock().unwrap();
        if seen.len() >= 6 {
            seen.pop_front();
        }
        seen.push_back(match &answer {
            Ok((code, body)) => {
                let short: String = body.chars().take(3000).collect();
                format!("GET {path} -> {code}\n{short}")
            }
            Err(e) => format!("GET {path} -> {e}"),
        });
        answer.ok()
    }

    /// GET and parse JSON; `None` until netdata answers 200 with JSON.
    pub fn json(&self, path: &str) -> Option<Value> {
        match self.get(path)? {
            (200, body) => serde_json::from_str(&body).ok(),
            _ => None,
        }
    }

    /// GET and parse JSON, trying again for up to 20 s (a busy agent may
    /// drop a request); panics naming `what` when no answer comes.
    pub fn json_retry(&self, path: &str, what: &str) -> Value {
        let limit = Duration::from_secs(20);
        poll(
            &self.who(),
            &format!("an answer about {what}"),
            limit,
            || self.json(path),
        )
    }

    /// Whether netdata is still running.
    pub fn running(&mut self) -> bool {
        self.guard.as_mut().unwrap().running()
    }

    /// Polls `f` every 500 ms until it returns `Some`, for at most `limit`;
    /// fails at once if netdata exits.
    pub fn wait<T>(
        &mut self,
        what: &str,
        limit: Duration,
        mut f: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        let who = self.who();
        poll(&who, what, limit, || {
            assert!(
                self.running(),
                "{who}: netdata exited while waiting for {what}"
            );
            f(self)
        })
    }

    /// The charts API of this agent, or of a child it receives (`host`).
    pub fn charts(&self, host: Option<&str>) -> Option<Value> {
        self.json(&format!("{}/api/v1/charts", prefix(host)))
    }

    /// `/api/v1/alarms?all`, by the `chart.alarm` key.
    pub fn alarms(&self, host: Option<&str>) -> Option<serde_json::Map<String, Value>> {
        let v = self.json(&format!("{}/api/v1/alarms?all", prefix(host)))?;
        v.get("alarms")?.as_object().cloned()
    }

    /// `/api/v1/alarms?all`, by the `chart.alarm` key, trying again for up
    /// to 20 s.
    pub fn alarms_retry(&self, host: Option<&str>) -> serde_json::Map<String, Value> {
        let v = self.json_retry(&format!("{}/api/v1/alarms?all", prefix(host)), "alarms");
        v.get("alarms")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_else(|| panic!("{}: no alarms in {v}", self.who()))
    }

    /// Our alarm `name` as the alarms API shows it; `None` when netdata
    /// does not answer or does not list it.
    pub fn alarm(&self, host: Option<&str>, name: &str) -> Option<Value> {
        self.alarms(host)?
            .remove(&format!("{}.{name}", chart_of(name)))
    }

    /// The status of our alarm `name` ("CLEAR", "WARNING", ..., "MISSING"
    /// when it is not listed), or `None` when netdata does not answer.
    pub fn status(&self, host: Option<&str>, name: &str) -> Option<String> {
        Some(status_in(&self.alarms(host)?, name))
    }

    /// Events per dimension of `chart` in `[after, before]` (seconds since
    /// the epoch): the per-second rates summed.
    pub fn events(
        &self,
        host: Option<&str>,
        chart: &str,
        after: u64,
        before: u64,
    ) -> BTreeMap<String, f64> {
        let points = before - after;
        let v = self.json_retry(
            &format!(
                "{}/api/v1/data?chart={chart}&after={after}&before={before}&points={points}&group=average&format=json&options=unaligned",
                prefix(host)
            ),
            chart,
        );
        let labels: Vec<String> = v["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_string())
            .collect();
        let rows = v["data"].as_array().unwrap();
        assert!(
            rows.len() as u64 + 2 >= points,
            "{}: {} rows for {points} s: {v}",
            self.who(),
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

    /// The value of chart variable `name` of `chart`.
    pub fn chart_variable(&self, chart: &str, name: &str) -> Option<f64> {
        let v = self.json(&format!("/api/v1/alarm_variables?chart={chart}"))?;
        v.get("chart_variables")?.get(name)?.as_f64()
    }

    /// Whether an alarm on `chart` would resolve `$variable` (see the
    /// module's documentation).
    pub fn resolves(&self, host: Option<&str>, chart: &str, variable: &str) -> bool {
        match self.agent.flavor {
            Flavor::V2 => {
                let v = self.json_retry(
                    &format!(
                        "{}/api/v1/variable?chart={chart}&variable={variable}",
                        prefix(host)
                    ),
                    &format!("${variable} on {chart}"),
                );
                v.get("found")
                    .and_then(Value::as_bool)
                    .unwrap_or_else(|| panic!("{}: no 'found' in {v}", self.who()))
            }
            Flavor::V1 => {
                // The names 1.x's expression evaluator resolves itself.
                const BUILTIN: &[&str] = &[
                    "this",
                    "after",
                    "before",
                    "now",
                    "status",
                    "REMOVED",
                    "UNINITIALIZED",
                    "UNDEFINED",
                    "CLEAR",
                    "WARNING",
                    "CRITICAL",
                ];
                if BUILTIN.contains(&variable) {
                    return true;
                }
                let v = self.json_retry(
                    &format!("{}/api/v1/alarm_variables?chart={chart}", prefix(host)),
                    &format!("the variables of {chart}"),
                );
                ["chart_variables", "family_variables", "host_variables"]
                    .iter()
                    .any(|k| v.get(k).and_then(|m| m.get(variable)).is_some())
            }
        }
    }

    /// The pids of the plugin `name` (e.g. `tcp_resets.plugin`) netdata
    /// runs, among all its descendants.
    pub fn plugin_pids(&self, name: &str) -> Vec<u32> {
        descendants(self.pid())
            .into_iter()
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/cmdline"))
                    .is_ok_and(|c| c.split('\0').next().is_some_and(|a| a.ends_with(name)))
            })
            .collect()
    }

    /// The log files netdata writes its own messages to, and the one the
    /// plugin's stderr goes to.
    pub fn log_files(&self) -> Vec<PathBuf> {
        let names: &[&str] = match self.agent.flavor {
            Flavor::V1 => &["error.log"],
            Flavor::V2 => &["daemon.log", "health.log", "collector.log"],
        };
        names.iter().map(|n| self.dir.join("log").join(n)).collect()
    }

    /// Every line of [`Self::log_files`].
    pub fn log_lines(&self) -> Vec<String> {
        self.log_files()
            .iter()
            .flat_map(|f| {
                std::fs::read_to_string(f)
                    .unwrap_or_default()
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Log lines at level error or worse.
    pub fn error_lines(&self) -> Vec<String> {
        self.log_lines()
            .into_iter()
            .filter(|l| is_error_line(self.agent.flavor, l))
            .collect()
    }

    /// What a person debugging a failure needs: the tails of netdata's logs
    /// and its last API answers.
    pub fn diagnostics(&self) -> String {
        let mut out = format!(
            "===== {} (pid {}, port {}, dir {})\n",
            self.who(),
            self.pid(),
            self.port,
            self.dir.path().display()
        );
        let mut files = self.log_files();
        files.push(self.dir.join("log/stderr.log"));
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            let _ = writeln!(out, "----- {} (tail):\n{tail}", f.display());
        }
        let seen = self
            .seen
            .lock()
            .map(|s| s.iter().cloned().collect::<Vec<_>>().join("\n---\n"))
            .unwrap_or_default();
        let _ = writeln!(out, "----- last API answers:\n{seen}");
        out
    }

    fn stop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let pid = guard.pid();
        let family = descendants(pid);
        guard.signal(libc::SIGTERM);
        let _ = guard.wait_for(Duration::from_secs(15));
        drop(guard); // SIGKILL if still running, and reaped
        for p in family {
            sys::kill(p, libc::SIGKILL);
        }
    }
}

impl Drop for Netdata {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.diagnostics());
        }
        self.stop();
    }
}

/// One HTTP/1.0 GET on 127.0.0.1:`port`, with bounded waits.
fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .and_then(|_| s.set_write_timeout(Some(Duration::from_secs(5))))
        .map_err(|e| format!("timeouts: {e}"))?;
    // One write: 2.x's web server sometimes never answers a request whose
    // first segment holds only part of it (write! issues a write per piece).
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header in {} bytes: {text:?}", raw.len()))?;
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status code in {head:?}"))?;
    Ok((code, body.to_string()))
}

fn is_error_line(flavor: Flavor, l: &str) -> bool {
    match flavor {
        Flavor::V1 => l.contains(" ERROR : ") || l.contains(" FATAL : "),
        Flavor::V2 => ["error", "critical", "alert", "emergency"]
            .iter()
            .any(|lv| l.contains(&format!(" level={lv} "))),
    }
}

fn prefix(host: Option<&str>) -> String {
    host.map(|h| format!("/host/{h}")).unwrap_or_default()
}

/// The `[plugins]` lines that turn off everything but our plugin.
const QUIET_PLUGINS: &[&str] = &[
    "proc",
    "diskspace",
    "cgroups",
    "tc",
    "idlejitter",
    "timex",
    "statsd",
    "checks",
    "apps",
    "python.d",
    "charts.d",
    "go.d",
    "node.d",
    "fping",
    "ioping",
    "perf",
    "slabinfo",
    "nfacct",
    "ebpf",
    "cups",
];

fn common_tail(port: u16, cfg: &Config, extra_plugins: &str) -> String {
    let mut s = format!(
        "[web]\n    bind to = 127.0.0.1:{port}\n[plugins]\n    enable running new plugins = no\n    tcp_resets = {}\n{extra_plugins}",
        if cfg.plugin { "yes" } else { "no" }
    );
    for p in QUIET_PLUGINS {
        let _ = writeln!(s, "    {p} = no");
    }
    if let Some(every) = cfg.plugin_every {
        let _ = writeln!(s, "[plugin:tcp_resets]\n    update every = {every}");
    }
    s.push_str(
        "[ml]\n    enabled = no\n[health]\n    enabled = yes\n    script to execute on alarm = /bin/true\n[registry]\n    enabled = no\n[cloud]\n    enabled = no\n",
    );
    s
}

fn conf_v1(d: &Path, port: u16, cfg: &Config) -> String {
    let d = d.display();
    format!(
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
    web = {d}/web
    health config = {d}/health
    stock health config = {d}/stock-health
[logs]
    debug log = none
    error log = {d}/log/error.log
    access log = none
",
        user = user_name(),
        host = cfg.hostname,
    ) + &common_tail(port, cfg, "")
}

fn conf_v2(d: &Path, port: u16, cfg: &Config) -> String {
    let d = d.display();
    format!(
        "[global]
    run as user = {user}
    hostname = {host}
[db]
    db = ram
    update every = 1
    retention = 3600
[directories]
    config = {d}/etc
    stock config = {d}/stock
    plugins = \"{d}/plugins\"
    cache = {d}/cache
    lib = {d}/lib
    log = {d}/log
    web = {d}/web
    health config = {d}/health
    stock health config = {d}/stock-health
[logs]
    daemon = {d}/log/daemon.log
    collector = {d}/log/collector.log
    health = {d}/log/health.log
    access = off
    debug = off
    level = info
",
        user = user_name(),
        host = cfg.hostname,
    ) + &common_tail(port, cfg, "    netdata pulse = yes\n")
}

fn stream_conf(flavor: Flavor, cfg: &Config) -> String {
    let mut s = String::new();
    if let Some((parent, key)) = &cfg.stream_to {
        let (timeout, reconnect) = match flavor {
            Flavor::V1 => ("timeout seconds", "reconnect delay seconds"),
            Flavor::V2 => ("timeout", "reconnect delay"),
        };
        let _ = write!(
            s,
            "[stream]\n    enabled = yes\n    destination = tcp:127.0.0.1:{parent}\n    api key = {key}\n    {timeout} = 10\n    {reconnect} = 1\n"
        );
    } else {
        s.push_str("[stream]\n    enabled = no\n");
    }
    if let Some(key) = &cfg.accept_key {
        let (db, health) = match flavor {
            Flavor::V1 => ("default memory mode", "health enabled by default"),
            Flavor::V2 => ("db", "health enabled"),
        };
        let _ = write!(
            s,
            "[{key}]\n    enabled = yes\n    allow from = *\n    {db} = ram\n    {health} = yes\n"
        );
    }
    s
}

/// Direct children of `pid`, from /proc.
pub fn children_of(pid: u32) -> Vec<u32> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return v;
    };
    for e in rd.flatten() {
        let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|r| r.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(pid) {
            v.push(p);
        }
    }
    v
}

/// Every descendant of `pid`.
pub fn descendants(pid: u32) -> Vec<u32> {
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

/// An alarm as our health file defines it.
#[derive(Clone, Debug)]
pub struct AlarmDef {
    pub name: String,
    pub on: String,
    /// The line of its `summary:` key (1-based), and the summary.
    pub summary_line: usize,
    pub summary: String,
    /// Every `$name` and `${name}` of its `calc:`, `warn:` and `crit:`.
    pub variables: BTreeSet<String>,
    pub warns: bool,
}

/// The alarms of health.d/tcp_resets_plugin.conf, in file order.
pub fn health_file() -> Vec<AlarmDef> {
    let text = std::fs::read_to_string(repo().join("health.d/tcp_resets_plugin.conf")).unwrap();
    // Logical lines (a trailing backslash continues one), with the number of
    // their first physical line.
    let mut logical: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (i, raw) in text.lines().enumerate() {
        let (body, cont) = match raw.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (raw.trim_end(), false),
        };
        if open {
            logical.last_mut().unwrap().1.push_str(body);
        } else {
            logical.push((i + 1, body.to_string()));
        }
        open = cont;
    }
    let mut out: Vec<AlarmDef> = Vec::new();
    for (n, line) in logical {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        match key.trim() {
            "alarm" | "template" => out.push(AlarmDef {
                name: value,
                on: String::new(),
                summary_line: 0,
                summary: String::new(),
                variables: BTreeSet::new(),
                warns: false,
            }),
            k => {
                let Some(a) = out.last_mut() else { continue };
                match k {
                    "on" => a.on = value,
                    "summary" => {
                        a.summary_line = n;
                        a.summary = value;
                    }
                    "calc" | "warn" | "crit" => {
                        a.warns |= k != "calc";
                        a.variables.extend(variables(&value));
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// The variable names in a netdata expression: `$name` (letters, digits,
/// `_` and `.`) and `${name}`.
pub fn variables(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find('$') {
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('{') {
            let end = r.find('}').expect("an unclosed ${");
            out.push(r[..end].to_string());
            rest = &r[end + 1..];
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}
