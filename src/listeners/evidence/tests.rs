//! The ranking on inputs recorded in a private network namespace (Linux
//! 6.18, research notes of issue 19): three listeners read at two calls,
//! with the host's counters around each dump.

use super::*;
use crate::listeners::table::tests::FACTS as LINUX;
use crate::listeners::table::{Table, MAX_ROWS};

/// A listener on 127.0.0.1:`port` with its accept queue, limit and
/// socket drops; its key is its port.
fn row(port: u16, queue: u32, limit: u32, drops: u64) -> Row {
    Row::for_tests(port, queue, limit, Some(drops))
}

fn host(overflows: (u64, u64), defer: (u64, u64), rsts: (u64, u64)) -> HostCounters {
    let at = |i: usize| Netstat {
        listen_overflows: Some([overflows.0, overflows.1][i]),
        defer_accept_drops: Some([defer.0, defer.1][i]),
        embryonic_rsts: Some([rsts.0, rsts.1][i]),
    };
    HostCounters {
        before: at(0),
        after: at(1),
        syncookies: Some(1),
    }
}

/// Two calls: the baseline, then `rows` with `now`; the table of the
/// second, worst first.
fn second_call(
    first: &[Row],
    first_host: HostCounters,
    rows: Vec<Row>,
    now: HostCounters,
) -> Table {
    let (_, baseline) = judge(first, &first_host, None, &LINUX);
    let (j, _) = judge(&rows, &now, Some(&baseline), &LINUX);
    Table::worst_first(rows, j, MAX_ROWS, 0, &LINUX)
}

/// A row's port, status and overflows (at least, at most).
type Ranked = (u16, Status, Option<(u64, u64)>);

/// Every row as [`Ranked`], in order.
fn ranking(t: &Table) -> Vec<Ranked> {
    t.rows
        .iter()
        .map(|r| {
            let j = r.judgement;
            (r.row.port, j.status, j.overflows.map(|b| (b.min, b.max)))
        })
        .collect()
}

const DEFERRED: u16 = 8080;
const NEVER_ACCEPTS: u16 = 8081;
const RESETS: u16 = 8083;

fn idle() -> Vec<Row> {
    vec![
        row(DEFERRED, 0, 128, 0),
        row(NEVER_ACCEPTS, 0, 3, 0),
        row(RESETS, 0, 128, 0),
    ]
}

#[test]
fn the_listener_that_never_accepts_is_first_and_critical_beside_deferred_accept_and_resets() {
    // Between the calls: 1,000 connections served by a TCP_DEFER_ACCEPT
    // listener (1,000 drops, TCPDeferAcceptDrop 1,000), 20 connects to a
    // backlog-3 listener that never accepts (queue 4 of 3, 16 drops, 16
    // ListenOverflows), 10 handshakes ended by a reset (10 drops,
    // EmbryonicRsts 10).
    let t = second_call(
        &idle(),
        host((0, 0), (0, 0), (0, 0)),
        vec![
            row(DEFERRED, 0, 128, 1000),
            row(NEVER_ACCEPTS, 4, 3, 16),
            row(RESETS, 0, 128, 10),
        ],
        host((16, 16), (1000, 1000), (10, 10)),
    );
    assert_eq!(
        ranking(&t),
        [
            (NEVER_ACCEPTS, Status::Refusing, Some((0, 16))),
            (DEFERRED, Status::OverflowPossible, Some((0, 16))),
            (RESETS, Status::OverflowPossible, Some((0, 10))),
        ]
    );
    assert_eq!(t.rows[0].judgement.status.severity(), "critical");
    // Neither of the others is called overflowing or made a warning.
    for r in &t.rows[1..] {
        assert!(!matches!(
            r.judgement.status.severity(),
            "warning" | "critical"
        ));
        assert!(r.judgement.status > Status::SynQueueDropping);
    }
    assert_eq!(t.rows[0].fill(&LINUX), 100);
}

#[test]
fn deferred_accept_drops_alone_are_no_overflow() {
    let t = second_call(
        &idle(),
        host((0, 0), (0, 0), (0, 0)),
        vec![
            row(DEFERRED, 0, 128, 1000),
            row(NEVER_ACCEPTS, 0, 3, 0),
            row(RESETS, 0, 128, 0),
        ],
        host((0, 0), (1000, 1000), (0, 0)),
    );
    let r = &t.rows[0];
    assert_eq!(r.row.port, DEFERRED);
    assert_eq!(r.judgement.status, Status::DropsNoOverflow);
    assert_eq!(r.judgement.status.severity(), "normal");
    assert_eq!(r.judgement.new_drops, Some(1000));
    assert_eq!(r.judgement.overflows.map(|b| (b.min, b.max)), Some((0, 0)));
}

#[test]
fn handshakes_ended_by_resets_are_not_overflows() {
    let t = second_call(
        &idle(),
        host((5, 5), (0, 0), (0, 0)),
        vec![
            row(DEFERRED, 0, 128, 0),
            row(NEVER_ACCEPTS, 0, 3, 0),
            row(RESETS, 0, 128, 10),
        ],
        host((5, 5), (0, 0), (10, 10)),
    );
    let r = t.rows.iter().find(|r| r.row.port == RESETS).unwrap();
    assert_eq!(r.judgement.status, Status::DropsNoOverflow);
}

#[test]
fn a_lone_listener_with_drops_when_the_host_counted_overflows_overflowed() {
    // Its queue is not full at the call (it accepted since), but only it
    // had drops while the host counted 16 overflows in the inner window.
    let t = second_call(
        &idle(),
        host((0, 0), (0, 0), (0, 0)),
        vec![
            row(DEFERRED, 0, 128, 0),
            row(NEVER_ACCEPTS, 0, 3, 32),
            row(RESETS, 0, 128, 0),
        ],
        host((16, 16), (0, 0), (0, 0)),
    );
    assert_eq!(
        ranking(&t)[0],
        (NEVER_ACCEPTS, Status::Overflowed, Some((16, 16)))
    );
    assert_eq!(t.rows[0].judgement.status.severity(), "warning");
}

#[test]
fn overflows_outside_the_inner_window_prove_nothing_and_a_vanished_listener_proves_nothing() {
    // The 16 overflows came between the first dump and its second reading
    // of the host's counter: they may belong to the first call's window.
    let t = second_call(
        &idle(),
        host((0, 16), (0, 0), (0, 0)),
        vec![
            row(DEFERRED, 0, 128, 0),
            row(NEVER_ACCEPTS, 0, 3, 16),
            row(RESETS, 0, 128, 0),
        ],
        host((16, 16), (0, 0), (0, 0)),
    );
    assert_eq!(
        ranking(&t)[0],
        (NEVER_ACCEPTS, Status::OverflowPossible, Some((0, 16)))
    );
    // A listener gone since the first call may have had the overflows.
    let t = second_call(
        &idle(),
        host((0, 0), (0, 0), (0, 0)),
        vec![row(DEFERRED, 0, 128, 0), row(NEVER_ACCEPTS, 0, 3, 16)],
        host((16, 16), (0, 0), (0, 0)),
    );
    assert_eq!(
        ranking(&t)[0],
        (NEVER_ACCEPTS, Status::OverflowPossible, Some((0, 16)))
    );
}

#[test]
fn the_first_call_knows_only_what_is_full_now() {
    let rows = vec![row(DEFERRED, 0, 128, 1000), row(NEVER_ACCEPTS, 4, 3, 16)];
    let (j, _) = judge(&rows, &host((16, 16), (0, 0), (0, 0)), None, &LINUX);
    assert_eq!(j[0].status, Status::Ok);
    assert_eq!((j[0].new_drops, j[0].overflows), (None, None));
    assert_eq!(j[1].status, Status::Refusing);
}

#[test]
fn a_full_syn_queue_drops_without_cookies_and_is_answered_with_them() {
    let mut r = row(NEVER_ACCEPTS, 0, 3, 0);
    r.half_open = Some(4);
    for (cookies, status) in [
        (Some(0), Status::SynQueueDropping),
        (Some(1), Status::SynQueueCookies),
        (None, Status::SynQueueCookies),
    ] {
        let mut h = host((0, 0), (0, 0), (0, 0));
        h.syncookies = cookies;
        let (j, _) = judge(std::slice::from_ref(&r), &h, None, &LINUX);
        assert_eq!(j[0].status, status, "{cookies:?}");
    }
    // Three of three is not full: the queue holds the limit and one more.
    r.half_open = Some(3);
    let (j, _) = judge(&[r], &host((0, 0), (0, 0), (0, 0)), None, &LINUX);
    assert_eq!(j[0].status, Status::Ok);
}

#[test]
fn drops_wrap_at_32_bits_and_a_new_socket_brings_all_its_drops() {
    let first = [row(DEFERRED, 0, 128, u64::from(u32::MAX) - 1)];
    let (_, baseline) = judge(&first, &host((0, 0), (0, 0), (0, 0)), None, &LINUX);
    let now = [row(DEFERRED, 0, 128, 3), row(NEVER_ACCEPTS, 0, 3, 7)];
    let (j, _) = judge(&now, &host((0, 0), (0, 0), (0, 0)), Some(&baseline), &LINUX);
    assert_eq!((j[0].new_drops, j[1].new_drops), (Some(5), Some(7)));
}

#[test]
fn the_host_counts_since_the_previous_call_span_both_dumps() {
    let d = host_deltas(
        &host((10, 12), (0, 1), (5, 5)),
        &host((20, 25), (3, 4), (5, 9)),
    );
    assert_eq!(
        d,
        Netstat {
            listen_overflows: Some(15),
            defer_accept_drops: Some(4),
            embryonic_rsts: Some(4),
        }
    );
}
