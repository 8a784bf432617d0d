//! The stdio transport: writing to netdata (stdout), reading what it asks
//! (stdin, parsed by [`crate::functions::protocol`]), sleeping between
//! samples, and the reasons to stop ([`Halt`]).
//!
//! One `ppoll` is both the sleep and the watch: on a self-pipe that the
//! SIGTERM/SIGINT/SIGHUP handlers write to (so a signal ends the sleep at
//! once, with no race between checking a flag and going to sleep), on
//! stdin when it is a pipe (netdata 2.x writes `QUIT` and closes it to stop
//! a plugin), and on stdout when it is a pipe (an error there means netdata
//! has gone).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::time::Instant;

use crate::error::Error;
use crate::functions::protocol::{Event, Input};
use crate::sys::{self, Errno, PollFd};

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

/// Why the loop ends: a [`Stop`] (exit 0) or an [`Error`] (exit 1). Every
/// step of the loop returns `Result<_, Halt>`, so callers use `?`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Halt {
    Stop(Stop),
    Error(Error),
}

impl From<Error> for Halt {
    fn from(e: Error) -> Halt {
        Halt::Error(e)
    }
}

impl From<Stop> for Halt {
    fn from(s: Stop) -> Halt {
        Halt::Stop(s)
    }
}

/// The signals that stop the plugin.
const SIGNALS: [i32; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

const SIG: usize = 0;
const STDIN: usize = 1;
const STDOUT: usize = 2;
const EXTRA: usize = 3;

/// Netdata's end of the plugin: stdout, stdin and the stop signals.
#[derive(Debug)]
pub struct Stdio {
    flag: Arc<AtomicBool>,
    wake: UnixStream,
    /// stdin, when it is a pipe or a socket.
    stdin: Option<File>,
    /// stdout, where samples are written.
    out: File,
    /// Whether stdout is a pipe or socket, watched for its reader leaving.
    watch_out: bool,
    /// The line protocol of stdin.
    input: Input,
    /// What stdin asked for, with the time it arrived, not yet handled.
    events: Vec<(Instant, Event)>,
}

/// Whether `f` is a pipe or a socket, where readable data or EOF means
/// something (a terminal, /dev/null or a file does not).
fn is_stream(f: &File) -> bool {
    f.metadata()
        .is_ok_and(|m| m.file_type().is_fifo() || m.file_type().is_socket())
}

/// A `File` on a duplicate of `fd`, so that reading and writing go through
/// `std` without taking ownership of the process's own descriptor.
fn dup(fd: BorrowedFd<'_>) -> std::io::Result<File> {
    fd.try_clone_to_owned().map(File::from)
}

impl Stdio {
    /// Installs the signal handlers and decides what to watch: `stdin` only
    /// when it is a pipe or socket (a terminal or /dev/null is ignored, so
    /// a person running the plugin by hand does not see it stop by itself).
    pub fn new(stdin: BorrowedFd<'_>, stdout: BorrowedFd<'_>) -> Result<Stdio, Error> {
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
        let out = dup(stdout).map_err(setup("duplicate stdout"))?;
        // An unreadable stdin tells nothing: it is simply not watched.
        let stdin = dup(stdin).ok().filter(is_stream);
        Ok(Stdio {
            flag,
            wake,
            stdin,
            watch_out: is_stream(&out),
            out,
            input: Input::new(),
            events: Vec::new(),
        })
    }

    /// Whether a stop signal has arrived.
    pub fn signalled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// `Err` once a stop signal has arrived.
    pub fn check_signal(&self) -> Result<(), Halt> {
        if self.signalled() {
            return Err(Stop::Signal.into());
        }
        Ok(())
    }

    /// Writes all of `bytes` to stdout, retrying short writes. A stop
    /// signal ends a write blocked on a reader that stopped reading (the
    /// handlers do not restart it) with [`Stop::Signal`].
    pub fn write(&self, mut bytes: &[u8]) -> Result<(), Halt> {
        while !bytes.is_empty() {
            match (&self.out).write(bytes) {
                Ok(0) => return Err(Error::Output(Errno(libc::EIO)).into()),
                Ok(n) => {
                    bytes = &bytes[n..];
                    // A signal that arrives once part is written ends the
                    // write short instead of failing it (pipe_write()):
                    // writing the rest would block with nothing to wake it.
                    if !bytes.is_empty() {
                        self.check_signal()?;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => self.check_signal()?,
                Err(e) => return Err(Error::from(Errno::of(&e)).into()),
            }
        }
        Ok(())
    }

    /// Sleeps up to `timeout_us`, or until stdin has something, `extra`
    /// (when given) is readable, or a reason to stop arrives. `Ok(true)`
    /// when `extra` is readable.
    pub fn sleep(&mut self, timeout_us: u64, extra: Option<BorrowedFd<'_>>) -> Result<bool, Halt> {
        self.check_signal()?;
        let ready = sys::poll(
            [
                Some(PollFd {
                    fd: self.wake.as_fd(),
                    input: true,
                }),
                self.stdin.as_ref().map(|f| PollFd {
                    fd: f.as_fd(),
                    input: true,
                }),
                self.watch_out.then(|| PollFd {
                    fd: self.out.as_fd(),
                    input: false,
                }),
                extra.map(|fd| PollFd { fd, input: true }),
            ],
            timeout_us,
        );
        if ready[SIG].input {
            let mut drain = [0u8; 16];
            while matches!((&self.wake).read(&mut drain), Ok(n) if n > 0) {}
        }
        self.check_signal()?;
        if ready[STDOUT].hangup {
            return Err(Stop::OutputClosed.into());
        }
        if ready[STDIN].input || ready[STDIN].hangup {
            self.read_stdin()?;
        }
        Ok(ready[EXTRA].input)
    }

    /// The requests read from stdin since the last call (function calls,
    /// cancels, malformed lines), with the time each arrived.
    pub fn take_events(&mut self) -> Vec<(Instant, Event)> {
        std::mem::take(&mut self.events)
    }

    /// Whether requests wait in [`Stdio::take_events`].
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    fn read_stdin(&mut self) -> Result<(), Stop> {
        let Some(mut stdin) = self.stdin.as_ref() else {
            return Ok(());
        };
        let mut buf = [0u8; 4096];
        let n = match stdin.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
                ) =>
            {
                return Ok(());
            }
            Err(_) => {
                // An unreadable stdin tells nothing; stop watching it.
                self.stdin = None;
                return Ok(());
            }
        };
        let now = Instant::now();
        let mut quit = false;
        let events = &mut self.events;
        let mut take = |e: Event| match e {
            Event::Quit => quit = true,
            other => events.push((now, other)),
        };
        if n == 0 {
            self.input.end(&mut take);
            return Err(Stop::StdinClosed);
        }
        self.input.feed(&buf[..n], &mut take);
        if quit {
            return Err(Stop::Quit);
        }
        Ok(())
    }
}
