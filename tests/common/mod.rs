//! What every integration test shares: the binary's path, fixtures,
//! skipping (or failing) when a tool or privilege is missing, temporary
//! directories that are removed also when a test panics, a line reader with
//! bounded waits, traffic that moves the kernel's TCP counters and private
//! network namespaces ([`traffic`]), and the tests' only `unsafe` code
//! ([`sys`]).
//!
//! Each test crate includes this with `mod common;` and uses part of it.
#![allow(dead_code)]

pub mod child;
pub mod lines;
pub mod sys;
pub mod traffic;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The plugin binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_tcp_resets");

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture tree under `tests/fixtures/`, for `NETDATA_HOST_PREFIX`.
pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

/// What a test may need beyond the Rust toolchain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A real netdata agent: `REQUIRE_NETDATA=1` makes its absence a failure.
    Netdata,
    /// A tool or a privilege (libfaketime, strace, root, namespaces):
    /// `REQUIRE_TOOLS=1` makes its absence a failure.
    Tools,
}

impl Need {
    fn variable(self) -> &'static str {
        match self {
            Need::Netdata => "REQUIRE_NETDATA",
            Need::Tools => "REQUIRE_TOOLS",
        }
    }

    /// Whether a missing `self` must fail the test rather than skip it.
    pub fn required(self) -> bool {
        std::env::var(self.variable()).as_deref() == Ok("1")
    }
}

/// Says loudly that `test` cannot run because `why`, and returns so that
/// the caller can skip it; panics instead when the need is required.
pub fn skip(need: Need, test: &str, why: &str) {
    if need.required() {
        panic!("{test}: {why}, and {}=1", need.variable());
    }
    eprintln!(
        "SKIPPED {test}: {why}; set {}=1 to make this a failure",
        need.variable()
    );
}

/// A directory under the system's temporary directory, removed with
/// everything in it when dropped (also while a failing test unwinds).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

static TEMP_SEQ: AtomicUsize = AtomicUsize::new(0);

impl TempDir {
    /// A new, empty directory whose name says which test made it.
    pub fn new(tag: &str) -> TempDir {
        let n = TEMP_SEQ.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("tcp_resets-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir { path, keep: false }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    /// Keeps the directory when the test fails, for a person to look into.
    pub fn keep_on_failure(mut self) -> TempDir {
        self.keep = true;
        self
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.keep && std::thread::panicking() {
            eprintln!("kept {} for inspection", self.path.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Copies the tree `from` into `to` (which exists).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let e = entry.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A copy of a fixture tree that a test may change.
pub fn fixture_copy(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    copy_tree(&fixture(name), dir.path());
    dir
}

/// The plugin run under strace with `strace_args` (stdin null, both
/// outputs piped), or `None` after skipping `test` when strace is missing.
pub fn under_strace(
    test: &str,
    strace_args: &[&str],
    args: &[&str],
) -> Option<std::process::Command> {
    const STRACE: &str = "/usr/bin/strace";
    if !Path::new(STRACE).exists() {
        skip(
            Need::Tools,
            test,
            "strace is not installed (apt-get install strace)",
        );
        return None;
    }
    let mut c = std::process::Command::new(STRACE);
    c.args(strace_args)
        .arg(BIN)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    Some(c)
}

/// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// The resident set of process `pid` in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS")
}

/// `ss -ltnm` for one port: (Recv-Q, Send-Q, drops), or `None` without ss.
pub fn ss_listener(port: u16) -> Option<(u64, u64, u64)> {
    let out = std::process::Command::new("ss")
        .args(["-ltnmH", &format!("sport = :{port}")])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).unwrap();
    let mut words = text.split_whitespace();
    let _state = words.next()?;
    let queue = words.next()?.parse().ok()?;
    let limit = words.next()?.parse().ok()?;
    let skmem = text.split("skmem:(").nth(1)?;
    let drops = skmem
        .trim_end_matches([')', '\n'])
        .split(',')
        .find_map(|f| f.strip_prefix('d'))?
        .parse()
        .ok()?;
    Some((queue, limit, drops))
}

/// The row of `127.0.0.1:port` in a table answer, by column key.
pub fn listener_row(table: &serde_json::Value, port: u16) -> impl Fn(&str) -> serde_json::Value {
    let cols = table["columns"].as_object().unwrap().clone();
    let r = table["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == format!("127.0.0.1:{port}").as_str())
        .unwrap_or_else(|| panic!("no row for port {port}: {table}"))
        .clone();
    move |k: &str| r[cols[k]["index"].as_u64().unwrap() as usize].clone()
}

/// Waits (at most 30 s) until nobody reading `out` has left the plugin
/// blocked in `write`: the pipe holds bytes and nothing was added for 2.5
/// intervals.
pub fn wait_until_blocked(out: &std::process::ChildStdout) {
    let queued = || sys::queued_bytes(std::os::fd::AsFd::as_fd(out));
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (mut last, mut since) = (queued(), std::time::Instant::now());
    loop {
        assert!(std::time::Instant::now() < end, "the pipe never filled");
        std::thread::sleep(std::time::Duration::from_millis(250));
        let now = queued();
        if now != last {
            (last, since) = (now, std::time::Instant::now());
        } else if last > 0 && since.elapsed() > std::time::Duration::from_millis(2500) {
            return;
        }
    }
}
