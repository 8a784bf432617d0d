//! The resets table of the Function `tcp-resets` and of `tcp_resets
//! --resets`: one row per (direction, peer, peer's port or any, local
//! address and port or any, reason, state), the busiest first, as netdata's
//! Functions JSON and as text. Pure: the table's rows in, text out.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;

use super::top::{Key, Row};
use super::{Direction, Resets};
use crate::json::{self, Cell, Chart, Column, GroupBy};

/// A row as shown: the counts of one key (of several, merged, when the
/// peer is not shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub direction: Direction,
    /// `None`: not shown to this caller.
    pub remote: Option<IpAddr>,
    pub remote_port: Option<Option<u16>>,
    pub local: IpAddr,
    pub local_port: Option<u16>,
    pub reason: Option<u32>,
    pub state: i32,
    pub minute: u64,
    pub ten_minutes: u64,
    /// How much of `ten_minutes` may be other keys' resets.
    pub error: u64,
    pub first_seen: u64,
    pub last_seen: u64,
}

/// The rows of `r`'s table, the busiest first (last minute, then last ten
/// minutes); with the peers only when `peers`, else the rows that differ
/// only by peer merged.
pub fn rows(r: &Resets, peers: bool) -> Vec<Shown> {
    let mut merged: HashMap<Key, Shown> = HashMap::new();
    for row in r.top.rows() {
        let Row {
            key,
            minute,
            minute_error: _,
            ten_minutes,
            ten_minutes_error,
            first_seen,
            last_seen,
        } = row;
        let k = if peers {
            key
        } else {
            Key {
                remote: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                remote_port: None,
                ..key
            }
        };
        let s = merged.entry(k).or_insert(Shown {
            direction: key.direction,
            remote: peers.then_some(key.remote),
            remote_port: peers.then_some(key.remote_port),
            local: key.local,
            local_port: key.local_port,
            reason: key.reason,
            state: key.state,
            minute: 0,
            ten_minutes: 0,
            error: 0,
            first_seen,
            last_seen,
        });
        s.minute += minute;
        s.ten_minutes += ten_minutes;
        s.error += ten_minutes_error;
        s.first_seen = s.first_seen.min(first_seen);
        s.last_seen = s.last_seen.max(last_seen);
    }
    let mut rows: Vec<Shown> = merged.into_values().filter(|s| s.ten_minutes > 0).collect();
    rows.sort_by(|a, b| {
        b.minute
            .cmp(&a.minute)
            .then(b.ten_minutes.cmp(&a.ten_minutes))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.direction.cmp(&b.direction))
            .then(a.remote.cmp(&b.remote))
            .then(a.local_port.cmp(&b.local_port))
            .then(a.reason.cmp(&b.reason))
            .then(a.state.cmp(&b.state))
    });
    rows
}

/// `port` or `any`.
fn port(p: Option<u16>) -> String {
    p.map_or_else(|| "any".to_string(), |p| p.to_string())
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Sent => "sent",
        Direction::Received => "received",
    }
}

/// A row's severity by its share of the last minute's resets: the top
/// talkers stand out.
fn severity(minute: u64, total: u64) -> &'static str {
    match (minute * 100).checked_div(total) {
        Some(p) if p >= 50 => "warning",
        Some(p) if p >= 10 => "notice",
        _ => "normal",
    }
}

/// What the table tells, and what it cannot.
pub fn help(r: &Resets, peers: bool, shown: usize, now: u64) -> String {
    let mut h = String::from(
        "TCP resets this host sent and received, as the kernel's tracepoints tcp_send_reset \
         and tcp_receive_reset report them, one by one, in every network namespace of the \
         host: one row per direction, peer and its port, local address and port, the kernel's \
         reason (sent resets, Linux 6.10 and later) and the socket's state, with the resets of \
         the last minute and of the last ten minutes, the busiest first. A port is any when it \
         is a client's ephemeral port (in net.ipv4.ip_local_port_range while the other is \
         not): that side's port changes with every connection. The table keeps the 1024 \
         busiest rows (Space-Saving): a row that took over from a quieter one may count up to \
         its over-estimate of that one's resets, and any source of more than 1/1024 of the \
         resets is listed.",
    );
    if !r.sees_every_sent_reset {
        h.push_str(
            " This kernel reports sent resets of full sockets only (Linux before 6.10): the \
             resets sent for segments that match no socket (closed ports, forgotten \
             connections) and from TIME-WAIT are not here; OutRsts of tcp_resets.resets counts \
             them all.",
        );
    }
    let _ = write!(
        h,
        " Tracing since {} s ago; {} records lost when a ring was full, {} not understood.",
        now.saturating_sub(r.since),
        r.lost,
        r.undecoded
    );
    if r.sent_unnamed > 0 {
        let _ = write!(
            h,
            " {} sent resets had a reason the kernel's table does not name.",
            r.sent_unnamed
        );
    }
    let _ = write!(h, " {shown} rows.");
    if !peers {
        h.push_str(
            " Peers (addresses and ports) are shown only to callers netdata lets see \
             sensitive data (signed in to Netdata Cloud, in this node's space, with \
             sensitive-data access); this call was not, and rows that differ only by peer are \
             added up.",
        );
    }
    h
}

/// Whether a column is the peer's.
fn peer_column(key: &str) -> bool {
    matches!(key, "Remote" | "RemotePort")
}

const COLUMNS: [Column; 15] = [
    Column {
        expanded_filter: true,
        ..Column::new("Direction", "Direction", "string", None)
    },
    Column {
        sticky: true,
        ..Column::new("Remote", "Peer", "string", None)
    },
    Column::new("RemotePort", "Peer port", "string", None)
        .described("any: an ephemeral port of the peer's (it was the client)"),
    Column::new("Local", "Local address", "string", None),
    Column::new("LocalPort", "Local port", "string", None)
        .described("any: an ephemeral port of this host's (it was the client)"),
    Column::new("Reason", "Reason", "string", None)
        .described("enum sk_rst_reason as the kernel names it (sent resets, Linux 6.10+)"),
    Column::new("State", "State", "string", None)
        .described("the socket's TCP state when the reset went or came"),
    Column::new("LastMinute", "Last minute", "integer", Some("resets")),
    Column::new(
        "Last10Minutes",
        "Last 10 minutes",
        "integer",
        Some("resets"),
    ),
    Column {
        visible: false,
        ..Column::new("Overestimate", "Over-estimate", "integer", Some("resets"))
            .described("how many of the 10-minute count may be other sources' (Space-Saving)")
    },
    Column {
        sort: "ascending",
        summary: "min",
        ..Column::new("FirstSeen", "First seen", "integer", Some("s ago"))
    },
    Column {
        sort: "ascending",
        summary: "min",
        ..Column::new("LastSeen", "Last seen", "integer", Some("s ago"))
    },
    Column {
        visible: false,
        unique: true,
        filter: "none",
        ..Column::new("Id", "Row", "string", None)
    },
    Column {
        visible: false,
        ..Column::id("Rank", "Rank")
    }
    .described("1 is the busiest"),
    Column::row_options(),
];

const CHARTS: [Chart; 1] = [Chart {
    key: "Resets",
    name: "Resets in the last minute",
    kind: "stacked-bar",
    columns: &["LastMinute"],
}];

const GROUP_BY: [GroupBy; 4] = [
    GroupBy {
        key: "Remote",
        name: "By peer",
        columns: &["Remote"],
    },
    GroupBy {
        key: "LocalPort",
        name: "By local port",
        columns: &["LocalPort"],
    },
    GroupBy {
        key: "Reason",
        name: "By reason",
        columns: &["Reason"],
    },
    GroupBy {
        key: "Direction",
        name: "By direction",
        columns: &["Direction"],
    },
];

/// The table of `r` as netdata's Functions JSON, on one line: the peers
/// only when `peers`.
pub fn json(r: &Resets, peers: bool, now: u64, update_every: u64, expires: u64) -> String {
    let rows = rows(r, peers);
    let total: u64 = rows.iter().map(|s| s.minute).sum();
    let shown: Vec<usize> = (0..COLUMNS.len())
        .filter(|&i| peers || !peer_column(COLUMNS[i].key))
        .collect();
    let mut o = String::with_capacity(1024 + rows.len() * 256);
    json::table_head(
        &mut o,
        &help(r, peers, rows.len(), now),
        update_every,
        expires,
    );
    o.push_str(",\"data\":[");
    for (i, s) in rows.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let remote = s.remote.map(|a| a.to_string());
        let remote_port = s.remote_port.map(port);
        let local = s.local.to_string();
        let local_port = port(s.local_port);
        let reason = s.reason.map(|v| {
            r.reason_name(v)
                .map_or_else(|| v.to_string(), str::to_string)
        });
        let state = r.state_name(s.state).map(str::to_string);
        let id = format!(
            "{}|{}|{}|{}|{}|{}|{}",
            direction(s.direction),
            remote.as_deref().unwrap_or("*"),
            remote_port.as_deref().unwrap_or("*"),
            local,
            local_port,
            reason.as_deref().unwrap_or("-"),
            s.state
        );
        let all: [Cell<'_>; 15] = [
            Cell::Str(direction(s.direction)),
            remote.as_deref().into(),
            remote_port.as_deref().into(),
            Cell::Str(&local),
            Cell::Str(&local_port),
            reason.as_deref().into(),
            state.as_deref().into(),
            Cell::Num(s.minute),
            Cell::Num(s.ten_minutes),
            Cell::Num(s.error),
            Cell::Num(now.saturating_sub(s.first_seen)),
            Cell::Num(now.saturating_sub(s.last_seen)),
            Cell::Str(&id),
            Cell::Num(i as u64 + 1),
            Cell::Severity(severity(s.minute, total)),
        ];
        json::row(&mut o, shown.iter().map(|&c| all[c].clone()));
    }
    o.push_str("],");
    let columns: Vec<Column> = shown.iter().map(|&i| COLUMNS[i]).collect();
    json::columns(&mut o, &columns);
    o.push_str(",\"default_sort_column\":\"Rank\"");
    let groups: Vec<GroupBy> = GROUP_BY
        .iter()
        .filter(|g| peers || !peer_column(g.key))
        .copied()
        .collect();
    json::charts(&mut o, &CHARTS, &[("Resets", "Reason")], &groups);
    o.push('}');
    o
}

/// The table of `r` as aligned text, with every peer.
pub fn text(r: &Resets, now: u64) -> String {
    let rows = rows(r, true);
    let head = [
        "DIRECTION",
        "PEER",
        "PORT",
        "LOCAL",
        "PORT",
        "REASON",
        "STATE",
        "1MIN",
        "10MIN",
        "LAST SEEN",
    ];
    let mut cells: Vec<[String; 10]> = vec![head.map(str::to_string)];
    for s in &rows {
        cells.push([
            direction(s.direction).to_string(),
            s.remote.map_or_else(|| "-".into(), |a| a.to_string()),
            port(s.remote_port.flatten()),
            s.local.to_string(),
            port(s.local_port),
            s.reason.map_or_else(
                || "-".into(),
                |v| {
                    r.reason_name(v)
                        .map_or_else(|| v.to_string(), str::to_string)
                },
            ),
            r.state_name(s.state).unwrap_or("-").to_string(),
            s.minute.to_string(),
            s.ten_minutes.to_string(),
            format!("{}s ago", now.saturating_sub(s.last_seen)),
        ]);
    }
    // Text columns to the left, the counts to the right.
    let left: [bool; 10] = std::array::from_fn(|i| !(7..=8).contains(&i));
    let mut o = crate::text::aligned(&cells, left);
    let _ = writeln!(
        o,
        "{} rows; {} records lost when a ring was full.{}",
        rows.len(),
        r.lost,
        if r.sees_every_sent_reset {
            ""
        } else {
            " This kernel reports sent resets of full sockets only (before Linux 6.10)."
        }
    );
    o
}
