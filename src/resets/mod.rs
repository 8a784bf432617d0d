//! Say *who* and *why*: the resets this host sends and receives, one by
//! one, as the kernel's tracepoints `tcp:tcp_send_reset` and
//! `tcp:tcp_receive_reset` report them (read by each kernel's folder under
//! `platform/`; Linux's is `platform/linux/tracepoints`), added up by peer,
//! port, reason and state in a table of fixed size ([`top`]).
//!
//! The vocabulary is here, the same on every kernel: an [`Event`] is one
//! reset.

pub mod chart;
pub mod table;
pub mod top;

use std::net::SocketAddr;
use std::os::fd::BorrowedFd;

use top::{PortRule, Top};

/// Which way the reset went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// `tcp_send_reset`: this host sent it.
    Sent,
    /// `tcp_receive_reset`: this host received it.
    Received,
}

/// `enum sk_rst_reason` (`include/net/rstreason.h`), 6.10+.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reason {
    /// The value the kernel recorded.
    pub value: u32,
    /// Its entry in the format's reason table (`None`: not in it).
    pub index: Option<u16>,
}

/// One reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub direction: Direction,
    /// This host's address and port; `None` when the kernel recorded no
    /// address family.
    pub local: Option<SocketAddr>,
    /// The peer's.
    pub remote: Option<SocketAddr>,
    /// `TCP_*` of the socket (`sk_state`); 0 when unknown (no socket, or
    /// no state field).
    pub state: i32,
    /// Why (6.10+ `tcp_send_reset` only).
    pub reason: Option<Reason>,
    /// `sock_cookie` (`tcp_receive_reset`).
    pub cookie: Option<u64>,
}

/// What a drain of the rings found, added up over the CPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drained {
    /// Samples decoded into events.
    pub events: u64,
    /// Samples lost because a ring was full (`PERF_RECORD_LOST`; reported
    /// with the first sample written after a drain made room).
    pub lost: u64,
    /// Samples that did not decode (short, or of another type).
    pub undecoded: u64,
    /// Other records, records too long to unwrap, and corrupt rings.
    pub skipped: u64,
}

/// A kernel's reset tracepoints, open.
pub trait Tracer: std::fmt::Debug {
    /// Hands every reset recorded since the last drain to `f`. No system
    /// call and no allocation.
    fn drain(&mut self, f: &mut dyn FnMut(&Event)) -> Drained;

    /// The kernel's reasons of sent resets (`enum sk_rst_reason`): value
    /// and name as it prints it, by [`Reason::index`]; `None` where sent
    /// resets carry none (before Linux 6.10).
    fn reasons(&self) -> Option<Vec<(u32, String)>>;

    /// The kernel's names of the TCP states (`TCP_ESTABLISHED`), by value.
    fn states(&self) -> Vec<(i32, String)>;

    /// Whether every reset sent is seen (6.10+), or only those of full
    /// sockets (4.15 to 6.9: not the resets to closed ports).
    fn sees_every_sent_reset(&self) -> bool;

    /// Readable when the rings need draining before the next sample.
    fn wake(&self) -> BorrowedFd<'_>;

    /// After a drain the wake descriptor asked for: makes it report only
    /// new data again.
    fn rearm(&mut self);

    /// How to tell a client's ephemeral port from a server's.
    fn port_rule(&self) -> PortRule;

    /// Bytes mapped for the rings.
    fn memory(&self) -> usize;
}

/// The resets seen since the plugin started: the table of the heaviest
/// sources, and the sent resets by reason for the chart.
#[derive(Debug)]
pub struct Resets {
    tracer: Box<dyn Tracer>,
    pub top: Top,
    /// Sent resets by [`Reason::index`], since start.
    pub sent_by_reason: Vec<u64>,
    /// Sent resets whose reason the kernel's table does not name.
    pub sent_unnamed: u64,
    /// The kernel's reasons (value, name), by index.
    pub reasons: Option<Vec<(u32, String)>>,
    /// The kernel's TCP state names, by value.
    pub states: Vec<(i32, String)>,
    pub sees_every_sent_reset: bool,
    /// Records lost because a ring was full, and samples not understood,
    /// since start.
    pub lost: u64,
    pub undecoded: u64,
    /// When the tracepoints were opened (wall-clock seconds).
    pub since: u64,
}

/// Rows of the table: the heaviest sources are kept, whatever else comes.
pub const ROWS: usize = top::DEFAULT_CAPACITY;

impl Resets {
    /// The state around an open `tracer`, all memory allocated now.
    pub fn new(tracer: Box<dyn Tracer>, now: u64) -> Resets {
        let reasons = tracer.reasons();
        let top = Top::new(ROWS, tracer.port_rule());
        Resets {
            sent_by_reason: vec![0; reasons.as_ref().map_or(0, Vec::len)],
            sent_unnamed: 0,
            sees_every_sent_reset: tracer.sees_every_sent_reset(),
            states: tracer.states(),
            reasons,
            lost: 0,
            undecoded: 0,
            since: now,
            top,
            tracer,
        }
    }

    /// Takes every reset recorded since the last drain, at wall-clock
    /// second `now`. No system call and no allocation.
    pub fn drain(&mut self, now: u64) {
        let (top, by_reason, unnamed) = (
            &mut self.top,
            &mut self.sent_by_reason,
            &mut self.sent_unnamed,
        );
        let d = self.tracer.drain(&mut |e: &Event| {
            top.record(e, now);
            if e.direction == Direction::Sent {
                match e
                    .reason
                    .and_then(|r| by_reason.get_mut(usize::from(r.index?)))
                {
                    Some(n) => *n += 1,
                    None if e.reason.is_some() => *unnamed += 1,
                    None => {}
                }
            }
        });
        self.top.advance(now);
        self.lost += d.lost;
        self.undecoded += d.undecoded + d.skipped;
    }

    /// The descriptor the loop also waits on.
    pub fn wake(&self) -> BorrowedFd<'_> {
        self.tracer.wake()
    }

    /// Drains because the wake descriptor was readable, and rearms it.
    pub fn woken(&mut self, now: u64) {
        self.drain(now);
        self.tracer.rearm();
    }

    /// The kernel's name of reason `value`.
    pub fn reason_name(&self, value: u32) -> Option<&str> {
        let (_, name) = self.reasons.as_ref()?.iter().find(|(v, _)| *v == value)?;
        Some(name)
    }

    /// The kernel's name of TCP state `state`.
    pub fn state_name(&self, state: i32) -> Option<&str> {
        let (_, name) = self.states.iter().find(|(v, _)| *v == state)?;
        Some(name)
    }

    /// Watches for `seconds` (by hand, `tcp_resets --resets`): drains
    /// whenever a ring fills to half, and at least every 50 ms.
    pub fn watch(&mut self, seconds: u64) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
        loop {
            let left = end.saturating_duration_since(std::time::Instant::now());
            let ready = crate::sys::poll(
                [Some(crate::sys::PollFd {
                    fd: self.wake(),
                    input: true,
                })],
                left.min(std::time::Duration::from_millis(50)).as_micros() as u64,
            );
            let now = crate::clock::now().wall_s();
            if ready[0].input {
                self.woken(now);
            } else {
                self.drain(now);
            }
            if left.is_zero() {
                return;
            }
        }
    }

    /// Bytes of the rings and the table.
    pub fn memory(&self) -> usize {
        self.tracer.memory() + self.top.memory()
    }
}
