//! Say *where*: every listening TCP socket with its accept queue, limit,
//! drops, half-open handshakes and owner, for the netdata Function
//! `tcp-listeners` and for `tcp_resets --listeners`.
//!
//! Each kernel reads its sockets (`platform::*::listeners`) into [`Row`]s;
//! which listener a half-open handshake belongs to is decided here for
//! both ([`attach`]), and the table is built here ([`table`]), by pure
//! code tested everywhere.
//!
//! [`Row`]: table::Row

pub mod attach;
pub mod table;

use std::collections::HashMap;

use table::{ListenerFacts, Row, Table, MAX_ROWS};

/// The drop counts of the previous call, to show the drops since then.
#[derive(Debug, Default)]
pub struct Listeners {
    previous: Option<HashMap<u64, u64>>,
}

impl Listeners {
    /// The table of `rows` read just now: the worst [`MAX_ROWS`] of them,
    /// with their drops since the previous call.
    pub fn table(
        &mut self,
        mut rows: Vec<Row>,
        unreadable_processes: usize,
        facts: &'static ListenerFacts,
    ) -> Table {
        let now: HashMap<u64, u64> = rows.iter().filter_map(|r| Some((r.id, r.drops?))).collect();
        if let Some(before) = &self.previous {
            for r in &mut rows {
                // A socket new since the previous call: all its drops are
                // new. The kernel's counter (sk_drops) is 32 bits and wraps.
                r.new_drops = r.drops.map(|d| {
                    let b = before.get(&r.id).copied().unwrap_or(0);
                    u64::from((d as u32).wrapping_sub(b as u32))
                });
            }
        }
        self.previous = Some(now);
        Table::worst_first(rows, MAX_ROWS, unreadable_processes, facts)
    }
}
