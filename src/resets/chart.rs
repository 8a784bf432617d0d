//! `tcp_resets.sent_reasons`: the resets this host sent, by the kernel's
//! reason (`enum sk_rst_reason`, Linux 6.10 and later), one dimension per
//! reason the running kernel names in its `tcp_send_reset` format, fixed
//! at start-up, named as the kernel spells it, lower-cased; and `lost`,
//! the records the kernel could not write because a ring was full.
//!
//! The tracepoint fires in every network namespace of the host: the chart
//! counts them all, while `OutRsts` counts the plugin's namespace only.

use super::Resets;
use crate::writer::{self, Writer};
use crate::PLUGIN;

/// The chart's id (a contract).
pub const ID: &str = "tcp_resets.sent_reasons";
/// The dimension of the records lost.
pub const LOST: &str = "lost";
/// The table's sentinel, no reason (`SK_RST_REASON_MAX`).
const SENTINEL: &str = "MAX";

/// The chart as defined at start-up.
#[derive(Debug)]
pub(crate) struct ReasonChart {
    /// (dimension id, index in the kernel's reason table).
    dims: Vec<(String, usize)>,
    update_every: u64,
    /// The SET lines of the last sample and the counts they say, written
    /// again as they are while no count changes (most seconds of most
    /// hosts), sized at start-up.
    said: Writer,
    counts: Vec<Option<u64>>,
}

impl ReasonChart {
    /// The chart of `reasons` (the kernel's values and names, by index);
    /// `None` without reasons.
    pub(crate) fn new(reasons: Option<&[(u32, String)]>, update_every: u64) -> Option<ReasonChart> {
        let dims = reasons?
            .iter()
            .map(|(_, name)| name)
            .enumerate()
            .filter(|(_, name)| name.as_str() != SENTINEL)
            .map(|(i, name)| (name.to_ascii_lowercase(), i))
            .collect();
        let mut c = ReasonChart {
            dims,
            update_every,
            said: Writer::with_capacity(0),
            counts: Vec::new(),
        };
        c.said = Writer::with_capacity(c.worst_case_len());
        c.counts.reserve_exact(c.dims.len() + 1);
        Some(c)
    }

    /// Its dimension ids, in order.
    pub(crate) fn dimensions(&self) -> impl Iterator<Item = &str> {
        self.dims.iter().map(|(id, _)| id.as_str()).chain([LOST])
    }

    /// Writes its CHART and DIMENSION lines.
    pub(crate) fn define(&self, w: &mut Writer) {
        w.chart(&writer::Chart {
            id: ID,
            title: "TCP resets sent, by the kernel reason",
            units: "resets/s",
            family: "reasons",
            context: ID,
            chart_type: "stacked",
            priority: 1004,
            update_every: self.update_every,
            plugin: PLUGIN,
            module: "tracepoints",
        });
        for id in self.dimensions() {
            w.incremental_dimension(id);
        }
    }

    /// Writes one sample of `r`'s counts.
    pub(crate) fn sample(&mut self, w: &mut Writer, r: &Resets, microseconds: Option<u64>) {
        w.begin(ID, microseconds);
        if self.counts.is_empty() || !counts(&self.dims, r).eq(self.counts.iter().copied()) {
            self.counts.clear();
            self.counts.extend(counts(&self.dims, r));
            self.said.clear();
            let ids = self.dims.iter().map(|(id, _)| id.as_str()).chain([LOST]);
            for (id, count) in ids.zip(self.counts.iter().copied()) {
                self.said.set(id, count);
            }
        }
        w.raw(self.said.as_bytes());
        w.end();
    }

    /// The most bytes [`define`](Self::define) and one
    /// [`sample`](Self::sample) take (found by formatting the widest
    /// values once, at start-up).
    pub(crate) fn worst_case_len(&self) -> usize {
        let mut w = Writer::with_capacity(0);
        self.define(&mut w);
        w.begin(ID, Some(u64::MAX));
        for id in self.dimensions() {
            w.set(id, Some(u64::MAX >> 1));
        }
        w.end();
        w.as_bytes().len()
    }
}

/// `r`'s counts in the order of `dims`, then the records lost.
fn counts<'a>(
    dims: &'a [(String, usize)],
    r: &'a Resets,
) -> impl Iterator<Item = Option<u64>> + 'a {
    dims.iter()
        .map(|(_, i)| r.sent_by_reason.get(*i).copied())
        .chain([Some(r.lost)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resets::{Drained, Event, PortRule, Tracer};
    use std::os::fd::{AsFd, BorrowedFd};

    /// A tracer that records nothing: the counts are set by hand.
    #[derive(Debug)]
    struct Quiet(std::fs::File);

    impl Tracer for Quiet {
        fn drain(&mut self, _: &mut dyn FnMut(&Event)) -> Drained {
            Drained::default()
        }
        fn reasons(&self) -> Option<Vec<(u32, String)>> {
            Some(
                [(0, "NOT_SPECIFIED"), (1, "NO_SOCKET"), (2, "MAX")]
                    .map(|(v, n)| (v, n.to_string()))
                    .to_vec(),
            )
        }
        fn states(&self) -> Vec<(i32, String)> {
            Vec::new()
        }
        fn sees_every_sent_reset(&self) -> bool {
            true
        }
        fn wake(&self) -> BorrowedFd<'_> {
            self.0.as_fd()
        }
        fn rearm(&mut self) {}
        fn port_rule(&self) -> PortRule {
            PortRule {
                low: 32768,
                high: 60999,
            }
        }
        fn memory(&self) -> usize {
            0
        }
    }

    fn sample(c: &mut ReasonChart, r: &Resets, us: u64) -> String {
        let mut w = Writer::with_capacity(c.worst_case_len());
        c.sample(&mut w, r, Some(us));
        String::from_utf8(w.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn unchanged_counts_repeat_the_lines_and_a_change_is_written() {
        let quiet = Quiet(std::fs::File::open("/dev/null").unwrap());
        let mut r = Resets::new(Box::new(quiet), 0);
        let mut c = ReasonChart::new(r.reasons.as_deref(), 1).unwrap();
        let room = c.said.capacity();
        r.sent_by_reason[1] = 5;
        let lines = |us, no_socket, lost| {
            format!(
                "BEGIN tcp_resets.sent_reasons {us}\nSET not_specified = 0\n\
                 SET no_socket = {no_socket}\nSET lost = {lost}\nEND\n"
            )
        };
        assert_eq!(sample(&mut c, &r, 1_000_000), lines(1_000_000, 5, 0));
        assert_eq!(sample(&mut c, &r, 999_999), lines(999_999, 5, 0));
        r.sent_by_reason[1] = 7;
        assert_eq!(sample(&mut c, &r, 1_000_001), lines(1_000_001, 7, 0));
        r.lost = 2;
        assert_eq!(sample(&mut c, &r, 1_000_000), lines(1_000_000, 7, 2));
        assert_eq!(sample(&mut c, &r, 1_000_000), lines(1_000_000, 7, 2));
        assert_eq!(
            c.said.capacity(),
            room,
            "the lines kept outgrew their buffer"
        );
    }
}
