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
            r.user.clone().unwrap_or_else(|| r.uid.to_string()),
            opt(r.pid.map(u64::from)),
            r.process.clone().unwrap_or_else(dash),
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
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn row(port: u16, queue: u32, limit: u32, drops: Option<u64>) -> Row {
        Row {
            addr: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            port,
            queue,
            limit,
            drops,
            uid: 0,
            user: Some("root".into()),
            id: u64::from(port),
            ..Row::default()
        }
    }

    #[test]
    fn worst_first_by_drops_then_fill() {
        let t = Table::worst_first(
            vec![
                row(1, 0, 10, Some(0)),
                row(2, 9, 10, Some(0)),
                row(3, 0, 10, Some(5)),
                row(4, 10, 10, None),
                row(5, 1, 10, Some(5)),
            ],
            3,
            0,
        );
        let ports: Vec<u16> = t.rows.iter().map(|r| r.port).collect();
        assert_eq!(ports, [5, 3, 2]);
        assert_eq!((t.total, t.omitted()), (5, 2));
        assert!(
            t.help().contains("5 listeners, 2 left out."),
            "{}",
            t.help()
        );
    }

    #[test]
    fn fill_and_listener_text() {
        let mut r = row(8080, 4, 3, Some(7));
        assert_eq!(r.fill(), Some(133));
        assert_eq!(r.listener(), "127.0.0.1:8080");
        r.addr = Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        assert_eq!(r.listener(), "[::]:8080");
        r.limit = 0;
        assert_eq!(r.fill(), None);
    }

    #[test]
    fn json_is_a_netdata_table_with_rows_in_column_order() {
        let mut r = row(8080, 4, 3, Some(7));
        r.process = Some("we\"ird\nname".into());
        r.pid = Some(42);
        let t = Table::worst_first(vec![r, row(22, 0, 128, Some(0))], MAX_ROWS, 2);
        let s = json(&t, 10, 1_795_626_300);
        assert!(!s.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["status"], 200);
        assert_eq!(v["type"], "table");
        assert_eq!(v["has_history"], false);
        assert_eq!(v["update_every"], 10);
        assert_eq!(v["default_sort_column"], "Drops");
        assert_eq!(v["expires"], 1_795_626_300u64);
        assert!(v["help"].as_str().unwrap().contains("2 processes"));
        let cols = v["columns"].as_object().unwrap();
        assert_eq!(cols.len(), COLUMNS.len());
        let uniques = cols.values().filter(|c| c["unique_key"] == true).count();
        assert_eq!(uniques, 1);
        let index = |k: &str| cols[k]["index"].as_u64().unwrap() as usize;
        let first = &v["data"][0];
        assert_eq!(first.as_array().unwrap().len(), COLUMNS.len());
        assert_eq!(first[index("Listener")], "127.0.0.1:8080");
        assert_eq!(first[index("Queue")], 4);
        assert_eq!(first[index("Limit")], 3);
        assert_eq!(first[index("Fill")], 133);
        assert_eq!(first[index("Drops")], 7);
        assert_eq!(first[index("NewDrops")], serde_json::Value::Null);
        assert_eq!(first[index("PID")], 42);
        assert_eq!(first[index("Process")], "we\"ird\nname");
        assert_eq!(cols["Drops"]["max"], 7);
        assert_eq!(cols["Fill"]["max"], 133);
        for c in cols.values() {
            for k in [
                "index",
                "unique_key",
                "name",
                "visible",
                "type",
                "visualization",
                "value_options",
                "sort",
                "sortable",
                "sticky",
                "summary",
                "filter",
            ] {
                assert!(c.get(k).is_some(), "{k} missing in {c}");
            }
        }
    }

    #[test]
    fn text_is_aligned_and_says_what_is_missing() {
        let mut r = row(8080, 4, 3, Some(57));
        r.pid = Some(1234);
        r.process = Some("python3".into());
        let t = Table::worst_first(vec![r, row(22, 0, 4096, None)], MAX_ROWS, 3);
        let s = text(&t);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[0],
            "LISTENER        QUEUE  LIMIT  FILL  DROPS  HALF-OPEN  USER   PID  PROCESS"
        );
        assert_eq!(
            lines[1],
            "127.0.0.1:8080      4      3  133%     57          -  root  1234  python3"
        );
        assert_eq!(
            lines[2],
            "127.0.0.1:22        0   4096    0%      -          -  root     -  -"
        );
        assert!(lines[3].starts_with("2 listeners;"));
        assert!(lines[4].contains("3 processes"));
    }

    #[test]
    fn linux_help_is_unchanged_by_the_freebsd_texts() {
        let mut t = Table::worst_first(vec![row(22, 0, 128, Some(0))], MAX_ROWS, 0);
        t.kernel = Kernel::Linux;
        assert_eq!(
            t.help(),
            "Listening TCP sockets in the plugin's network namespace: connections waiting for \
             accept() and the limit (the listen() backlog capped by net.core.somaxconn), drops \
             since the socket was created and since the previous call (the socket's drop counter, \
             counted by tcp_listendrop() on every listen-queue overflow), half-open handshakes \
             (SYN-RECV) and the owner. Worst first. 1 listeners."
        );
        // No rows: Linux still counts drops.
        let empty = Table {
            kernel: Kernel::Linux,
            ..Table::default()
        };
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

    fn freebsd_table() -> Table {
        let mut with_owner = row(8080, 4, 3, None);
        with_owner.pid = Some(812);
        with_owner.process = Some("nginx".into());
        with_owner.half_open = Some(2);
        let mut t = Table::worst_first(
            vec![with_owner, row(22, 0, 128, None), row(25, 1, 10, None)],
            MAX_ROWS,
            0,
        );
        t.kernel = Kernel::FreeBsd;
        t
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
        let empty = Table {
            kernel: Kernel::FreeBsd,
            ..Table::default()
        };
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
        // Linux keeps them.
        let mut linux = t.clone();
        linux.kernel = Kernel::Linux;
        linux.rows[0].drops = Some(1);
        let v: serde_json::Value = serde_json::from_str(&json(&linux, 1, 0)).unwrap();
        assert_eq!(v["default_sort_column"], "Drops");
        assert_eq!(v["columns"]["Drops"]["visible"], true);
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
