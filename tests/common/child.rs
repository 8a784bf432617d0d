//! Running the real plugin binary from tests: every child is killed by its
//! pid when its guard drops (also when an assertion fails), and every wait
//! is bounded.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tcp_resets");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A command for the plugin with a clean netdata-free environment.
pub fn plugin(prefix: Option<&Path>, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("NETDATA_UPDATE_EVERY")
        .env_remove("NETDATA_LOG_LEVEL")
        .env_remove("NETDATA_LOG_FORMAT")
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
pub struct Guard(pub Child);

impl Guard {
    pub fn spawn(mut c: impl std::borrow::BorrowMut<Command>) -> Guard {
        Guard(c.borrow_mut().spawn().expect("spawn the plugin"))
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill only sends a signal to our own child's pid.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.pid(), sig);
        }
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
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

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
        .unwrap_or_else(|| panic!("plugin still running after {limit:?}"));
    Output {
        status,
        stdout: String::from_utf8(t_out.join().unwrap()).expect("stdout is UTF-8"),
        stderr: String::from_utf8(t_err.join().unwrap()).expect("stderr is UTF-8"),
    }
}
