//! Say *where*: every listening TCP socket with its accept and SYN queues
//! against their limit, its drops, what the kernel's counters prove about
//! its overflows, and its owner, for the netdata Function `tcp-listeners`
//! and for `tcp_resets --listeners`.
//!
//! Each kernel reads its sockets (`platform::*::listeners`) into [`Row`]s
//! and the host's counters around them ([`evidence::HostCounters`]); which listener
//! a half-open handshake belongs to is decided here for both ([`attach`]),
//! what the numbers prove is judged here ([`evidence`]), and the table is
//! built here ([`table`], [`text`]), by pure code tested everywhere.
//!
//! [`Row`]: table::Row

pub mod attach;
pub mod evidence;
pub mod table;
pub mod text;

use evidence::{Baseline, HostCounters};
use table::{ListenerFacts, Row, Table, MAX_ROWS};

/// The previous call's readings, which every caller shares.
#[derive(Debug, Default)]
pub struct Listeners {
    previous: Option<Baseline>,
}

impl Listeners {
    /// The table of `rows` and `host` read just now: the worst
    /// [`MAX_ROWS`] of them, judged against the previous call, which this
    /// call then replaces; with the owners only when `owners`.
    pub fn table(
        &mut self,
        rows: Vec<Row>,
        host: HostCounters,
        unreadable_processes: usize,
        facts: &'static ListenerFacts,
        owners: bool,
    ) -> Table {
        let (judgements, baseline) = evidence::judge(&rows, &host, self.previous.as_ref(), facts);
        let since = self
            .previous
            .as_ref()
            .map(|p| evidence::host_deltas(p.host(), &host));
        self.previous = Some(baseline);
        let mut t = Table::worst_first(rows, judgements, MAX_ROWS, unreadable_processes, facts);
        t.since = since;
        t.owners = owners;
        t
    }
}
