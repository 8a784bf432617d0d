//! Linux: the counters of `/proc/net/snmp` (`Tcp:`) and `/proc/net/netstat`
//! (`TcpExt:`) and the setting `/proc/sys/net/ipv4/tcp_syncookies`; the
//! listening sockets from `sock_diag` and their owners from `/proc`.
//!
//! The decoders ([`proc_table`], [`sock_diag`]) are pure and compiled
//! everywhere, for tests and the fuzzer; what reads the kernel is
//! Linux-only.

pub mod proc_table;
pub mod sock_diag;

#[cfg(target_os = "linux")]
mod listeners;
#[cfg(target_os = "linux")]
mod proc_file;
#[cfg(target_os = "linux")]
mod source;
#[cfg(target_os = "linux")]
mod sys;

#[cfg(target_os = "linux")]
pub use source::ProcSource;

use crate::listeners::table::ListenerFacts;

/// `/proc/net/snmp`, relative to the host prefix.
pub const SNMP: &str = "/proc/net/snmp";
/// `/proc/net/netstat`, relative to the host prefix.
pub const NETSTAT: &str = "/proc/net/netstat";
/// `/proc/sys/net/ipv4/tcp_syncookies`, relative to the host prefix.
pub const SYNCOOKIES: &str = "/proc/sys/net/ipv4/tcp_syncookies";

/// The Linux kernel.
#[derive(Clone, Copy, Debug)]
pub struct Linux;

/// What Linux's listeners table can tell.
pub const LISTENER_FACTS: ListenerFacts = ListenerFacts {
    intro: "Listening TCP sockets in the plugin's network namespace: connections waiting for \
            accept() and the limit (the listen() backlog capped by net.core.somaxconn), ",
    counts_drops: true,
    half_open: "half-open handshakes (SYN-RECV) and the owner.",
    no_drops: " No drops: the kernel sent no drop counters of the sockets.",
    no_drops_footer: "; the kernel sent no drop counters.\n",
    hidden_owners: None,
    function_help: "Listening TCP sockets: accept queue and its limit, drops, half-open \
                    handshakes and owner, worst first",
};

#[cfg(target_os = "linux")]
impl super::Kernel for Linux {
    type Counters = ProcSource;
    type ListenersError = listeners::Unavailable;

    const LISTENERS: &'static ListenerFacts = &LISTENER_FACTS;

    fn open(
        prefix: &str,
        log: &mut crate::log::Log,
    ) -> Result<(ProcSource, crate::source::Inventory), crate::error::Error> {
        ProcSource::open(prefix, log)
    }

    fn listeners(stopped: &dyn Fn() -> bool) -> Result<super::Listing, listeners::Unavailable> {
        listeners::read(stopped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listeners::table::{text, Row, Table, MAX_ROWS};

    fn row(port: u16, queue: u32, limit: u32, drops: Option<u64>) -> Row {
        Row::for_tests(port, queue, limit, drops)
    }

    fn empty() -> Table {
        Table::worst_first(Vec::new(), MAX_ROWS, 0, &LISTENER_FACTS)
    }

    #[test]
    fn linux_help_is_unchanged_by_the_freebsd_texts() {
        let mut t =
            Table::worst_first(vec![row(22, 0, 128, Some(0))], MAX_ROWS, 0, &LISTENER_FACTS);
        assert_eq!(
            t.help(),
            "Listening TCP sockets in the plugin's network namespace: connections waiting for \
             accept() and the limit (the listen() backlog capped by net.core.somaxconn), drops \
             since the socket was created and since the previous call (the socket's drop counter, \
             counted by tcp_listendrop() on every listen-queue overflow), half-open handshakes \
             (SYN-RECV) and the owner. Worst first. 1 listeners."
        );
        // No rows: Linux still counts drops.
        let empty = empty();
        assert!(empty.has_drops());
        assert!(empty.help().contains("drops since the socket was created"));
        // Rows without drop counters: said so, not claimed.
        t.rows[0].drops = None;
        assert!(!t.help().contains("drops since"), "{}", t.help());
        assert!(t
            .help()
            .contains("No drops: the kernel sent no drop counters"));
        assert!(text(&t).contains("1 listeners; the kernel sent no drop counters."));
    }
}
