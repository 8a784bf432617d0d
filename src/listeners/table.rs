//! The listeners table: one row per listening socket, the worst first, as
//! netdata's Functions JSON (the form both agents pass to their UIs) and as
//! aligned text for a person at a terminal. Pure: rows in, text out.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::json::{self, Cell, Column};

/// One listening socket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub addr: Option<IpAddr>,
    pub port: u16,
    /// Connections waiting for `accept()` now.
    pub queue: u32,
    /// The accept queue's limit: the `listen()` backlog capped by
    /// `net.core.somaxconn` (FreeBSD: `kern.ipc.soacceptqueue`).
    pub limit: u32,
    /// Drops since the socket was created; `None` where the kernel does
    /// not count them per socket.
    pub drops: Option<u64>,
    /// Drops since the previous call; `None` on the first call.
    pub new_drops: Option<u64>,
    /// Handshakes waiting in SYN-RECV for this listener.
    pub half_open: Option<u32>,
    pub uid: u32,
    pub user: Option<String>,
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// What identifies the socket (its inode on Linux).
    pub id: u64,
}

impl Row {
    /// How full the accept queue is, in percent (above 100 when the kernel
    /// let it run one over); `None` without a limit.
    pub fn fill(&self) -> Option<u64> {
        (self.limit > 0).then(|| u64::from(self.queue) * 100 / u64::from(self.limit))
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
            user: Some("root".into()),
            id: u64::from(port),
            ..Row::default()
        }
    }

    /// `addr:port`, IPv6 addresses in brackets.
    pub fn listener(&self) -> String {
        match self.addr {
            Some(IpAddr::V6(a)) => format!("[{a}]:{}", self.port),
            Some(a) => format!("{a}:{}", self.port),
            None => format!("*:{}", self.port),
        }
    }
}

/// What a kernel's listeners table can tell, as the help and the text
/// footer say it (each kernel's folder under `platform/` has its own).
#[derive(Debug, PartialEq, Eq)]
pub struct ListenerFacts {
    /// The help's opening: whose sockets, and what queue and limit mean.
    pub intro: &'static str,
    /// Whether the kernel counts drops per socket.
    pub counts_drops: bool,
    /// The help's half-open and owner part.
    pub half_open: &'static str,
    /// The help's sentence when the rows have no drop counts.
    pub no_drops: &'static str,
    /// The text footer's ending when the rows have no drop counts.
    pub no_drops_footer: &'static str,
    /// Why some listeners have no owning process, where the kernel hides
    /// them (`{}` is their number).
    pub hidden_owners: Option<&'static str>,
    /// The Function's one-line help, as it is registered.
    pub function_help: &'static str,
}

/// The rows to show, worst first, and what was left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Row>,
    /// Listeners found in all.
    pub total: usize,
    /// Processes whose sockets could not be looked at (no privilege).
    pub unreadable_processes: usize,
    /// What the kernel the rows come from can tell.
    pub facts: &'static ListenerFacts,
}

/// At most this many rows are answered, the worst first.
pub const MAX_ROWS: usize = 5000;

impl Table {
    /// Sorts `rows` by drops (most first; unknown last), then fill, then
    /// queue, then listener, and keeps the first `max`.
    pub fn worst_first(
        mut rows: Vec<Row>,
        max: usize,
        unreadable_processes: usize,
        facts: &'static ListenerFacts,
    ) -> Table {
        rows.sort_by(|a, b| {
            b.drops
                .cmp(&a.drops)
                .then(b.fill().cmp(&a.fill()))
                .then(b.queue.cmp(&a.queue))
                .then(a.port.cmp(&b.port))
                .then(a.addr.cmp(&b.addr))
                .then(a.id.cmp(&b.id))
        });
        let total = rows.len();
        rows.truncate(max);
        Table {
            rows,
            total,
            unreadable_processes,
            facts,
        }
    }

    /// Whether the rows carry drop counts: some row has one, or there is
    /// no row and the kernel counts them.
    pub fn has_drops(&self) -> bool {
        if self.rows.is_empty() {
            self.facts.counts_drops
        } else {
            self.rows.iter().any(|r| r.drops.is_some())
        }
    }

    /// Rows without an owning process.
    fn without_process(&self) -> usize {
        self.rows.iter().filter(|r| r.pid.is_none()).count()
    }

    /// How many listeners were left out.
    pub fn omitted(&self) -> usize {
        self.total - self.rows.len()
    }

    /// `N listeners` and, when some are, how many were left out.
    fn count(&self) -> String {
        match self.omitted() {
            0 => format!("{} listeners", self.total),
            n => format!("{} listeners, {n} left out", self.total),
        }
    }

    /// The help text: what the table shows, how much of it, and what it
    /// could not see; true of the kernel the rows come from and of what
    /// they carry.
    pub fn help(&self) -> String {
        let mut h = String::from(self.facts.intro);
        if self.has_drops() {
            h.push_str(
                "drops since the socket was created and since the previous call (the socket's \
                 drop counter, counted by tcp_listendrop() on every listen-queue overflow), ",
            );
        }
        h.push_str(self.facts.half_open);
        if !self.has_drops() {
            h.push_str(self.facts.no_drops);
        }
        h.push_str(" Worst first.");
        let _ = write!(h, " {}.", self.count());
        if self.unreadable_processes > 0 {
            let _ = write!(
                h,
                " The sockets of {} processes could not be looked at (their owning process is \
                 left empty): the plugin needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH for other \
                 users' processes.",
                self.unreadable_processes
            );
        }
        let orphans = self.without_process();
        if let (Some(why), true) = (self.facts.hidden_owners, orphans > 0) {
            h.push(' ');
            h.push_str(&why.replace("{}", &orphans.to_string()));
        }
        h
    }
}

/// The columns, in the order of a row's cells.
const COLUMNS: [Column; 13] = [
    Column {
        sticky: true,
        ..Column::new("Listener", "Listener", "string", None)
    },
    Column::new("Port", "Port", "integer", None),
    Column::new("Queue", "Queue", "integer", Some("connections")),
    Column::new("Limit", "Limit", "integer", Some("connections")),
    Column {
        summary: "max",
        ..Column::new("Fill", "Fill", "bar-with-integer", Some("%"))
    },
    Column::new("Drops", "Drops", "bar-with-integer", Some("drops")),
    Column::new("NewDrops", "New drops", "integer", Some("drops")),
    Column::new("HalfOpen", "Half-open", "integer", Some("handshakes")),
    Column {
        visible: false,
        ..Column::new("UID", "UID", "integer", None)
    },
    Column::new("User", "User", "string", None),
    Column::new("PID", "PID", "integer", None),
    Column::new("Process", "Process", "string", None),
    Column {
        visible: false,
        unique: true,
        summary: "count",
        ..Column::new("Id", "Socket", "integer", None)
    },
];

/// A row's cells, in [`COLUMNS`] order; `listener` is its `addr:port`.
fn cells<'a>(r: &'a Row, listener: &'a str) -> [Cell<'a>; 13] {
    [
        Cell::Str(listener),
        Cell::Num(u64::from(r.port)),
        Cell::Num(u64::from(r.queue)),
        Cell::Num(u64::from(r.limit)),
        r.fill().into(),
        r.drops.into(),
        r.new_drops.into(),
        r.half_open.map(u64::from).into(),
        Cell::Num(u64::from(r.uid)),
        r.user.as_deref().into(),
        r.pid.map(u64::from).into(),
        r.process.as_deref().into(),
        Cell::Num(r.id),
    ]
}

/// The table as netdata's Functions JSON, on one line.
pub fn json(t: &Table, update_every: u64, expires: u64) -> String {
    let mut o = String::with_capacity(256 + t.rows.len() * 160);
    o.push_str("{\"status\":200,\"type\":\"table\",\"has_history\":false,\"help\":");
    json::string(&mut o, &t.help());
    let _ = write!(o, ",\"update_every\":{update_every},\"data\":[");
    for (i, r) in t.rows.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        json::row(&mut o, cells(r, &r.listener()));
    }
    o.push_str("],");
    let max_fill = t
        .rows
        .iter()
        .filter_map(Row::fill)
        .max()
        .unwrap_or(0)
        .max(100);
    let max_drops = t.rows.iter().filter_map(|r| r.drops).max().unwrap_or(0);
    let columns = COLUMNS.map(|c| match c.key {
        "Fill" => Column {
            max: Some(max_fill),
            ..c
        },
        // Without drop counts (FreeBSD) their columns are hidden.
        "Drops" => Column {
            max: Some(max_drops),
            visible: t.has_drops(),
            ..c
        },
        "NewDrops" => Column {
            visible: t.has_drops(),
            ..c
        },
        _ => c,
    });
    json::columns(&mut o, &columns);
    let sort = if t.has_drops() { "Drops" } else { "Fill" };
    let _ = write!(
        o,
        ",\"default_sort_column\":\"{sort}\",\"expires\":{expires}}}"
    );
    o
}

/// `s` with every control character (C0, DEL, C1) as `?`: a process may
/// name itself with escape sequences or newlines, and the table is read on
/// a terminal, often as root.
fn visible(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The table as aligned text for a terminal, with a closing line that says
/// how many listeners there are and what could not be seen.
pub fn text(t: &Table) -> String {
    let dash = || "-".to_string();
    let opt = |v: Option<u64>| v.map_or_else(dash, |v| v.to_string());
    let head = [
        "LISTENER",
        "QUEUE",
        "LIMIT",
        "FILL",
        "DROPS",
        "HALF-OPEN",
        "USER",
        "PID",
        "PROCESS",
    ];
    let mut cells: Vec<[String; 9]> = vec![head.map(str::to_string)];
    for r in &t.rows {
        cells.push([
            r.listener(),
            r.queue.to_string(),
            r.limit.to_string(),
            r.fill().map_or_else(dash, |f| format!("{f}%")),
            opt(r.drops),
            opt(r.half_open.map(u64::from)),
            r.user.as_deref().map_or_else(|| r.uid.to_string(), visible),
            opt(r.pid.map(u64::from)),
            r.process.as_deref().map_or_else(dash, visible),
        ]);
    }
    let mut width = [0usize; 9];
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut o = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = width[i] - c.chars().count();
            // Text columns to the left, numbers to the right.
            if matches!(i, 0 | 6 | 8) {
                line.push_str(c);
                if i != 8 {
                    line.push_str(&" ".repeat(pad));
                }
            } else {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            }
            if i != 8 {
                line.push_str("  ");
            }
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    let _ = write!(o, "{}", t.count());
    o.push_str(if t.has_drops() {
        "; drops are counted since each socket was created.\n"
    } else {
        t.facts.no_drops_footer
    });
    if t.unreadable_processes > 0 {
        let _ = writeln!(
            o,
            "The sockets of {} processes could not be looked at: run as root to see every owner.",
            t.unreadable_processes
        );
    }
    o
}

#[cfg(test)]
mod tests;
