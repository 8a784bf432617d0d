//! Running the real plugin binary from tests: every child is killed by its
//! pid when its guard drops (also when an assertion fails), and every wait
//! is bounded.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::lines::Lines;
use super::{sys, BIN};

/// A command for the plugin with a clean netdata-free environment, stdin
/// from /dev/null and both outputs piped.
pub fn plugin(prefix: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("NETDATA_UPDATE_EVERY")
        .env_remove("NETDATA_LOG_LEVEL")
        .env_remove("NETDATA_LOG_FORMAT")
        .env_remove("NETDATA_LOG_METHOD")
        .env_remove("NETDATA_SYSLOG_FACILITY")
        .env_remove("NETDATA_HOST_PREFIX")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(p) = prefix {
        c.env("NETDATA_HOST_PREFIX", p);
    }
    c
}

/// A running child, killed (SIGKILL, by pid) when dropped.
#[derive(Debug)]
pub struct Guard(pub Child);

impl Guard {
    pub fn spawn(mut c: impl std::borrow::BorrowMut<Command>) -> Guard {
        let c = c.borrow_mut();
        sys::die_with_parent(c);
        Guard(c.spawn().expect("spawn the child"))
    }

    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    pub fn signal(&self, sig: i32) {
        sys::kill(self.pid(), sig);
    }

    /// A reader of the child's stdout (taken from it).
    pub fn stdout_lines(&mut self) -> Lines {
        Lines::new(self.0.stdout.take().expect("stdout is piped"))
    }

    /// Everything on the child's stderr (taken from it) until it closes.
    pub fn stderr_text(&mut self) -> String {
        let mut err = String::new();
        self.0
            .stderr
            .take()
            .expect("stderr is piped")
            .read_to_string(&mut err)
            .unwrap();
        err
    }

    /// Waits at most `limit` for the child to exit.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + limit;
        loop {
            if let Some(s) = self.0.try_wait().expect("try_wait") {
                return Some(s);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Does `stop` to the child and asserts that it then exits with 0
    /// within 100 ms (failing after at most `limit`); `what` names the case.
    pub fn exits_0_within_100ms_of(
        &mut self,
        stop: impl FnOnce(&mut Guard),
        limit: Duration,
        what: &str,
    ) {
        let t = Instant::now();
        stop(self);
        let status = self
            .wait_for(limit)
            .unwrap_or_else(|| panic!("{what}: the plugin did not stop within {limit:?}"));
        let took = t.elapsed();
        assert_eq!(status.code(), Some(0), "{what}");
        assert!(took < Duration::from_millis(100), "{what}: {took:?}");
    }

    /// Whether the child is still running.
    pub fn running(&mut self) -> bool {
        self.0.try_wait().expect("try_wait").is_none()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// What a finished child printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs to completion, failing the test if it takes longer than `limit`.
pub fn run(c: Command, limit: Duration) -> Output {
    let mut g = Guard::spawn(c);
    let mut out = g.0.stdout.take().unwrap();
    let mut err = g.0.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = g
        .wait_for(limit)
        .unwrap_or_else(|| panic!("child still running after {limit:?}"));
    Output {
        status,
        stdout: String::from_utf8(t_out.join().unwrap()).expect("stdout is UTF-8"),
        stderr: String::from_utf8(t_err.join().unwrap()).expect("stderr is UTF-8"),
    }
}

/// The plugin at a 1 s interval over `prefix` (or the live /proc), asked
/// Function calls on stdin one at a time, as netdata asks them.
#[derive(Debug)]
pub struct Asker {
    guard: Guard,
    stdin: std::process::ChildStdin,
    lines: Lines,
    calls: u32,
}

impl Asker {
    pub fn start(prefix: Option<&Path>) -> Asker {
        Asker::start_with(prefix, &[])
    }

    /// The same with `args` after the interval.
    pub fn start_with(prefix: Option<&Path>, args: &[&str]) -> Asker {
        let mut all = vec!["1"];
        all.extend_from_slice(args);
        Asker::of(plugin(prefix, &all))
    }

    /// The same for a command that runs the plugin some other way (as
    /// another user, say), its stdout piped.
    pub fn of(mut c: Command) -> Asker {
        c.stdin(Stdio::piped());
        let mut guard = Guard::spawn(c);
        let stdin = guard.0.stdin.take().unwrap();
        let lines = guard.stdout_lines();
        Asker {
            guard,
            stdin,
            lines,
            calls: 0,
        }
    }

    /// Calls `function` (name and arguments) with `access` (netdata 2.x's
    /// access word; `None` as netdata 1.37 calls) and returns the answer's
    /// status and JSON body, within 15 s.
    pub fn call(&mut self, function: &str, access: Option<&str>) -> (u16, serde_json::Value) {
        use std::io::Write;
        self.calls += 1;
        let tx = format!("{:032x}", self.calls);
        let line = match access {
            Some(a) => {
                format!("FUNCTION {tx} 10 \"{function}\" \"{a}\" \"method=api,ip=127.0.0.1\"\n")
            }
            None => format!("FUNCTION {tx} 10 \"{function}\"\n"),
        };
        self.stdin.write_all(line.as_bytes()).unwrap();
        let begin = format!("FUNCTION_RESULT_BEGIN {tx} ");
        let end = Instant::now() + Duration::from_secs(15);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            let l = self
                .lines
                .next(left)
                .unwrap_or_else(|| panic!("no answer to {line:?} within 15 s"));
            if let Some(rest) = l.strip_prefix(&begin) {
                let status = rest.split(' ').next().unwrap().parse().unwrap();
                let body = self.lines.next(left).expect("the answer's body");
                return (status, serde_json::from_str(&body).unwrap());
            }
        }
    }

    /// Stops the plugin (SIGTERM) and asserts it exits 0.
    pub fn stop(mut self) {
        self.guard.signal(libc::SIGTERM);
        let status = self.guard.wait_for(Duration::from_secs(10));
        assert_eq!(status.and_then(|s| s.code()), Some(0));
    }
}
