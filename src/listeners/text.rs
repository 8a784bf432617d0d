//! The listeners table as aligned text for a person at a terminal
//! (`tcp_resets --listeners`), with a closing line that says how many
//! listeners there are and what one reading cannot tell.

use std::fmt::Write as _;

use super::table::Table;

/// `s` with every control character (C0, DEL, C1) as `?`: a process may
/// name itself with escape sequences or newlines, and the table is read on
/// a terminal, often as root.
fn visible(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The table as aligned text.
pub fn text(t: &Table) -> String {
    let dash = || "-".to_string();
    let opt = |v: Option<u64>| v.map_or_else(dash, |v| v.to_string());
    let head = [
        "LISTENER", "STATUS", "QUEUE", "LIMIT", "FILL", "SYN-Q", "DROPS", "USER", "PID", "PROCESS",
    ];
    // Text columns to the left, numbers to the right.
    let left = [
        true, true, false, false, false, false, false, true, false, true,
    ];
    let mut cells: Vec<[String; 10]> = vec![head.map(str::to_string)];
    for r in &t.rows {
        let row = &r.row;
        cells.push([
            row.listener(),
            r.judgement.status.text().to_string(),
            row.queue.to_string(),
            row.limit.to_string(),
            format!("{}%", r.fill(t.facts)),
            opt(row.half_open.map(u64::from)),
            opt(row.drops),
            row.user
                .as_deref()
                .map(visible)
                .or_else(|| row.uid.map(|u| u.to_string()))
                .unwrap_or_else(dash),
            opt(row.pid.map(u64::from)),
            row.process.as_deref().map_or_else(dash, visible),
        ]);
    }
    let mut o = crate::text::aligned(&cells, left);
    let _ = write!(o, "{}", t.count());
    o.push_str(if t.facts.drops.is_some() {
        "; drops are counted since each socket was created and are not overflows: the \
         tcp-listeners Function compares two calls to tell overflows.\n"
    } else {
        "; FreeBSD keeps no per-listener drop counter.\n"
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
