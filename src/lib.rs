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
//! The loop ([`plugin`]) reads each file with one `pread`, formats the whole
//! sample into a buffer sized at start-up ([`writer`]) and sends it with one
//! `write`: no allocation per sample. Parsing is pure (`&[u8]` in, counters
//! out: [`linux::proc_table`], [`freebsd::tcpstat`]); the platform sources
//! ([`source`]) only read bytes. `unsafe` lives in [`sys`] alone.

/// The plugin's name as netdata knows it (its file name in `plugins.d`).
pub const PLUGIN: &str = "tcp_resets.plugin";

pub mod charts;
pub mod cli;
pub mod counters;
pub mod error;
pub mod freebsd;
pub mod function;
pub mod input;
pub mod linux;
pub mod listeners;
pub mod log;
pub mod plugin;
pub mod resets;
pub(crate) mod schedule;
pub mod source;
pub mod sys;
pub mod wait;
pub(crate) mod writer;
