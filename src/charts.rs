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
pub(crate) struct DimDef {
    pub(crate) id: &'static str,
    pub(crate) sources: &'static [Counter],
}

/// A chart's fixed definition.
#[derive(Debug)]
pub(crate) struct ChartDef {
    pub(crate) kind: ChartKind,
    pub(crate) id: &'static str,
    pub(crate) title: &'static str,
    pub(crate) family: &'static str,
    pub(crate) chart_type: &'static str,
    pub(crate) priority: u64,
    pub(crate) dims: &'static [DimDef],
}

/// Units of every chart.
pub(crate) const UNITS: &str = "events/s";

/// Every chart the plugin can define, in output order.
pub(crate) const CHARTS: [ChartDef; CHART_KINDS] = [
    ChartDef {
        kind: ChartKind::Resets,
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

impl Charts {
    /// Defines every chart that has at least one dimension whose counters
    /// are in `present`.
    pub(crate) fn new(present: CounterSet, update_every: u64) -> Charts {
        let mut charts = [None; CHARTS.len()];
        for (slot, def) in charts.iter_mut().zip(CHARTS.iter()) {
            let mut dims = [None; MAX_DIMS];
            let mut any = false;
            for (d, dim) in dims.iter_mut().zip(def.dims) {
                let sources = CounterSet::of(dim.sources).intersection(present);
                if !sources.is_empty() {
                    *d = Some(Dim {
                        id: dim.id,
                        sources,
                    });
                    any = true;
                }
            }
            if any {
                *slot = Some(Chart { def, dims });
            }
        }
        Charts {
            charts,
            update_every,
        }
    }

    /// Whether `kind` is defined on this host.
    pub(crate) fn has(&self, kind: ChartKind) -> bool {
        self.charts.iter().flatten().any(|c| c.def.kind == kind)
    }

    /// Writes the CHART and DIMENSION lines of every defined chart, and the
    /// SYN-cookie variable when it is known.
    pub(crate) fn define(
        &self,
        w: &mut Writer,
        modules: &[&'static str; CHART_KINDS],
        syncookies: Option<i64>,
    ) {
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
                module: modules[def.kind as usize],
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
    pub(crate) fn worst_case_len(&self, modules: &[&'static str; CHART_KINDS]) -> usize {
        let mut w = Writer::with_capacity(0);
        let mut all = Values::default();
        for c in Counter::ALL {
            all.set(c, Some(u64::MAX >> 1));
        }
        self.define(&mut w, modules, Some(i64::MIN));
        self.sample(&mut w, &all, Some(u64::MAX), Some(i64::MIN));
        w.as_bytes().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> CounterSet {
        CounterSet::of(&Counter::ALL)
    }

    const MODULES: [&str; CHART_KINDS] = ["net.inet.tcp.stats"; CHART_KINDS];

    fn text(w: &Writer) -> &str {
        std::str::from_utf8(w.as_bytes()).unwrap()
    }

    #[test]
    fn chart_defs_fit_their_arrays() {
        for def in &CHARTS {
            assert!(def.dims.len() <= MAX_DIMS, "{}", def.id);
        }
    }

    #[test]
    fn dimension_with_no_counter_present_is_not_defined() {
        let present = CounterSet::of(&[Counter::AttemptFails, Counter::EstabResets]);
        let charts = Charts::new(present, 1);
        assert!(charts.has(ChartKind::Resets));
        assert!(!charts.has(ChartKind::Causes));
        let mut w = Writer::with_capacity(0);
        charts.define(&mut w, &MODULES, None);
        let dims: Vec<&str> = text(&w)
            .lines()
            .filter_map(|l| l.strip_prefix("DIMENSION "))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(dims, ["AttemptFails", "EstabResets"]);
    }

    #[test]
    fn sum_needs_every_present_counter() {
        let present = CounterSet::of(&[Counter::ListenOverflows, Counter::TCPReqQFullDrop]);
        let charts = Charts::new(present, 1);
        let mut v = Values::default();
        v.set(Counter::ListenOverflows, Some(3));
        let mut w = Writer::with_capacity(256);
        charts.sample(&mut w, &v, None, None);
        // TCPReqQFullDrop is also the syncookies chart's syn_queue_drops.
        assert_eq!(
            std::str::from_utf8(w.as_bytes()).unwrap(),
            "BEGIN tcp_resets.causes\nSET queue_full =\nEND\n\
             BEGIN tcp_resets.syncookies\nSET syn_queue_drops =\nEND\n"
        );
        v.set(Counter::TCPReqQFullDrop, Some(4));
        w.clear();
        charts.sample(&mut w, &v, Some(1), None);
        assert_eq!(
            std::str::from_utf8(w.as_bytes()).unwrap(),
            "BEGIN tcp_resets.causes 1\nSET queue_full = 7\nEND\n\
             BEGIN tcp_resets.syncookies 1\nSET syn_queue_drops = 4\nEND\n"
        );
    }

    #[test]
    fn counter_appearing_later_does_not_join_a_sum() {
        let charts = Charts::new(CounterSet::of(&[Counter::ListenOverflows]), 1);
        let mut v = Values::default();
        v.set(Counter::ListenOverflows, Some(3));
        v.set(Counter::TCPReqQFullDrop, Some(100));
        let mut w = Writer::with_capacity(256);
        charts.sample(&mut w, &v, None, None);
        assert!(std::str::from_utf8(w.as_bytes())
            .unwrap()
            .contains("SET queue_full = 3\n"));
    }

    #[test]
    fn worst_case_fits_netdata_line_limit() {
        let charts = Charts::new(all(), 86400);
        let mut w = Writer::with_capacity(0);
        let mut v = Values::default();
        for c in Counter::ALL {
            v.set(c, Some(u64::MAX));
        }
        charts.define(&mut w, &MODULES, Some(2));
        charts.sample(&mut w, &v, Some(u64::MAX), Some(2));
        for line in w.as_bytes().split(|&b| b == b'\n') {
            assert!(line.len() < crate::writer::MAX_LINE);
        }
        assert!(w.as_bytes().len() <= charts.worst_case_len(&MODULES));
    }
}
