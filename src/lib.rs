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
//! The loop reads each file with one `pread`, formats the whole sample into
//! a buffer sized at start-up and sends it with one `write`: no allocation
//! per sample. Parsing is pure (`&[u8]` in, counters out) and lives in
//! [`proc_table`]; the platform sources only read bytes.
#![deny(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod charts;
pub mod cli;
pub mod counters;
pub mod error;
#[cfg(target_os = "freebsd")]
pub mod freebsd;
#[cfg(target_os = "linux")]
pub mod linux;
pub mod log;
pub mod plugin;
pub mod proc_table;
pub mod schedule;
pub mod stop;
pub mod sys;
pub mod tcpstat;
pub mod writer;
