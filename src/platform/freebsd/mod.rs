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

/// What FreeBSD's listeners table can tell.
pub const LISTENER_FACTS: ListenerFacts = ListenerFacts {
    intro: "Listening TCP sockets the plugin may see: connections waiting for accept() and \
            the limit (the listen() backlog capped by kern.ipc.soacceptqueue; FreeBSD takes \
            connections until the queue is over one and a half times the limit), ",
    counts_drops: false,
    half_open: "half-open handshakes (syncache entries) and the owner.",
    no_drops: " No drops: FreeBSD keeps no per-listener drop counter; listen-queue \
               overflows are counted for the whole system only (tcps_listendrop, the \
               queue_full dimension of tcp_resets.causes).",
    no_drops_footer: "; FreeBSD keeps no per-listener drop counter.\n",
    hidden_owners: Some(
        "{} listeners have no owning process: FreeBSD's kern.file shows the plugin only the \
         processes it may see (not those of other users with security.bsd.see_other_uids=0 \
         or see_other_gids=0, nor of other jails).",
    ),
    function_help: "Listening TCP sockets: accept queue and its limit, half-open handshakes \
                    and owner, worst first",
};

#[cfg(target_os = "freebsd")]
impl super::Kernel for FreeBsd {
    type Counters = SysctlSource;
    type ListenersError = listeners::Unavailable;

    const LISTENERS: &'static ListenerFacts = &LISTENER_FACTS;

    fn open(
        _prefix: &str,
        log: &mut crate::log::Log,
    ) -> Result<(SysctlSource, crate::source::Inventory), crate::error::Error> {
        SysctlSource::open(log)
    }

    /// The FreeBSD reads are a few `sysctl` calls: nothing to give up
    /// early.
    fn listeners(_stopped: &dyn Fn() -> bool) -> Result<super::Listing, listeners::Unavailable> {
        listeners::read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listeners::table::{json, text, Row, Table, MAX_ROWS};

    fn row(port: u16, queue: u32, limit: u32, drops: Option<u64>) -> Row {
        Row::for_tests(port, queue, limit, drops)
    }

    fn empty() -> Table {
        Table::worst_first(Vec::new(), MAX_ROWS, 0, &LISTENER_FACTS)
    }

    fn freebsd_table() -> Table {
        let mut with_owner = row(8080, 4, 3, None);
        with_owner.pid = Some(812);
        with_owner.process = Some("nginx".into());
        with_owner.half_open = Some(2);
        Table::worst_first(
            vec![with_owner, row(22, 0, 128, None), row(25, 1, 10, None)],
            MAX_ROWS,
            0,
            &LISTENER_FACTS,
        )
    }

    #[test]
    fn freebsd_help_names_freebsd_and_claims_no_drops() {
        let t = freebsd_table();
        let h = t.help();
        for said in [
            "kern.ipc.soacceptqueue",
            "one and a half times the limit",
            "syncache entries",
            "FreeBSD keeps no per-listener drop counter",
            "tcps_listendrop",
            "3 listeners.",
            "2 listeners have no owning process",
            "see_other_uids=0",
        ] {
            assert!(h.contains(said), "{said:?} not in {h}");
        }
        for unsaid in [
            "net.core.somaxconn",
            "tcp_listendrop()",
            "drops since",
            "SYN-RECV",
            "network namespace",
            "CAP_SYS_PTRACE",
        ] {
            assert!(!h.contains(unsaid), "{unsaid:?} in {h}");
        }
        // Every row with its process: no such sentence.
        let mut all = t.clone();
        all.rows.iter_mut().for_each(|r| r.pid = Some(1));
        assert!(!all.help().contains("no owning process"));
        // No rows at all: still no drops on FreeBSD.
        let empty = empty();
        assert!(!empty.has_drops());
        assert!(empty
            .help()
            .contains("FreeBSD keeps no per-listener drop counter"));
    }

    #[test]
    fn freebsd_json_hides_the_drop_columns_and_sorts_by_fill() {
        let t = freebsd_table();
        let v: serde_json::Value = serde_json::from_str(&json(&t, 1, 0)).unwrap();
        assert_eq!(v["default_sort_column"], "Fill");
        let cols = v["columns"].as_object().unwrap();
        assert_eq!(cols["Drops"]["visible"], false);
        assert_eq!(cols["NewDrops"]["visible"], false);
        assert_eq!(cols["Fill"]["visible"], true);
        let first = &v["data"][0];
        let index = |k: &str| cols[k]["index"].as_u64().unwrap() as usize;
        // The fullest first: 4 of 3.
        assert_eq!(first[index("Listener")], "127.0.0.1:8080");
        assert_eq!(first[index("Fill")], 133);
        assert_eq!(first[index("Drops")], serde_json::Value::Null);
        assert_eq!(first[index("HalfOpen")], 2);
        assert_eq!(first[index("Process")], "nginx");
    }

    #[test]
    fn freebsd_text_footer() {
        let s = text(&freebsd_table());
        assert!(
            s.contains("3 listeners; FreeBSD keeps no per-listener drop counter.\n"),
            "{s}"
        );
        assert!(s.lines().nth(1).unwrap().starts_with("127.0.0.1:8080"));
    }
}
