//! The listeners table: one row per listening socket, the worst first, as
//! netdata's Functions JSON (the form both agents pass to their UIs,
//! `FUNCTION_UI_SCHEMA.json`) and as aligned text for a person at a
//! terminal ([`super::text`]). Pure: rows in, text out.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::evidence::{Judgement, Netstat, Status};
use crate::json::{self, Cell, Chart, Column, GroupBy};

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

/// Whether a column is shown only with the owners.
fn owner_column(key: &str) -> bool {
    matches!(key, "UID" | "User" | "PID" | "Process")
}

/// Every column, in the order of a row's cells.
const COLUMNS: [Column; 19] = [
    Column {
        sticky: true,
        ..Column::new("Listener", "Listener", "string", None)
    },
    Column {
        visual: "pill",
        expanded_filter: true,
        ..Column::new("Status", "Status", "string", None)
    },
    Column::id("Port", "Port"),
    Column::new("Queue", "Accept queue", "integer", Some("connections"))
        .described("connections waiting for accept() (sk_ack_backlog)"),
    Column::new(
        "Limit",
        "Accept queue limit",
        "integer",
        Some("connections"),
    )
    .described("sk_max_ack_backlog: the listen() backlog capped by the system's limit"),
    Column {
        summary: "max",
        max: Some(100),
        ..Column::new("Fill", "Accept queue fill", "bar-with-integer", Some("%"))
            .described("the queue against what it holds; 100 % refuses connections")
    },
    Column::new("HalfOpen", "SYN queue", "integer", Some("handshakes"))
        .described("pending handshakes of this listener"),
    Column {
        visible: false,
        ..Column::new(
            "FastOpen",
            "Fast Open in SYN-RECV",
            "integer",
            Some("connections"),
        )
        .described("Fast Open connections not yet acknowledged, already in the accept queue")
    },
    Column {
        visible: false,
        ..Column::new("Drops", "Socket drops", "integer", Some("drops"))
            .described("sk_drops since the socket was created: not overflows")
    },
    Column::new("NewDrops", "Socket drops, new", "integer", Some("drops"))
        .described("sk_drops since the previous call: not overflows"),
    Column::new(
        "OverflowsMin",
        "Overflows, at least",
        "integer",
        Some("overflows"),
    )
    .described("accept-queue overflows since the previous call that ListenOverflows proves"),
    Column::new(
        "OverflowsMax",
        "Overflows, at most",
        "integer",
        Some("overflows"),
    )
    .described("accept-queue overflows since the previous call that ListenOverflows allows"),
    Column {
        visible: false,
        ..Column::id("UID", "UID")
    },
    Column::new("User", "User", "string", None),
    Column::id("PID", "PID"),
    Column::new("Process", "Process", "string", None),
    Column {
        visible: false,
        unique: true,
        filter: "none",
        ..Column::id("Id", "Socket")
    }
    .described("the socket's inode (ss -e, /proc/<pid>/fd)"),
    Column {
        visible: false,
        ..Column::id("Rank", "Rank")
    }
    .described("1 is the worst"),
    Column::row_options(),
];

/// The cells of `r`, ranked `rank`, in [`COLUMNS`] order; `listener` is
/// its `addr:port`.
fn cells<'a>(r: &'a Listed, rank: u64, listener: &'a str, t: &Table) -> [Cell<'a>; 19] {
    let (row, j) = (&r.row, &r.judgement);
    [
        Cell::Str(listener),
        Cell::Str(j.status.text()),
        Cell::Num(u64::from(row.port)),
        Cell::Num(u64::from(row.queue)),
        Cell::Num(u64::from(row.limit)),
        Cell::Num(r.fill(t.facts)),
        row.half_open.map(u64::from).into(),
        row.fast_open.map(u64::from).into(),
        row.drops.into(),
        j.new_drops.into(),
        j.overflows.map(|o| o.min).into(),
        j.overflows.map(|o| o.max).into(),
        row.uid.map(u64::from).into(),
        row.user.as_deref().into(),
        row.pid.map(u64::from).into(),
        row.process.as_deref().into(),
        Cell::Num(row.inode.unwrap_or(row.key)),
        Cell::Num(rank),
        Cell::Severity(j.status.severity()),
    ]
}

/// The charts, and the groupings of rows (the last two with the owners).
const CHARTS: [Chart; 3] = [
    Chart {
        key: "Queues",
        name: "Accept and SYN queues",
        kind: "stacked-bar",
        columns: &["Queue", "HalfOpen"],
    },
    Chart {
        key: "Drops",
        name: "Socket drops and overflows since the previous call",
        kind: "bar",
        columns: &["NewDrops", "OverflowsMax"],
    },
    Chart {
        key: "Fill",
        name: "Accept queue fill",
        kind: "bar",
        columns: &["Fill"],
    },
];
const GROUP_BY: [GroupBy; 4] = [
    GroupBy {
        key: "Status",
        name: "By status",
        columns: &["Status"],
    },
    GroupBy {
        key: "Port",
        name: "By port",
        columns: &["Port"],
    },
    GroupBy {
        key: "User",
        name: "By user",
        columns: &["User"],
    },
    GroupBy {
        key: "Process",
        name: "By process",
        columns: &["Process"],
    },
];

/// The table as netdata's Functions JSON, on one line: the owner columns
/// and groupings only when [`Table::owners`] allows.
pub fn json(t: &Table, update_every: u64, expires: u64) -> String {
    let shown: Vec<usize> = (0..COLUMNS.len())
        .filter(|&i| t.owners || !owner_column(COLUMNS[i].key))
        .collect();
    let mut o = String::with_capacity(1024 + t.rows.len() * 200);
    json::table_head(&mut o, &t.help(), update_every, expires);
    o.push_str(",\"data\":[");
    for (i, r) in t.rows.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let listener = r.row.listener();
        let all = cells(r, i as u64 + 1, &listener, t);
        json::row(&mut o, shown.iter().map(|&c| all[c].clone()));
    }
    o.push_str("],");
    let has_drops = t.rows.iter().any(|r| r.row.drops.is_some())
        || (t.rows.is_empty() && t.facts.drops.is_some());
    let columns: Vec<Column> = shown
        .iter()
        .map(|&i| {
            let c = COLUMNS[i];
            match c.key {
                // Without drop counts (FreeBSD) their columns are hidden.
                "NewDrops" | "OverflowsMin" | "OverflowsMax" => Column {
                    visible: has_drops,
                    ..c
                },
                // The accept queue's limit says what fill is relative to.
                "Fill" => Column {
                    description: Some(t.facts.capacity_text),
                    ..c
                },
                "HalfOpen" => Column {
                    description: Some(t.facts.half_open),
                    ..c
                },
                _ => c,
            }
        })
        .collect();
    json::columns(&mut o, &columns);
    o.push_str(",\"default_sort_column\":\"Rank\"");
    let groups: Vec<GroupBy> = GROUP_BY
        .iter()
        .filter(|g| t.owners || !owner_column(g.key))
        .copied()
        .collect();
    json::charts(
        &mut o,
        &CHARTS,
        &[("Queues", "Status"), ("Drops", "Port")],
        &groups,
    );
    o.push('}');
    o
}

#[cfg(test)]
pub(crate) mod tests;
