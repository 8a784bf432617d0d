//! Say *who* and *why*: the resets this host sends and receives, one by
//! one, as the kernel's tracepoints `tcp:tcp_send_reset` and
//! `tcp:tcp_receive_reset` report them (read by each kernel's folder under
//! `platform/`; Linux's is `platform/linux/tracepoints`), added up by peer,
//! port, reason and state in a table of fixed size ([`top`]).
//!
//! The vocabulary is here, the same on every kernel: an [`Event`] is one
//! reset.

pub mod top;

use std::net::SocketAddr;

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
