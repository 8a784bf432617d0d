//! Waiting between samples, and the reasons to stop.
//!
//! One `ppoll` is both the sleep and the watch: on a self-pipe that the
//! SIGTERM/SIGINT/SIGHUP handlers write to (so a signal ends the sleep at
//! once, with no race between checking a flag and going to sleep), on
//! stdin when it is a pipe (netdata 2.x writes `QUIT` and closes it to stop
//! a plugin), and on stdout when it is a pipe (an error there means netdata
//! has gone).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::Error;
use crate::sys::{self, FdKind};

/// Why the plugin stops without an error (exit 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM, SIGINT or SIGHUP.
    Signal,
    /// netdata wrote `QUIT` on stdin.
    Quit,
    /// stdin (a pipe) reached end of file.
    StdinClosed,
    /// stdout (a pipe) has no reader any more.
    OutputClosed,
    /// `--iterations` samples were written.
    Iterations,
}

/// The signals that stop the plugin.
pub const SIGNALS: [i32; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

const SIG: usize = 0;
const STDIN: usize = 1;
const STDOUT: usize = 2;
const QUIT: &[u8] = b"QUIT";

/// Sleeps until a deadline or a reason to stop.
#[derive(Debug)]
pub struct Waiter {
    flag: Arc<AtomicBool>,
    wake: UnixStream,
    stdin: Option<RawFd>,
    stdout: Option<RawFd>,
    /// How much of `QUIT` the bytes read from stdin so far end with.
    quit_matched: usize,
}

impl Waiter {
    /// Installs the signal handlers and decides what to watch: `stdin` only
    /// when it is a pipe or socket (a terminal or /dev/null is ignored, so
    /// a person running the plugin by hand does not see it stop by itself).
    pub fn new(stdin: RawFd, stdout: RawFd) -> Result<Waiter, Error> {
        let setup = |what| {
            move |e: std::io::Error| Error::Setup {
                what,
                errno: e.raw_os_error().map(sys::Errno),
            }
        };
        let flag = Arc::new(AtomicBool::new(false));
        let (wake, notify) = UnixStream::pair().map_err(setup("create the wake-up socket"))?;
        wake.set_nonblocking(true)
            .map_err(setup("configure the wake-up socket"))?;
        for sig in SIGNALS {
            signal_hook::flag::register(sig, Arc::clone(&flag))
                .map_err(setup("install a signal handler"))?;
            let end: OwnedFd = notify
                .try_clone()
                .map_err(setup("duplicate the wake-up socket"))?
                .into();
            signal_hook::low_level::pipe::register(sig, end)
                .map_err(setup("install a signal handler"))?;
            // signal-hook installs handlers with SA_RESTART; a write blocked
            // on a full pipe (a stalled netdata) must end on a stop signal.
            sys::interrupt_restarts(sig).map_err(|e| Error::Setup {
                what: "make a signal interrupt blocking writes",
                errno: Some(e),
            })?;
        }
        let stream = |fd| (sys::fd_kind(fd) == FdKind::Stream).then_some(fd);
        Ok(Waiter {
            flag,
            wake,
            stdin: stream(stdin),
            stdout: stream(stdout),
            quit_matched: 0,
        })
    }

    /// Whether a stop signal has arrived.
    pub fn signalled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Writes all of `bytes` to `fd` (stdout). `Some(Stop::Signal)` when a
    /// stop signal ended a write blocked on a reader that stopped reading.
    pub fn write(&self, fd: RawFd, bytes: &[u8]) -> Result<Option<Stop>, Error> {
        match sys::write_all_unless(fd, bytes, || self.signalled()) {
            Ok(()) => Ok(None),
            Err(e) if e == sys::Errno::INTR => Ok(Some(Stop::Signal)),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits up to `timeout_us`. `Some` when the plugin must stop.
    pub fn wait(&mut self, timeout_us: u64) -> Option<Stop> {
        if self.signalled() {
            return Some(Stop::Signal);
        }
        let fds = [Some(self.wake.as_raw_fd()), self.stdin, self.stdout];
        let ready = sys::wait(&fds, &[false, false, true], timeout_us);
        if ready[SIG].input {
            let mut drain = [0u8; 16];
            while matches!(sys::read(self.wake.as_raw_fd(), &mut drain), Ok(n) if n > 0) {}
        }
        if self.signalled() {
            return Some(Stop::Signal);
        }
        if ready[STDOUT].hangup {
            return Some(Stop::OutputClosed);
        }
        if ready[STDIN].input || ready[STDIN].hangup {
            if let Some(stop) = self.read_stdin() {
                return Some(stop);
            }
        }
        None
    }

    fn read_stdin(&mut self) -> Option<Stop> {
        let fd = self.stdin?;
        let mut buf = [0u8; 256];
        match sys::read(fd, &mut buf) {
            Ok(0) => Some(Stop::StdinClosed),
            Ok(n) => {
                for &b in &buf[..n] {
                    self.quit_matched = match b {
                        _ if b == QUIT[self.quit_matched] => self.quit_matched + 1,
                        b'Q' => 1,
                        _ => 0,
                    };
                    if self.quit_matched == QUIT.len() {
                        return Some(Stop::Quit);
                    }
                }
                None
            }
            Err(e) if e == sys::Errno::INTR || e == sys::Errno::AGAIN => None,
            Err(_) => {
                // An unreadable stdin tells nothing; stop watching it.
                self.stdin = None;
                None
            }
        }
    }
}
