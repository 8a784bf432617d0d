//! Linux: the counters of `/proc/net/snmp` (`Tcp:`) and `/proc/net/netstat`
//! (`TcpExt:`) and the setting `/proc/sys/net/ipv4/tcp_syncookies`; the
//! listening sockets from `sock_diag` and their owners from `/proc`.
//!
//! The decoders ([`proc_table`], [`sock_diag`]) are pure and compiled
//! everywhere, for tests and the fuzzer; what reads the kernel is
//! Linux-only.

pub mod proc_table;
pub mod sock_diag;
pub mod tracepoints;

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
    scope: "in the plugin's network namespace",
    limit: "sk_max_ack_backlog, the listen() backlog capped by net.core.somaxconn",
    capacity: |limit| u64::from(limit) + 1,
    capacity_text: "the limit and one more; then sk_acceptq_is_full() refuses every SYN and \
                    final ACK, counted as ListenOverflows",
    half_open: "request sockets in SYN-RECV waiting for their final ACK, requests whose final \
                ACK met a full accept queue among them; an SO_REUSEPORT group's all go to its \
                first socket, as the kernel does not say which member has them",
    syn_queue_limited: true,
    drops: Some(
        "sk_drops, counted by tcp_listendrop() on every accept-queue overflow and other refused \
         SYN, and by sk_drops_add() for every segment of a pending handshake that \
         tcp_check_req() discards (the bare ACK a TCP_DEFER_ACCEPT listener drops for each \
         connection, a reset that ends a handshake, an ACK out of window) and for what socket \
         filters, xfrm and TCP-MD5 drop: they are not overflows",
    ),
    no_drops: " No drops: the kernel sent no drop counters of the sockets.",
    owners_need: "the plugin needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH for other users' \
                  processes, and for its own user's that are not dumpable or hold capabilities \
                  it lacks",
    hidden_owners: None,
    function_help: "Listening TCP sockets: accept and SYN queues against their limit, socket \
                    drops, proven and possible accept-queue overflows, owner; worst first",
};

#[cfg(target_os = "linux")]
impl super::Kernel for Linux {
    type Counters = ProcSource;
    type ListenersError = listeners::Unavailable;
    type Tracer = tracepoints::perf::Tracer;
    type TracerError = tracepoints::perf::OpenError;

    const LISTENERS: &'static ListenerFacts = &LISTENER_FACTS;

    fn open(
        prefix: &str,
        log: &mut crate::log::Log,
    ) -> Result<(ProcSource, crate::source::Inventory), crate::error::Error> {
        ProcSource::open(prefix, log)
    }

    fn listeners(
        stopped: &dyn Fn() -> bool,
        owners: bool,
    ) -> Result<super::Listing, listeners::Unavailable> {
        listeners::read(stopped, owners)
    }

    fn tracer() -> Result<Self::Tracer, Self::TracerError> {
        tracepoints::perf::Tracer::open(tracepoints::perf::RingSize::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listeners::evidence::{judge, HostCounters, Status};
    use crate::listeners::table::{Row, Table, MAX_ROWS};

    #[test]
    fn linux_refuses_past_the_limit_and_says_which_kernel_functions_count() {
        let rows = vec![
            Row::for_tests(1, 3, 3, Some(0)),
            Row::for_tests(2, 4, 3, Some(0)),
        ];
        let (j, _) = judge(&rows, &HostCounters::default(), None, &LISTENER_FACTS);
        assert_eq!((j[0].status, j[1].status), (Status::Ok, Status::Refusing));
        let h = Table::worst_first(rows, j, MAX_ROWS, 3, &LISTENER_FACTS).help();
        for said in [
            "in the plugin's network namespace",
            "net.core.somaxconn",
            "sk_acceptq_is_full()",
            "tcp_listendrop()",
            "sk_drops_add()",
            "tcp_check_req()",
            "TCP_DEFER_ACCEPT",
            "they are not overflows",
            "SO_REUSEPORT",
            "The sockets of 3 processes could not be looked at",
            "CAP_SYS_PTRACE",
        ] {
            assert!(h.contains(said), "{said:?} not in {h}");
        }
        assert!(!h.contains("FreeBSD"));
    }
}
