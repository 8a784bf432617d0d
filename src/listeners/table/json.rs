//! The listeners table as netdata's Functions JSON: its columns, charts
//! and groupings, the owner columns only for callers who may see them.

use super::{Listed, Table};
use crate::json::{self, Cell, Chart, Column, GroupBy};

/// Whether a column is shown only with the owners.
fn owner_column(key: &str) -> bool {
    matches!(key, "UID" | "User" | "PID" | "Process")
}

/// Every column, in the order of a row's cells.
pub(super) const COLUMNS: [Column; 19] = [
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
