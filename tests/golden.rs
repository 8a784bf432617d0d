//! The real binary over fixture trees (`NETDATA_HOST_PREFIX`), two samples
//! each: every line must pass the protocol validator, the values must be
//! the fixture's, and stdout and stderr must match the golden files under
//! `tests/golden/` (regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`,
//! then review the diff).

mod common;
mod protocol;

use std::path::PathBuf;
use std::time::Duration;

use common::child::{plugin, run};
use common::fixture;

fn golden_path(name: &str, ext: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.{ext}"))
}

/// Replaces the microseconds of every BEGIN after the first (they measure
/// real time) with a placeholder.
fn normalize(out: &str) -> String {
    out.lines()
        .map(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            if w.len() == 3 && w[0] == "BEGIN" {
                format!("BEGIN {} <microseconds>\n", w[1])
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

fn check_golden(name: &str, ext: &str, actual: &str) {
    let path = golden_path(name, ext);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert_eq!(
        actual,
        expected,
        "{} differs from the output",
        path.display()
    );
}

/// Runs the plugin on a fixture for two samples, checks the protocol and
/// the golden files, and returns the parsed stream.
fn two_samples(name: &str) -> protocol::Stream {
    let out = run(
        plugin(
            Some(&fixture(name)),
            &["1", "--iterations", "2", "--no-trace"],
        ),
        Duration::from_secs(10),
    );
    assert!(
        out.status.success(),
        "{name}: {:?}\n{}",
        out.status,
        out.stderr
    );
    let stream =
        protocol::validate(&out.stdout).unwrap_or_else(|e| panic!("{name}: {e}\n{}", out.stdout));
    for chart in stream.charts.keys() {
        assert_eq!(stream.samples(chart).len(), 2, "{name}: {chart}");
    }
    let us = stream.samples("tcp_resets.resets")[1].microseconds.unwrap();
    assert!(us > 0 && us <= 1_100_000, "{name}: {us} µs between samples");
    check_golden(name, "stdout", &normalize(&out.stdout));
    let stderr = out
        .stderr
        .replace(fixture(name).to_str().unwrap(), "$PREFIX");
    check_golden(name, "stderr", &stderr);
    stream
}

/// The value of `dim` in the last sample of `chart`.
fn last(s: &protocol::Stream, chart: &str, dim: &str) -> Option<i64> {
    *s.samples(chart)
        .last()
        .unwrap()
        .sets
        .get(dim)
        .unwrap_or_else(|| panic!("no SET {dim}"))
}

fn assert_standard_values(s: &protocol::Stream, queue_full: i64) {
    assert_eq!(last(s, "tcp_resets.resets", "AttemptFails"), Some(1001));
    assert_eq!(last(s, "tcp_resets.resets", "EstabResets"), Some(1002));
    assert_eq!(last(s, "tcp_resets.resets", "OutRsts"), Some(1003));
    assert_eq!(last(s, "tcp_resets.causes", "queue_full"), Some(queue_full));
    assert_eq!(
        last(s, "tcp_resets.causes", "aborted"),
        Some(2003 + 2004 + 2006 + 2007)
    );
    assert_eq!(last(s, "tcp_resets.causes", "memory"), Some(2005));
    assert_eq!(last(s, "tcp_resets.causes", "half_open"), Some(2008));
    assert_eq!(last(s, "tcp_resets.syncookies", "sent"), Some(2009));
    assert_eq!(last(s, "tcp_resets.syncookies", "received"), Some(2010));
    assert_eq!(last(s, "tcp_resets.syncookies", "failed"), Some(2011));
}

fn assert_spoofing(s: &protocol::Stream, challenge_acks: Option<i64>, syn_challenges: Option<i64>) {
    assert_eq!(
        (
            last(s, "tcp_resets.spoofing", "challenge_acks"),
            last(s, "tcp_resets.spoofing", "syn_challenges")
        ),
        (challenge_acks, syn_challenges)
    );
}

fn variable(s: &protocol::Stream, sample: usize) -> Option<i64> {
    s.samples("tcp_resets.syncookies")[sample]
        .variables
        .get("tcp_syncookies")
        .copied()
}

#[test]
fn resets_chart_is_exactly_the_contract() {
    let s = two_samples("linux-6.18");
    let c = &s.charts["tcp_resets.resets"];
    assert_eq!(c.title, "TCP resets");
    assert_eq!(c.units, "events/s");
    assert_eq!(c.context, "tcp_resets.resets");
    assert_eq!(c.family, "resets");
    assert_eq!(c.chart_type, "line");
    assert_eq!(c.plugin, "tcp_resets.plugin");
    assert_eq!(c.module, "proc_net_snmp");
    assert_eq!(c.update_every, 1);
    assert_eq!(
        c.dims,
        [
            ("AttemptFails".to_string(), "incremental".to_string()),
            ("EstabResets".into(), "incremental".into()),
            ("OutRsts".into(), "incremental".into()),
        ]
    );
    assert_eq!(s.samples("tcp_resets.resets")[0].microseconds, None);
    assert_eq!(s.charts["tcp_resets.causes"].chart_type, "stacked");
    assert_eq!(
        s.dim_ids("tcp_resets.causes"),
        ["queue_full", "aborted", "memory", "half_open"]
    );
    assert_eq!(
        s.dim_ids("tcp_resets.syncookies"),
        ["sent", "received", "failed", "syn_queue_drops"]
    );
    assert_eq!(
        s.dim_ids("tcp_resets.spoofing"),
        ["challenge_acks", "syn_challenges"]
    );
}

#[test]
fn current_kernel_values() {
    let s = two_samples("linux-6.18");
    assert_standard_values(&s, 2001 + 2002);
    // TCPReqQFullDrop alone: the SYN-queue part of queue_full.
    assert_eq!(
        last(&s, "tcp_resets.syncookies", "syn_queue_drops"),
        Some(2002)
    );
    assert_spoofing(&s, Some(2012), Some(2013));
    assert_eq!(
        s.definition_variables["tcp_resets.syncookies"]["tcp_syncookies"],
        1
    );
    assert_eq!(variable(&s, 0), Some(1));
}

#[test]
fn snmp_without_incsumerrors() {
    let s = two_samples("linux-2.6.32");
    // 2.6.32 has no TCPReqQFullDrop: queue_full is ListenOverflows alone.
    assert_standard_values(&s, 2001);
    // ... so no syn_queue_drops dimension either ...
    assert_eq!(
        s.dim_ids("tcp_resets.syncookies"),
        ["sent", "received", "failed"]
    );
    // ... and no RFC 5961 counters: the spoofing chart is not defined.
    assert!(!s.charts.contains_key("tcp_resets.spoofing"));
}

#[test]
fn linux_3_10_columns() {
    let s = two_samples("linux-3.10");
    assert_standard_values(&s, 2001 + 2002);
    assert_spoofing(&s, Some(2012), Some(2013));
}

#[test]
fn tcpext_found_anywhere_with_unknown_columns() {
    let s = two_samples("tcpext-last-with-unknown-columns");
    assert_standard_values(&s, 2001 + 2002);
    assert_eq!(variable(&s, 0), Some(0));
}

#[test]
fn counters_above_i64_max_are_sent_modulo_2_pow_63() {
    let s = two_samples("counters-above-i64-max");
    assert_eq!(s.chart_order, ["tcp_resets.resets"]);
    assert_eq!(last(&s, "tcp_resets.resets", "AttemptFails"), Some(0));
    assert_eq!(last(&s, "tcp_resets.resets", "EstabResets"), Some(i64::MAX));
    assert_eq!(last(&s, "tcp_resets.resets", "OutRsts"), Some(i64::MAX));
}

#[test]
fn truncated_rows_leave_every_dimension_empty() {
    let s = two_samples("broken-truncated-rows");
    for b in &s.blocks {
        if b.chart != "tcp_resets.syncookies" || b.sets.is_empty() {
            assert!(b.sets.values().all(Option::is_none), "{b:?}");
        }
    }
}

#[test]
fn garbage_values_are_empty_never_made_up() {
    let s = two_samples("broken-garbage");
    assert_eq!(last(&s, "tcp_resets.resets", "AttemptFails"), None);
    assert_eq!(last(&s, "tcp_resets.resets", "EstabResets"), Some(1002));
    assert_eq!(last(&s, "tcp_resets.resets", "OutRsts"), None);
    assert_spoofing(&s, None, Some(2013));
    assert_eq!(variable(&s, 0), None);
    assert!(s.definition_variables.is_empty());
}

#[test]
fn count_mismatch_empties_only_that_table() {
    let s = two_samples("broken-count-mismatch");
    assert_eq!(last(&s, "tcp_resets.resets", "AttemptFails"), None);
    assert_eq!(last(&s, "tcp_resets.causes", "memory"), Some(2005));
    assert_eq!(variable(&s, 0), Some(2));
}

#[test]
fn stray_second_tcp_line_is_ignored() {
    let s = two_samples("broken-stray-tcp-line");
    assert_standard_values(&s, 2001 + 2002);
}

#[test]
fn without_netstat_only_the_resets_chart() {
    let s = two_samples("no-netstat");
    assert_eq!(s.chart_order, ["tcp_resets.resets"]);
    assert_eq!(last(&s, "tcp_resets.resets", "OutRsts"), Some(1003));
}

fn disabled(name: &str, reason: &str) {
    let out = run(
        plugin(
            Some(&fixture(name)),
            &["1", "--iterations", "2", "--no-trace"],
        ),
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1), "{name}");
    assert_eq!(out.stdout, "DISABLE\n", "{name}");
    assert_eq!(out.stderr.lines().count(), 1, "{name}: {}", out.stderr);
    let path = fixture(name).join("proc/net/snmp");
    assert!(
        out.stderr.contains(path.to_str().unwrap()) && out.stderr.contains(reason),
        "{name}: {}",
        out.stderr
    );
}

#[test]
fn missing_snmp_disables_the_plugin() {
    disabled("empty", "cannot open: No such file or directory");
}

#[test]
fn snmp_without_tcp_rows_disables_the_plugin() {
    disabled("no-tcp-rows", "has no Tcp: rows");
}

#[test]
fn snmp_without_reset_counters_disables_the_plugin() {
    disabled("no-reset-counters", "has none of the Tcp: counters");
}
