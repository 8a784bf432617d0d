//! The charts the plugin defines, and how a sample becomes protocol lines.
//!
//! Chart and dimension ids are a contract: alarms and outside checks read
//! them. Every dimension is incremental (netdata turns the counters into
//! events per second) and is the sum of the kernel counters that exist on
//! this host; a dimension none of whose counters exist is not defined.

use crate::counters::{Counter, CounterSet, Values};
use crate::writer::{self, Writer};
use crate::PLUGIN;

/// The chart-local variable carrying the SYN-cookie setting.
pub(crate) const SYNCOOKIES_VARIABLE: &str = "tcp_syncookies";

/// Which chart; the value indexes per-chart tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Resets = 0,
    Causes = 1,
    Syncookies = 2,
    Spoofing = 3,
}

/// How many [`ChartKind`]s there are.
pub const CHART_KINDS: usize = 4;

/// A dimension and the counters it adds up.
#[derive(Debug)]
pub struct DimDef {
    pub id: &'static str,
    pub sources: &'static [Counter],
}

/// A chart's fixed definition.
#[derive(Debug)]
pub struct ChartDef {
    pub kind: ChartKind,
    pub id: &'static str,
    /// What a message calls the chart ("the causes chart").
    pub noun: &'static str,
    pub title: &'static str,
    pub family: &'static str,
    pub chart_type: &'static str,
    pub priority: u64,
    pub dims: &'static [DimDef],
}

/// Units of every chart.
pub const UNITS: &str = "events/s";

/// Every chart the plugin can define, in output order.
pub const CHARTS: [ChartDef; CHART_KINDS] = [
    ChartDef {
        kind: ChartKind::Resets,
        noun: "resets",
        id: "tcp_resets.resets",
        title: "TCP resets",
        family: "resets",
        chart_type: "line",
        priority: 1000,
        dims: &[
            DimDef {
                id: "AttemptFails",
                sources: &[Counter::AttemptFails],
            },
            DimDef {
                id: "EstabResets",
                sources: &[Counter::EstabResets],
            },
            DimDef {
                id: "OutRsts",
                sources: &[Counter::OutRsts],
            },
        ],
    },
    ChartDef {
        kind: ChartKind::Causes,
        noun: "causes",
        id: "tcp_resets.causes",
        title: "TCP reset causes",
        family: "causes",
        chart_type: "stacked",
        priority: 1001,
        dims: &[
            DimDef {
                id: "queue_full",
                sources: &[Counter::ListenOverflows, Counter::TCPReqQFullDrop],
            },
            DimDef {
                id: "aborted",
                sources: &[
                    Counter::TCPAbortOnData,
                    Counter::TCPAbortOnClose,
                    Counter::TCPAbortOnLinger,
                    Counter::TCPAbortOnTimeout,
                ],
            },
            DimDef {
                id: "memory",
                sources: &[Counter::TCPAbortOnMemory],
            },
            DimDef {
                id: "half_open",
                sources: &[Counter::EmbryonicRsts],
            },
        ],
    },
    ChartDef {
        kind: ChartKind::Syncookies,
        noun: "SYN-cookie",
        id: "tcp_resets.syncookies",
        title: "TCP SYN cookies and SYN queue drops",
        family: "syncookies",
        chart_type: "line",
        priority: 1002,
        dims: &[
            DimDef {
                id: "sent",
                sources: &[Counter::SyncookiesSent],
            },
            DimDef {
                id: "received",
                sources: &[Counter::SyncookiesRecv],
            },
            DimDef {
                id: "failed",
                sources: &[Counter::SyncookiesFailed],
            },
            DimDef {
                id: "syn_queue_drops",
                sources: &[Counter::TCPReqQFullDrop],
            },
        ],
    },
    ChartDef {
        kind: ChartKind::Spoofing,
        noun: "spoofing",
        id: "tcp_resets.spoofing",
        title: "Possible blind reset attacks",
        family: "spoofing",
        chart_type: "line",
        priority: 1003,
        dims: &[
            DimDef {
                id: "challenge_acks",
                sources: &[Counter::TCPChallengeACK],
            },
            DimDef {
                id: "syn_challenges",
                sources: &[Counter::TCPSYNChallenge],
            },
            DimDef {
                id: "bad_resets",
                sources: &[Counter::BadRsts],
            },
        ],
    },
];

/// The most dimensions a chart has.
const MAX_DIMS: usize = 4;

/// A defined dimension: its id and the counters of its sum that exist.
#[derive(Clone, Copy, Debug)]
struct Dim {
    id: &'static str,
    sources: CounterSet,
}

/// A chart as defined on this host.
#[derive(Clone, Copy, Debug)]
struct Chart {
    def: &'static ChartDef,
    dims: [Option<Dim>; MAX_DIMS],
    /// Where its counters come from (the `module` word).
    module: &'static str,
}

/// The charts defined on this host, fixed at start-up.
#[derive(Debug)]
pub(crate) struct Charts {
    charts: [Option<Chart>; CHARTS.len()],
    update_every: u64,
}

/// Sums `set`'s counters; `None` when any of them has no value this tick
/// (a partial sum would show as a drop and then a spike).
fn sum(values: &Values, set: CounterSet) -> Option<u64> {
    let mut total: u64 = 0;
    for c in set.iter() {
        total = total.wrapping_add(values.get(c)?);
    }
    Some(total)
}

/// The charts and dimension ids a kernel can define: those with a counter
/// for which `has` is true.
pub fn defined_where(has: impl Fn(Counter) -> bool) -> Vec<(&'static str, Vec<&'static str>)> {
    CHARTS
        .iter()
        .filter_map(|c| {
            let dims: Vec<&str> = c
                .dims
                .iter()
                .filter(|d| d.sources.iter().any(|&s| has(s)))
                .map(|d| d.id)
                .collect();
            (!dims.is_empty()).then_some((c.id, dims))
        })
        .collect()
}

impl Charts {
    /// Defines every chart that has at least one dimension whose counters
    /// are in `present`; `module` names where a chart's counters come from
    /// ([`Source::module`](crate::source::Source::module)).
    pub(crate) fn new(
        present: CounterSet,
        update_every: u64,
        module: &dyn Fn(CounterSet) -> &'static str,
    ) -> Charts {
        let mut charts = [None; CHARTS.len()];
        for (slot, def) in charts.iter_mut().zip(CHARTS.iter()) {
            let mut dims = [None; MAX_DIMS];
            let mut all = CounterSet::default();
            for (d, dim) in dims.iter_mut().zip(def.dims) {
                let sources = CounterSet::of(dim.sources).intersection(present);
                if !sources.is_empty() {
                    *d = Some(Dim {
                        id: dim.id,
                        sources,
                    });
                    all = all.union(sources);
                }
            }
            if !all.is_empty() {
                *slot = Some(Chart {
                    def,
                    dims,
                    module: module(all),
                });
            }
        }
        Charts {
            charts,
            update_every,
        }
    }

    /// The charts that `lost` counters would have defined beside
    /// `present`, as a message names them: "causes and spoofing charts
    /// are", "spoofing chart is".
    pub(crate) fn lost(present: CounterSet, lost: CounterSet) -> String {
        let defined = |set: CounterSet| {
            move |def: &&ChartDef| {
                def.dims
                    .iter()
                    .any(|d| !CounterSet::of(d.sources).intersection(set).is_empty())
            }
        };
        let nouns: Vec<&str> = CHARTS
            .iter()
            .filter(defined(present.union(lost)))
            .filter(|d| !defined(present)(d))
            .map(|d| d.noun)
            .collect();
        match nouns.as_slice() {
            [] => "no chart is".to_string(),
            [one] => format!("{one} chart is"),
            [init @ .., last] => format!("{} and {last} charts are", init.join(", ")),
        }
    }

    /// Whether `kind` is defined on this host.
    pub(crate) fn has(&self, kind: ChartKind) -> bool {
        self.charts.iter().flatten().any(|c| c.def.kind == kind)
    }

    /// Writes the CHART and DIMENSION lines of every defined chart, and the
    /// SYN-cookie variable when it is known.
    pub(crate) fn define(&self, w: &mut Writer, syncookies: Option<i64>) {
        for chart in self.charts.iter().flatten() {
            let def = chart.def;
            w.chart(&writer::Chart {
                id: def.id,
                title: def.title,
                units: UNITS,
                family: def.family,
                context: def.id,
                chart_type: def.chart_type,
                priority: def.priority,
                update_every: self.update_every,
                plugin: PLUGIN,
                module: chart.module,
            });
            for dim in chart.dims.iter().flatten() {
                w.incremental_dimension(dim.id);
            }
            if let (ChartKind::Syncookies, Some(v)) = (def.kind, syncookies) {
                w.chart_variable(SYNCOOKIES_VARIABLE, v);
            }
        }
    }

    /// Writes one sample of every defined chart: `microseconds` since the
    /// previous sample (`None` for the first), and the SYN-cookie variable
    /// when it was refreshed this tick.
    pub(crate) fn sample(
        &self,
        w: &mut Writer,
        values: &Values,
        microseconds: Option<u64>,
        syncookies: Option<i64>,
    ) {
        for chart in self.charts.iter().flatten() {
            w.begin(chart.def.id, microseconds);
            for dim in chart.dims.iter().flatten() {
                w.set(dim.id, sum(values, dim.sources));
            }
            if let (ChartKind::Syncookies, Some(v)) = (chart.def.kind, syncookies) {
                w.chart_variable(SYNCOOKIES_VARIABLE, v);
            }
            w.end();
        }
    }

    /// The most bytes [`define`](Charts::define) followed by one
    /// [`sample`](Charts::sample) can take, found by formatting the largest
    /// possible values once (at start-up, where allocating is fine).
    pub(crate) fn worst_case_len(&self) -> usize {
        let mut w = Writer::with_capacity(0);
        let mut all = Values::default();
        for c in Counter::ALL {
            all.set(c, Some(u64::MAX >> 1));
        }
        self.define(&mut w, Some(i64::MIN));
        self.sample(&mut w, &all, Some(u64::MAX), Some(i64::MIN));
        w.as_bytes().len()
    }
}

#[cfg(test)]
mod tests;
