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
        Some(ReasonChart { dims, update_every })
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
    pub(crate) fn sample(&self, w: &mut Writer, r: &Resets, microseconds: Option<u64>) {
        w.begin(ID, microseconds);
        for (id, i) in &self.dims {
            w.set(id, r.sent_by_reason.get(*i).copied());
        }
        w.set(LOST, Some(r.lost));
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
