//! FreeBSD: the counters of `sysctl net.inet.tcp.stats` (`struct tcpstat`)
//! and the settings `net.inet.tcp.syncookies` and `syncookies_only`; the
//! listening sockets of `sysctl net.inet.tcp.pcblist` and their owners
//! (`kern.file`, `kern.proc.pid`).
//!
//! The byte decoding ([`tcpstat`], [`pcblist`], [`owners`]) and the join
//! into table rows ([`rows`]) are platform-independent, so Linux tests and
//! the fuzzer feed them; the code that calls `sysctl` is FreeBSD-only.

pub mod owners;
pub mod pcblist;
pub mod rows;
pub mod tcpstat;

#[cfg(target_os = "freebsd")]
mod listeners;
#[cfg(target_os = "freebsd")]
mod source;
#[cfg(target_os = "freebsd")]
mod sys;

#[cfg(target_os = "freebsd")]
pub use source::SysctlSource;

use crate::listeners::table::ListenerFacts;

/// The FreeBSD kernel.
#[derive(Clone, Copy, Debug)]
pub struct FreeBsd;

/// FreeBSD's reset tracer: there is none (no value of this type exists).
#[derive(Debug)]
pub enum NoTracer {}

impl crate::resets::Tracer for NoTracer {
    fn drain(&mut self, _: &mut dyn FnMut(&crate::resets::Event)) -> crate::resets::Drained {
        match *self {}
    }
    fn reasons(&self) -> Option<Vec<(u32, String)>> {
        match *self {}
    }
    fn states(&self) -> Vec<(i32, String)> {
        match *self {}
    }
    fn sees_every_sent_reset(&self) -> bool {
        match *self {}
    }
    fn wake(&self) -> std::os::fd::BorrowedFd<'_> {
        match *self {}
    }
    fn rearm(&mut self) {
        match *self {}
    }
    fn port_rule(&self) -> crate::resets::top::PortRule {
        match *self {}
    }
    fn memory(&self) -> usize {
        match *self {}
    }
}

/// What FreeBSD's listeners table can tell.
pub const LISTENER_FACTS: ListenerFacts = ListenerFacts {
    scope: "that the plugin may see",
    limit: "so_qlimit, the listen() backlog capped by kern.ipc.soacceptqueue",
    capacity: |limit| u64::from(limit) * 3 / 2 + 1,
    capacity_text: "one and a half times the limit and one more; then sonewconn() refuses \
                    connections, counted as tcps_listendrop",
    half_open: "syncache entries of this listener; an SO_REUSEPORT group's all go to its first \
                socket",
    syn_queue_limited: false,
    drops: None,
    no_drops: "No drops: FreeBSD keeps no per-listener drop counter; listen-queue overflows are \
               counted for the whole system only (tcps_listendrop, the queue_full dimension of \
               tcp_resets.causes).",
    owners_need: "FreeBSD shows the plugin only the processes it may see",
    hidden_owners: Some(
        "{} listeners have no owning process: FreeBSD's kern.file shows the plugin only the \
         processes it may see (not those of other users with security.bsd.see_other_uids=0 \
         or see_other_gids=0, nor of other jails).",
    ),
    function_help: "Listening TCP sockets: accept queue against its limit, half-open \
                    handshakes and owner; worst first",
};

#[cfg(target_os = "freebsd")]
impl super::Kernel for FreeBsd {
    type Counters = SysctlSource;
    type ListenersError = listeners::Unavailable;
    type Tracer = NoTracer;
    type TracerError = &'static str;

    const LISTENERS: &'static ListenerFacts = &LISTENER_FACTS;

    fn open(
        _prefix: &str,
        log: &mut crate::log::Log,
    ) -> Result<(SysctlSource, crate::source::Inventory), crate::error::Error> {
        SysctlSource::open(log)
    }

    /// The FreeBSD reads are a few `sysctl` calls: nothing to give up
    /// early.
    fn listeners(
        _stopped: &dyn Fn() -> bool,
        owners: bool,
    ) -> Result<super::Listing, listeners::Unavailable> {
        listeners::read(owners)
    }

    fn tracer() -> Result<NoTracer, &'static str> {
        Err(
            "reset tracing reads Linux's tracepoints tcp_send_reset and tcp_receive_reset; \
             FreeBSD has none the plugin reads",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listeners::evidence::{judge, HostCounters, Status};
    use crate::listeners::table::{json, Row, Table, MAX_ROWS};

    fn table(rows: Vec<Row>) -> Table {
        let (j, _) = judge(&rows, &HostCounters::default(), None, &LISTENER_FACTS);
        Table::worst_first(rows, j, MAX_ROWS, 0, &LISTENER_FACTS)
    }

    #[test]
    fn freebsd_refuses_past_one_and_a_half_times_the_limit() {
        // sonewconn() refuses once the queue is over 3 * 3 / 2 = 4.
        let t = table(vec![
            Row::for_tests(1, 4, 3, None),
            Row::for_tests(2, 5, 3, None),
        ]);
        let status = |port| {
            t.rows
                .iter()
                .find(|r| r.row.port == port)
                .unwrap()
                .judgement
                .status
        };
        assert_eq!((status(1), status(2)), (Status::Ok, Status::Refusing));
        assert_eq!(t.rows[0].fill(&LISTENER_FACTS), 100);
    }

    #[test]
    fn freebsd_help_and_json_claim_no_drops_and_no_overflow_bounds() {
        let mut orphan = Row::for_tests(22, 0, 128, None);
        orphan.pid = None;
        let t = table(vec![orphan]);
        let h = t.help();
        for said in [
            "that the plugin may see",
            "kern.ipc.soacceptqueue",
            "sonewconn()",
            "syncache entries",
            "FreeBSD keeps no per-listener drop counter",
            "tcps_listendrop",
            "1 listeners have no owning process",
            "see_other_uids=0",
        ] {
            assert!(h.contains(said), "{said:?} not in {h}");
        }
        for unsaid in [
            "net.core.somaxconn",
            "sk_drops",
            "SYN-RECV",
            "First call",
            "overflowed =",
        ] {
            assert!(!h.contains(unsaid), "{unsaid:?} in {h}");
        }
        let v: serde_json::Value = serde_json::from_str(&json(&t, 1, 0)).unwrap();
        for hidden in ["NewDrops", "OverflowsMin", "OverflowsMax", "Drops"] {
            assert_eq!(v["columns"][hidden]["visible"], false, "{hidden}");
        }
    }
}
