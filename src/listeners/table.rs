//! The listeners table: one row per listening socket, the worst first, as
//! netdata's Functions JSON (the form both agents pass to their UIs) and as
//! aligned text for a person at a terminal. Pure: rows in, text out.

use std::fmt::Write as _;
use std::net::IpAddr;

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

    /// `addr:port`, IPv6 addresses in brackets.
    pub fn listener(&self) -> String {
        match self.addr {
            Some(IpAddr::V6(a)) => format!("[{a}]:{}", self.port),
            Some(a) => format!("{a}:{}", self.port),
            None => format!("*:{}", self.port),
        }
    }
}

/// The kernel the rows come from: what the help text names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kernel {
    #[default]
    Linux,
    FreeBsd,
}

impl Kernel {
    /// The kernel this binary is built for.
    pub const HERE: Kernel = if cfg!(target_os = "freebsd") {
        Kernel::FreeBsd
    } else {
        Kernel::Linux
    };
}

/// The rows to show, worst first, and what was left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub rows: Vec<Row>,
    /// Listeners found in all.
    pub total: usize,
    /// Processes whose sockets could not be looked at (no privilege).
    pub unreadable_processes: usize,
    /// Where the rows come from.
    pub kernel: Kernel,
}

/// At most this many rows are answered, the worst first.
pub const MAX_ROWS: usize = 5000;

impl Table {
    /// Sorts `rows` by drops (most first; unknown last), then fill, then
    /// queue, then listener, and keeps the first `max`.
    pub fn worst_first(mut rows: Vec<Row>, max: usize, unreadable_processes: usize) -> Table {
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
            kernel: Kernel::HERE,
        }
    }

    /// Whether the rows carry drop counts: some row has one, or there is
    /// no row and the kernel counts them (Linux).
    pub fn has_drops(&self) -> bool {
        if self.rows.is_empty() {
            self.kernel == Kernel::Linux
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
        let mut h = String::new();
        match self.kernel {
            Kernel::Linux => h.push_str(
                "Listening TCP sockets in the plugin's network namespace: connections waiting for \
                 accept() and the limit (the listen() backlog capped by net.core.somaxconn), ",
            ),
            Kernel::FreeBsd => h.push_str(
                "Listening TCP sockets the plugin may see: connections waiting for accept() and \
                 the limit (the listen() backlog capped by kern.ipc.soacceptqueue; FreeBSD takes \
                 connections until the queue is over one and a half times the limit), ",
            ),
        }
        if self.has_drops() {
            h.push_str(
                "drops since the socket was created and since the previous call (the socket's \
                 drop counter, counted by tcp_listendrop() on every listen-queue overflow), ",
            );
        }
        h.push_str(match self.kernel {
            Kernel::Linux => "half-open handshakes (SYN-RECV) and the owner.",
            Kernel::FreeBsd => "half-open handshakes (syncache entries) and the owner.",
        });
        if !self.has_drops() {
            h.push_str(match self.kernel {
                Kernel::Linux => " No drops: the kernel sent no drop counters of the sockets.",
                Kernel::FreeBsd => {
                    " No drops: FreeBSD keeps no per-listener drop counter; listen-queue \
                     overflows are counted for the whole system only (tcps_listendrop, the \
                     queue_full dimension of tcp_resets.causes)."
                }
            });
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
        if self.kernel == Kernel::FreeBsd && orphans > 0 {
            let _ = write!(
                h,
                " {orphans} listeners have no owning process: FreeBSD's kern.file shows the plugin \
                 only the processes it may see (not those of other users with \
                 security.bsd.see_other_uids=0 or see_other_gids=0, nor of other jails)."
            );
        }
        h
    }
}

/// `s` as a JSON string.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

/// A column: key, name, type, visualization, units, sort, summary, filter,
/// visible, sticky, unique key.
struct Column {
    key: &'static str,
    name: &'static str,
    kind: &'static str,
    visual: &'static str,
    units: Option<&'static str>,
    sort: &'static str,
    summary: &'static str,
    filter: &'static str,
    visible: bool,
    sticky: bool,
    unique: bool,
}

const fn col(
    key: &'static str,
    name: &'static str,
    kind: &'static str,
    units: Option<&'static str>,
) -> Column {
    let number = matches!(kind.as_bytes(), b"integer" | b"bar-with-integer");
    Column {
        key,
        name,
        kind,
        visual: if matches!(kind.as_bytes(), b"bar-with-integer") {
            "bar"
        } else {
            "value"
        },
        units,
        sort: if number { "descending" } else { "ascending" },
        summary: if number { "sum" } else { "count" },
        filter: if number { "range" } else { "multiselect" },
        visible: true,
        sticky: false,
        unique: false,
    }
}

/// The columns, in `index` order.
const COLUMNS: [Column; 13] = [
    Column {
        sticky: true,
        ..col("Listener", "Listener", "string", None)
    },
    col("Port", "Port", "integer", None),
    col("Queue", "Queue", "integer", Some("connections")),
    col("Limit", "Limit", "integer", Some("connections")),
    Column {
        summary: "max",
        ..col("Fill", "Fill", "bar-with-integer", Some("%"))
    },
    col("Drops", "Drops", "bar-with-integer", Some("drops")),
    col("NewDrops", "New drops", "integer", Some("drops")),
    col("HalfOpen", "Half-open", "integer", Some("handshakes")),
    Column {
        visible: false,
        ..col("UID", "UID", "integer", None)
    },
    col("User", "User", "string", None),
    col("PID", "PID", "integer", None),
    col("Process", "Process", "string", None),
    Column {
        visible: false,
        unique: true,
        summary: "count",
        ..col("Id", "Socket", "integer", None)
    },
];

/// The table as netdata's Functions JSON, on one line.
pub fn json(t: &Table, update_every: u64, expires: u64) -> String {
    let mut o = String::with_capacity(256 + t.rows.len() * 160);
    o.push_str("{\"status\":200,\"type\":\"table\",\"has_history\":false,\"help\":");
    json_str(&mut o, &t.help());
    let _ = write!(o, ",\"update_every\":{update_every},\"data\":[");
    for (i, r) in t.rows.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push('[');
        json_str(&mut o, &r.listener());
        let _ = write!(o, ",{},{},{},", r.port, r.queue, r.limit);
        json_opt(&mut o, r.fill());
        o.push(',');
        json_opt(&mut o, r.drops);
        o.push(',');
        json_opt(&mut o, r.new_drops);
        o.push(',');
        json_opt(&mut o, r.half_open);
        let _ = write!(o, ",{},", r.uid);
        match &r.user {
            Some(u) => json_str(&mut o, u),
            None => o.push_str("null"),
        }
        o.push(',');
        json_opt(&mut o, r.pid);
        o.push(',');
        match &r.process {
            Some(p) => json_str(&mut o, p),
            None => o.push_str("null"),
        }
        let _ = write!(o, ",{}]", r.id);
    }
    o.push_str("],\"columns\":{");
    let max_fill = t
        .rows
        .iter()
        .filter_map(Row::fill)
        .max()
        .unwrap_or(0)
        .max(100);
    let max_drops = t.rows.iter().filter_map(|r| r.drops).max().unwrap_or(0);
    for (i, c) in COLUMNS.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        json_str(&mut o, c.key);
        let _ = write!(o, ":{{\"index\":{i},\"unique_key\":{},\"name\":", c.unique);
        json_str(&mut o, c.name);
        // Without drop counts (FreeBSD) their columns are hidden.
        let visible = c.visible && (t.has_drops() || !matches!(c.key, "Drops" | "NewDrops"));
        let _ = write!(
            o,
            ",\"visible\":{},\"type\":\"{}\",\"visualization\":\"{}\"",
            visible, c.kind, c.visual
        );
        if let Some(u) = c.units {
            let _ = write!(o, ",\"units\":\"{u}\"");
        }
        o.push_str(",\"value_options\":{");
        if let Some(u) = c.units {
            let _ = write!(o, "\"units\":\"{u}\",");
        }
        let transform = if c.kind == "string" { "none" } else { "number" };
        let _ = write!(
            o,
            "\"transform\":\"{transform}\",\"decimal_points\":0,\"default_value\":null}}"
        );
        match c.key {
            "Fill" => {
                let _ = write!(o, ",\"max\":{max_fill}");
            }
            "Drops" => {
                let _ = write!(o, ",\"max\":{max_drops}");
            }
            _ => {}
        }
        let _ = write!(
            o,
            ",\"sort\":\"{}\",\"sortable\":true,\"sticky\":{},\"summary\":\"{}\",\"filter\":\"{}\",\"full_width\":false,\"wrap\":false,\"default_expanded_filter\":false}}",
            c.sort, c.sticky, c.summary, c.filter
        );
    }
    let sort = if t.has_drops() { "Drops" } else { "Fill" };
    let _ = write!(
        o,
        "}},\"default_sort_column\":\"{sort}\",\"expires\":{expires}}}"
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
    o.push_str(match (t.has_drops(), t.kernel) {
        (true, _) => "; drops are counted since each socket was created.\n",
        (false, Kernel::Linux) => "; the kernel sent no drop counters.\n",
        (false, Kernel::FreeBsd) => "; FreeBSD keeps no per-listener drop counter.\n",
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
