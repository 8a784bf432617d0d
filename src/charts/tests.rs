use super::*;

fn all() -> CounterSet {
    CounterSet::of(&Counter::ALL)
}

fn module(_: CounterSet) -> &'static str {
    "net.inet.tcp.stats"
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
    let charts = Charts::new(present, 1, &module);
    assert!(charts.has(ChartKind::Resets));
    assert!(!charts.has(ChartKind::Causes));
    let mut w = Writer::with_capacity(0);
    charts.define(&mut w, None);
    let dims: Vec<&str> = w
        .text()
        .lines()
        .filter_map(|l| l.strip_prefix("DIMENSION "))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(dims, ["AttemptFails", "EstabResets"]);
}

#[test]
fn sum_needs_every_present_counter() {
    let present = CounterSet::of(&[Counter::ListenOverflows, Counter::TCPReqQFullDrop]);
    let charts = Charts::new(present, 1, &module);
    let mut v = Values::default();
    v.set(Counter::ListenOverflows, Some(3));
    let mut w = Writer::with_capacity(256);
    charts.sample(&mut w, &v, None, None);
    // TCPReqQFullDrop is also the syncookies chart's syn_queue_drops.
    assert_eq!(
        w.text(),
        "BEGIN tcp_resets.causes\nSET queue_full =\nEND\n\
         BEGIN tcp_resets.syncookies\nSET syn_queue_drops =\nEND\n"
    );
    v.set(Counter::TCPReqQFullDrop, Some(4));
    w.clear();
    charts.sample(&mut w, &v, Some(1), None);
    assert_eq!(
        w.text(),
        "BEGIN tcp_resets.causes 1\nSET queue_full = 7\nEND\n\
         BEGIN tcp_resets.syncookies 1\nSET syn_queue_drops = 4\nEND\n"
    );
}

#[test]
fn counter_appearing_later_does_not_join_a_sum() {
    let charts = Charts::new(CounterSet::of(&[Counter::ListenOverflows]), 1, &module);
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
    let charts = Charts::new(all(), 86400, &module);
    let mut w = Writer::with_capacity(0);
    let mut v = Values::default();
    for c in Counter::ALL {
        v.set(c, Some(u64::MAX));
    }
    charts.define(&mut w, Some(2));
    charts.sample(&mut w, &v, Some(u64::MAX), Some(2));
    for line in w.as_bytes().split(|&b| b == b'\n') {
        assert!(line.len() < crate::writer::MAX_LINE);
    }
    assert!(w.as_bytes().len() <= charts.worst_case_len());
}
