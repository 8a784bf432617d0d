//! What differs per kernel, behind one small interface ([`Kernel`]), each
//! kernel in its own folder, chosen by one `cfg` ([`Host`]).
//!
//! A kernel provides its counter source (the sampling loop's [`Source`]),
//! its reader of the listening sockets, and the facts about them that the
//! listeners table tells a person. Its decoders (bytes in, values out) are
//! compiled on every OS, so Linux tests and the fuzzers feed FreeBSD's too;
//! only the code that calls the kernel is compiled for its own OS.

pub mod freebsd;
pub mod linux;

use std::fmt;

use crate::error::Error;
use crate::listeners::evidence::HostCounters;
use crate::listeners::table::{ListenerFacts, Row};
use crate::log::Log;
use crate::source::{Inventory, Source};

/// The listening sockets as read from the kernel, the host's counters
/// read around them, and how many processes could not be looked at for
/// their owners (no privilege).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub rows: Vec<Row>,
    pub host: HostCounters,
    pub unreadable_processes: usize,
}

/// One kernel's side of the plugin.
pub trait Kernel {
    /// The counters, read once per sample.
    type Counters: Source;
    /// Why the listening sockets cannot be read: one line for a person.
    type ListenersError: fmt::Display + fmt::Debug;
    /// The reset tracepoints, open.
    type Tracer: crate::resets::Tracer + 'static;
    /// Why they cannot be opened: what to grant, one line for a person.
    type TracerError: fmt::Display + fmt::Debug;

    /// What the listeners table can tell on this kernel.
    const LISTENERS: &'static ListenerFacts;

    /// Opens the counters (`prefix` is `NETDATA_HOST_PREFIX`, where the
    /// kernel has files). `Err` when the plugin cannot run here.
    fn open(prefix: &str, log: &mut Log) -> Result<(Self::Counters, Inventory), Error>;

    /// Reads the listening sockets now, with their owning processes when
    /// `owners`. On demand only: it may allocate. Gives up early once
    /// `stopped` says the plugin is stopping.
    fn listeners(stopped: &dyn Fn() -> bool, owners: bool)
        -> Result<Listing, Self::ListenersError>;

    /// Opens the reset tracepoints, rings and all, at start-up.
    fn tracer() -> Result<Self::Tracer, Self::TracerError>;
}

/// The kernel this binary is built for.
#[cfg(target_os = "linux")]
pub type Host = linux::Linux;

/// The kernel this binary is built for.
#[cfg(target_os = "freebsd")]
pub type Host = freebsd::FreeBsd;

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
compile_error!("tcp_resets reads Linux's /proc or FreeBSD's sysctl; no other kernel is supported");
