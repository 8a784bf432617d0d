//! A netdata external plugin that streams the kernel's TCP reset counters,
//! what causes them, the SYN-cookie countermeasure's state and the signs of
//! blind reset attacks.
//!
//! Netdata starts the binary (`tcp_resets.plugin`) with the update interval
//! as its only argument and reads its stdout, which speaks netdata's
//! external-plugin protocol. On Linux the counters come from the `Tcp:` rows
//! of `/proc/net/snmp` and the `TcpExt:` rows of `/proc/net/netstat`:
//!
//! ```text
//! CHART tcp_resets.resets '' 'TCP resets' 'events/s' 'resets' 'tcp_resets.resets' line 1000 1 '' 'tcp_resets.plugin' 'proc_net_snmp'
//! DIMENSION AttemptFails '' incremental 1 1
//! DIMENSION EstabResets '' incremental 1 1
//! DIMENSION OutRsts '' incremental 1 1
//! BEGIN tcp_resets.resets
//! SET AttemptFails = 1203
//! SET EstabResets = 88
//! SET OutRsts = 4217
//! END
//! BEGIN tcp_resets.resets 1000021
//! SET AttemptFails = 1209
//! ...
//! ```
//!
//! The floor plan: what differs per kernel lives under [`platform`] (one
//! folder per kernel, one interface, [`platform::Kernel`]); above it, the
//! same on every kernel, are the counters ([`counters`]) and the charts made
//! of them ([`charts`]), the protocol writer ([`writer`]), the schedule
//! ([`schedule`]), the sampling loop ([`plugin`]), netdata's end of the
//! pipes ([`stdio`]), the Functions ([`functions`]) and the listeners table
//! ([`listeners`]).
//!
//! The loop reads each file with one `pread`, formats the whole sample into
//! a buffer sized at start-up and sends it with one `write`: no allocation
//! per sample. Decoding is pure (`&[u8]` in, values out); the sources only
//! read bytes. `unsafe` lives in the libc wrappers ([`sys`] and each
//! kernel's `sys.rs`) alone.

/// The plugin's name as netdata knows it (its file name in `plugins.d`).
pub const PLUGIN: &str = "tcp_resets.plugin";

pub mod bytes;
pub mod charts;
pub mod cli;
pub mod clock;
pub mod counters;
pub mod error;
pub mod functions;
pub mod json;
pub mod listeners;
pub mod log;
pub mod platform;
pub mod plugin;
pub mod resets;
pub(crate) mod schedule;
pub mod source;
pub mod stdio;
pub mod sys;
pub mod text;
pub(crate) mod writer;
