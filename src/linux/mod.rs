//! Linux: the counters of `/proc/net/snmp` (`Tcp:`) and `/proc/net/netstat`
//! (`TcpExt:`) and the setting `/proc/sys/net/ipv4/tcp_syncookies`.
//!
//! The parsing ([`proc_table`]) is pure and compiled everywhere, for tests
//! and the fuzzer; the source that reads the files is Linux-only.

pub mod proc_table;

#[cfg(target_os = "linux")]
mod proc_file;
#[cfg(target_os = "linux")]
mod source;

#[cfg(target_os = "linux")]
pub use source::Linux;

use crate::counters::Counter;

/// `/proc/net/snmp`, relative to the host prefix.
pub const SNMP: &str = "/proc/net/snmp";
/// `/proc/net/netstat`, relative to the host prefix.
pub const NETSTAT: &str = "/proc/net/netstat";
/// `/proc/sys/net/ipv4/tcp_syncookies`, relative to the host prefix.
pub const SYNCOOKIES: &str = "/proc/sys/net/ipv4/tcp_syncookies";

/// The `Tcp:` counters of `/proc/net/snmp` the charts use (columns by the
/// counters' names).
pub const TCP_COUNTERS: &[Counter] = &[
    Counter::AttemptFails,
    Counter::EstabResets,
    Counter::OutRsts,
];

/// The `TcpExt:` counters of `/proc/net/netstat` the charts use.
pub const TCPEXT_COUNTERS: &[Counter] = &[
    Counter::ListenOverflows,
    Counter::TCPReqQFullDrop,
    Counter::TCPAbortOnData,
    Counter::TCPAbortOnClose,
    Counter::TCPAbortOnMemory,
    Counter::TCPAbortOnTimeout,
    Counter::TCPAbortOnLinger,
    Counter::EmbryonicRsts,
    Counter::SyncookiesSent,
    Counter::SyncookiesRecv,
    Counter::SyncookiesFailed,
    Counter::TCPChallengeACK,
    Counter::TCPSYNChallenge,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux::proc_table::Table;

    #[test]
    fn tables_fit_their_arrays() {
        let _ = Table::new(b"Tcp:", TCP_COUNTERS);
        let _ = Table::new(b"TcpExt:", TCPEXT_COUNTERS);
    }
}
