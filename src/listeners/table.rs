//! The listeners table: one row per listening socket, the worst first, as
//! netdata's Functions JSON (the form both agents pass to their UIs,
//! `FUNCTION_UI_SCHEMA.json`) and as aligned text for a person at a
//! terminal ([`super::text`]). Pure: rows in, text out.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::evidence::{Judgement, Netstat, Status};

/// One listening socket, as the kernel shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub addr: Option<IpAddr>,
    pub port: u16,
    /// Connections waiting for `accept()` now.
    pub queue: u32,
    /// The accept queue's limit: the `listen()` backlog capped by
    /// `net.core.somaxconn` (FreeBSD: `kern.ipc.soacceptqueue`).
    pub limit: u32,
    /// The socket's drop counter since it was created; `None` where the
    /// kernel keeps none per socket.
    pub drops: Option<u64>,
    /// Pending handshakes (request sockets in SYN-RECV; FreeBSD: syncache
    /// entries) that belong to this listener.
    pub half_open: Option<u32>,
    /// Fast Open connections still in SYN-RECV: full sockets, already in
    /// the accept queue.
    pub fast_open: Option<u32>,
    /// The owner's uid; `None` when the owners were not read.
    pub uid: Option<u32>,
    pub user: Option<String>,
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// What identifies the socket from one call to the next (Linux: its
    /// socket cookie, never reused).
    pub key: u64,
    /// The socket's inode, as `ss -e` and `/proc/<pid>/fd` show it.
    pub inode: Option<u64>,
}

impl Row {
    /// `addr:port`, IPv6 addresses in brackets.
    pub fn listener(&self) -> String {
        match self.addr {
            Some(IpAddr::V6(a)) => format!("[{a}]:{}", self.port),
            Some(a) => format!("{a}:{}", self.port),
            None => format!("*:{}", self.port),
        }
    }

    /// A listener of root's on 127.0.0.1:`port`, for the tests.
    #[cfg(test)]
    pub(crate) fn for_tests(port: u16, queue: u32, limit: u32, drops: Option<u64>) -> Row {
        Row {
            addr: Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)),
            port,
            queue,
            limit,
            drops,
            half_open: Some(0),
            uid: Some(0),
            user: Some("root".into()),
            key: u64::from(port),
            ..Row::default()
        }
    }
}

/// What a kernel's listeners table can tell, in its own words (each
/// kernel's folder under `platform/` has its own).
#[derive(Debug)]
pub struct ListenerFacts {
    /// Whose sockets the table has.
    pub scope: &'static str,
    /// What the limit is.
    pub limit: &'static str,
    /// How many connections the accept queue holds with a limit: one more
    /// is refused.
    pub capacity: fn(u32) -> u64,
    /// [`capacity`](Self::capacity) in words, and the kernel function that
    /// decides it.
    pub capacity_text: &'static str,
    /// What the SYN queue column counts.
    pub half_open: &'static str,
    /// Whether a listener's pending handshakes are limited by its own
    /// limit (Linux), so that a full SYN queue can be told.
    pub syn_queue_limited: bool,
    /// What the socket drop counter counts; `None` where the kernel keeps
    /// none per socket, with [`no_drops`](Self::no_drops) saying so.
    pub drops: Option<&'static str>,
    pub no_drops: &'static str,
    /// What the plugin needs to see every process's sockets.
    pub owners_need: &'static str,
    /// Why some listeners have no owning process, where the kernel hides
    /// them (`{}` is their number).
    pub hidden_owners: Option<&'static str>,
    /// The Function's one-line help, as it is registered.
    pub function_help: &'static str,
}

/// A row and what is known of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub row: Row,
    pub judgement: Judgement,
}

impl Listed {
    /// How full the accept queue is, in percent of what it holds: 100 when
    /// it refuses connections.
    pub fn fill(&self, facts: &ListenerFacts) -> u64 {
        (u64::from(self.row.queue) * 100 / (facts.capacity)(self.row.limit).max(1)).min(100)
    }
}

/// The rows to show, worst first, and what was left out.
#[derive(Clone, Debug)]
pub struct Table {
    pub rows: Vec<Listed>,
    /// Listeners found in all.
    pub total: usize,
    /// Processes whose sockets could not be looked at (no privilege).
    pub unreadable_processes: usize,
    /// What the kernel the rows come from can tell.
    pub facts: &'static ListenerFacts,
    /// The host's counts since the previous call; `None` on the first.
    pub since: Option<Netstat>,
    /// Whether the owners (user, process) are shown.
    pub owners: bool,
}

/// At most this many rows are answered, the worst first.
pub const MAX_ROWS: usize = 5000;

impl Table {
    /// Sorts the rows by their judgement (status; proven overflows, most
    /// first; fill; possible overflows; new drops), then by listener, and
    /// keeps the first `max`.
    pub fn worst_first(
        rows: Vec<Row>,
        judgements: Vec<Judgement>,
        max: usize,
        unreadable_processes: usize,
        facts: &'static ListenerFacts,
    ) -> Table {
        let mut rows: Vec<Listed> = rows
            .into_iter()
            .zip(judgements)
            .map(|(row, judgement)| Listed { row, judgement })
            .collect();
        rows.sort_by(|a, b| {
            let (ja, jb) = (&a.judgement, &b.judgement);
            ja.status
                .cmp(&jb.status)
                .then(
                    jb.overflows
                        .map(|o| o.min)
                        .cmp(&ja.overflows.map(|o| o.min)),
                )
                .then(b.fill(facts).cmp(&a.fill(facts)))
                .then(b.row.queue.cmp(&a.row.queue))
                .then(
                    jb.overflows
                        .map(|o| o.max)
                        .cmp(&ja.overflows.map(|o| o.max)),
                )
                .then(jb.new_drops.cmp(&ja.new_drops))
                .then(a.row.port.cmp(&b.row.port))
                .then(a.row.addr.cmp(&b.row.addr))
                .then(a.row.key.cmp(&b.row.key))
        });
        let total = rows.len();
        rows.truncate(max);
        Table {
            rows,
            total,
            unreadable_processes,
            facts,
            since: None,
            owners: true,
        }
    }

    /// Rows without an owning process.
    fn without_process(&self) -> usize {
        self.rows.iter().filter(|r| r.row.pid.is_none()).count()
    }

    /// How many listeners were left out.
    pub fn omitted(&self) -> usize {
        self.total - self.rows.len()
    }

    /// `N listeners` and, when some are, how many were left out.
    pub fn count(&self) -> String {
        match self.omitted() {
            0 => format!("{} listeners", self.total),
            n => format!("{} listeners, {n} left out", self.total),
        }
    }

    /// How many rows have `status`.
    pub fn with(&self, status: Status) -> usize {
        self.rows
            .iter()
            .filter(|r| r.judgement.status == status)
            .count()
    }

    /// The help text: what each column counts and which kernel function
    /// counts it, what the statuses prove and what they cannot tell, how
    /// much is shown and what could not be seen.
    pub fn help(&self) -> String {
        let f = self.facts;
        let mut h = format!(
            "Listening TCP sockets {}, worst first. Status: refusing = the accept queue is full \
             now, so every new connection is dropped until the application accepts one; ",
            f.scope
        );
        if f.drops.is_some() {
            h.push_str(
                "overflowed = the host's ListenOverflows proves this socket overflowed since the \
                 previous call; overflow possible = some of its drops since the previous call \
                 may have been overflows (the kernel keeps no overflow counter per socket; when \
                 several sockets had drops, it does not say which one overflowed); drops, no \
                 overflow = drops while the host counted no overflow (TCP_DEFER_ACCEPT's \
                 discarded ACKs, handshakes ended by a reset, filtered segments); ",
            );
        }
        if f.syn_queue_limited {
            h.push_str(
                "SYN queue full = more pending handshakes than the limit \
                 (inet_csk_reqsk_queue_is_full()): new SYNs are dropped when tcp_syncookies is 0 \
                 (TCPReqQFullDrop), else answered with SYN cookies; ",
            );
        }
        let _ = write!(
            h,
            "ok = none of these. Accept queue: connections waiting for accept(); limit: {}; \
             fill: the queue against what it holds ({}). SYN queue: {}. ",
            f.limit, f.capacity_text, f.half_open
        );
        match f.drops {
            Some(d) => {
                let _ = write!(
                    h,
                    "Socket drops: {d}. Overflows at least / at most: this socket's accept-queue \
                     overflows since the previous call, as the host's ListenOverflows (read before \
                     and after the sockets) and every socket's drops bound them. "
                );
            }
            None => h.push_str(f.no_drops),
        }
        match &self.since {
            Some(s) => {
                let n = |v: Option<u64>| v.map_or("?".to_string(), |v| v.to_string());
                let _ = write!(
                    h,
                    " Since the previous call the host counted {} listen overflows \
                     (ListenOverflows), {} ACKs discarded for TCP_DEFER_ACCEPT (TCPDeferAcceptDrop) \
                     and {} handshakes ended by a reset (EmbryonicRsts).",
                    n(s.listen_overflows),
                    n(s.defer_accept_drops),
                    n(s.embryonic_rsts)
                );
            }
            None if f.drops.is_some() => h.push_str(
                " First call: drops and overflows since the previous call start with the next \
                 one (every caller shares one baseline).",
            ),
            None => {}
        }
        let _ = write!(h, " {}.", self.count());
        if !self.owners {
            h.push_str(
                " Owners (user, process) are shown only to callers netdata lets see sensitive \
                 data (signed in to Netdata Cloud, in this node's space, with sensitive-data \
                 access); this call was not.",
            );
        } else {
            if self.unreadable_processes > 0 {
                let _ = write!(
                    h,
                    " The sockets of {} processes could not be looked at (their owning process \
                     is left empty): {}.",
                    self.unreadable_processes, f.owners_need
                );
            }
            let orphans = self.without_process();
            if let (Some(why), true) = (f.hidden_owners, orphans > 0) {
                h.push(' ');
                h.push_str(&why.replace("{}", &orphans.to_string()));
            }
        }
        h
    }
}

mod json;
pub use json::json;

#[cfg(test)]
pub(crate) mod tests;
