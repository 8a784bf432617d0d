//! Decoding FreeBSD's `struct tcpstat` (`sysctl net.inet.tcp.stats`).
//!
//! The struct is an array of native-endian `uint64_t` counters. Fields are
//! read by their index in `sys/netinet/tcp_var.h`, and only when the length
//! the kernel returned covers them. Releases mostly append fields, with one
//! exception that matters here: FreeBSD 14 inserted `tcps_progdrops` right
//! after `tcps_keepdrops` (index 16), which moves every later field up by
//! one. The indices below are those of FreeBSD 13 and earlier; [`Layout`]
//! applies the shift for 14 and later, chosen at start-up from
//! `kern.osreldate`. This module is platform-independent so that Linux
//! tests can feed it byte buffers.

use crate::counters::{Counter, CounterSet, Values};

/// `tcps_drops`: connections dropped.
pub const TCPS_DROPS: usize = 3;
/// `tcps_conndrops`: embryonic connections dropped.
pub const TCPS_CONNDROPS: usize = 4;
/// `tcps_timeoutdrop`: connections dropped in retransmit timeout.
pub const TCPS_TIMEOUTDROP: usize = 10;
/// `tcps_keepdrops`: connections dropped in keepalive.
pub const TCPS_KEEPDROPS: usize = 15;
/// `tcps_persistdrop`: connections dropped in persist (zero window) state.
pub const TCPS_PERSISTDROP: usize = 59;
/// `tcps_listendrop`: listen queue overflows.
pub const TCPS_LISTENDROP: usize = 62;
/// `tcps_badrst`: RSTs ignored because they were in the window but not at
/// the expected sequence number.
pub const TCPS_BADRST: usize = 63;
/// `tcps_sc_reset`: an RST removed an entry from the syncache.
pub const TCPS_SC_RESET: usize = 71;
/// `tcps_sc_sendcookie`: SYN cookies sent.
pub const TCPS_SC_SENDCOOKIE: usize = 77;
/// `tcps_sc_recvcookie`: SYN cookies received.
pub const TCPS_SC_RECVCOOKIE: usize = 78;

/// Where FreeBSD 14 inserted `tcps_progdrops` ("drops due to no progress").
pub const TCPS_PROGDROPS_SINCE_14: usize = 16;

const FIELD: usize = std::mem::size_of::<u64>();

/// The `struct tcpstat` layout of the running kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// FreeBSD 13 and earlier: no `tcps_progdrops`.
    Before14,
    /// FreeBSD 14 and later: `tcps_progdrops` at index 16.
    Since14,
}

impl Layout {
    /// `__FreeBSD_version` of 14.0-RELEASE's branch point.
    pub const OSRELDATE_14: i64 = 1_400_000;

    /// The layout for a `kern.osreldate` value; an unknown release is taken
    /// for the one this binary is built for (FreeBSD 14).
    pub fn for_osreldate(osreldate: Option<i64>) -> Layout {
        match osreldate {
            Some(v) if v < Self::OSRELDATE_14 => Layout::Before14,
            _ => Layout::Since14,
        }
    }

    /// The index in this layout of `f`; `None` for a field this layout
    /// does not have.
    pub fn index(self, f: Field) -> Option<usize> {
        match (self, f) {
            (Layout::Since14, Field::Each(i)) if i >= TCPS_PROGDROPS_SINCE_14 => Some(i + 1),
            (_, Field::Each(i)) => Some(i),
            (Layout::Since14, Field::Since14(i)) => Some(i),
            (Layout::Before14, Field::Since14(_)) => None,
        }
    }

    /// The bytes a buffer must hold for every field of [`MAPPING`].
    pub fn min_len(self) -> usize {
        MAPPING
            .iter()
            .flat_map(|(_, fields)| fields.iter())
            .filter_map(|&f| self.index(f))
            .max()
            .map_or(0, |i| (i + 1) * FIELD)
    }
}

/// A field of `struct tcpstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// A field of every release, by its FreeBSD 13 index (moved by one from
    /// FreeBSD 14 on when at or after `tcps_progdrops`).
    Each(usize),
    /// A field FreeBSD 14 added, by its index there; older releases lack it.
    Since14(usize),
}

/// Which kernel fields make up each counter the charts use. A counter made
/// of several fields is their sum (Linux counts those circumstances in
/// one); a field the running release lacks is left out of the sum.
///
/// There is no `syn_queue_drops` (Linux `TCPReqQFullDrop`): FreeBSD's
/// nearest field, `tcps_sc_bucketoverflow`, counts syncache entries evicted
/// for new SYNs only while `net.inet.tcp.syncookies` is 0 and counts the
/// times cookies were switched on for an overflow otherwise
/// (`syncache_insert()`, `syncache_pause()` in `tcp_syncache.c`), so it
/// does not mean the same.
pub const MAPPING: &[(Counter, &[Field])] = &[
    (Counter::AttemptFails, &[Field::Each(TCPS_CONNDROPS)]),
    (Counter::EstabResets, &[Field::Each(TCPS_DROPS)]),
    (Counter::ListenOverflows, &[Field::Each(TCPS_LISTENDROP)]),
    (
        Counter::TCPAbortOnTimeout,
        &[
            Field::Each(TCPS_TIMEOUTDROP),
            Field::Each(TCPS_KEEPDROPS),
            Field::Each(TCPS_PERSISTDROP),
            Field::Since14(TCPS_PROGDROPS_SINCE_14),
        ],
    ),
    (Counter::EmbryonicRsts, &[Field::Each(TCPS_SC_RESET)]),
    (Counter::SyncookiesSent, &[Field::Each(TCPS_SC_SENDCOOKIE)]),
    (Counter::SyncookiesRecv, &[Field::Each(TCPS_SC_RECVCOOKIE)]),
    (Counter::BadRsts, &[Field::Each(TCPS_BADRST)]),
];

/// The native-endian `uint64_t` at `index` of `stats`, or `None` when the
/// length the kernel returned does not cover it.
pub fn field(stats: &[u8], index: usize) -> Option<u64> {
    let start = index.checked_mul(FIELD)?;
    let bytes = stats.get(start..start.checked_add(FIELD)?)?;
    Some(u64::from_ne_bytes(bytes.try_into().ok()?))
}

/// Fills the counters of [`MAPPING`] from `stats` (the bytes the kernel
/// returned, no more) laid out as `layout`; counters whose fields are not
/// covered are `None`.
pub fn decode(stats: &[u8], layout: Layout, values: &mut Values) {
    for &(counter, fields) in MAPPING {
        let mut total: Option<u64> = Some(0);
        for i in fields.iter().filter_map(|&f| layout.index(f)) {
            total = match (total, field(stats, i)) {
                (Some(t), Some(v)) => Some(t.wrapping_add(v)),
                _ => None,
            };
        }
        values.set(counter, total);
    }
}

/// The counters a `struct tcpstat` of `len` bytes in `layout` provides.
pub fn present(len: usize, layout: Layout) -> CounterSet {
    let mut s = CounterSet::default();
    for &(counter, fields) in MAPPING {
        let covered = fields
            .iter()
            .filter_map(|&f| layout.index(f))
            .all(|i| (i + 1) * FIELD <= len);
        if covered {
            s.insert(counter);
        }
    }
    s
}

/// A setting's value as `sysctl` returns it: a native-endian `int` (4
/// bytes) before FreeBSD 15, a `bool` (1 byte) where FreeBSD 15 made the
/// SYN-cookie settings `SYSCTL_BOOL`; `None` for any other length.
pub fn setting(bytes: &[u8]) -> Option<i64> {
    match *bytes {
        [b] => Some(i64::from(b)),
        [a, b, c, d] => Some(i64::from(i32::from_ne_bytes([a, b, c, d]))),
        _ => None,
    }
}

/// How a release combines `net.inet.tcp.syncookies` and `syncookies_only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieRule {
    /// FreeBSD 13 and 14 (`int` settings): `syncache_cookiesonly()` is
    /// `V_tcp_syncookies && (paused || V_tcp_syncookiesonly)` and
    /// `syncache_add()` makes a cookie only if `V_tcp_syncookies`, so
    /// `syncookies_only` means nothing while `syncookies` is 0.
    Int,
    /// FreeBSD 15 (`bool` settings, as its source reads): cookies are made
    /// when either is set, and `syncookies_only` alone means cookies only.
    Bool,
}

impl CookieRule {
    /// The rule of the release whose `syncookies_only` value is `len`
    /// bytes long (1: a `bool`, FreeBSD 15).
    pub fn for_width(len: usize) -> CookieRule {
        if len == 1 {
            CookieRule::Bool
        } else {
            CookieRule::Int
        }
    }
}

/// The SYN-cookie setting on Linux's scale from FreeBSD's two sysctls: 2
/// when every SYN gets a cookie (no syncache), 1 when cookies answer a
/// syncache overflow, 0 when no cookie is ever made. `None` when
/// `syncookies` could not be read; a missing `syncookies_only` (older
/// releases) counts as 0.
pub fn syncookie_mode(
    syncookies: Option<i64>,
    syncookies_only: Option<i64>,
    rule: CookieRule,
) -> Option<i64> {
    let on = syncookies? != 0;
    let only = syncookies_only.is_some_and(|v| v != 0);
    Some(match rule {
        CookieRule::Int if on && only => 2,
        CookieRule::Bool if only => 2,
        _ if on => 1,
        _ => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `struct tcpstat` image of `fields` counters where field i holds
    /// 1000 + i, with `overrides` applied.
    fn image(fields: usize, overrides: &[(usize, u64)]) -> Vec<u8> {
        let mut v: Vec<u64> = (0..fields as u64).map(|i| 1000 + i).collect();
        for &(i, x) in overrides {
            v[i] = x;
        }
        v.iter().flat_map(|x| x.to_ne_bytes()).collect()
    }

    #[test]
    fn fields_decode_at_their_freebsd_13_indices() {
        let buf = image(120, &[]);
        let mut v = Values::default();
        decode(&buf, Layout::Before14, &mut v);
        assert_eq!(v.get(Counter::AttemptFails), Some(1004));
        assert_eq!(v.get(Counter::EstabResets), Some(1003));
        assert_eq!(v.get(Counter::ListenOverflows), Some(1062));
        // No tcps_progdrops before FreeBSD 14.
        assert_eq!(v.get(Counter::TCPAbortOnTimeout), Some(1010 + 1015 + 1059));
        assert_eq!(v.get(Counter::EmbryonicRsts), Some(1071));
        assert_eq!(v.get(Counter::SyncookiesSent), Some(1077));
        assert_eq!(v.get(Counter::SyncookiesRecv), Some(1078));
        assert_eq!(v.get(Counter::BadRsts), Some(1063));
        assert_eq!(
            v.get(Counter::OutRsts),
            None,
            "FreeBSD counts no sent resets"
        );
    }

    #[test]
    fn freebsd_14_fields_after_progdrops_move_up_by_one() {
        // Offsets checked against FreeBSD 14's tcp_var.h: persistdrop 60,
        // listendrop 63, badrst 64, sc_reset 72, sc_sendcookie 78,
        // sc_recvcookie 79; fields before tcps_progdrops (16) stay.
        let buf = image(120, &[]);
        let mut v = Values::default();
        decode(&buf, Layout::Since14, &mut v);
        assert_eq!(v.get(Counter::AttemptFails), Some(1004));
        assert_eq!(v.get(Counter::EstabResets), Some(1003));
        // ... and tcps_progdrops (16) joins the timeout drops.
        assert_eq!(
            v.get(Counter::TCPAbortOnTimeout),
            Some(1010 + 1015 + 1060 + 1016)
        );
        assert_eq!(v.get(Counter::ListenOverflows), Some(1063));
        assert_eq!(v.get(Counter::BadRsts), Some(1064));
        assert_eq!(v.get(Counter::EmbryonicRsts), Some(1072));
        assert_eq!(v.get(Counter::SyncookiesSent), Some(1078));
        assert_eq!(v.get(Counter::SyncookiesRecv), Some(1079));
        assert_eq!(Layout::Since14.min_len(), 80 * 8);
        assert_eq!(Layout::Before14.min_len(), 79 * 8);
    }

    #[test]
    fn layout_from_osreldate() {
        assert_eq!(Layout::for_osreldate(Some(1_304_000)), Layout::Before14);
        assert_eq!(Layout::for_osreldate(Some(1_400_097)), Layout::Since14);
        assert_eq!(Layout::for_osreldate(Some(1_500_068)), Layout::Since14);
        assert_eq!(Layout::for_osreldate(None), Layout::Since14);
    }

    #[test]
    fn short_buffer_is_never_read_past() {
        // Ends in the middle of tcps_sc_reset (index 71 before 14).
        let mut buf = image(72, &[]);
        buf.truncate(71 * 8 + 3);
        let mut v = Values::default();
        decode(&buf, Layout::Before14, &mut v);
        assert_eq!(v.get(Counter::BadRsts), Some(1063));
        assert_eq!(v.get(Counter::EmbryonicRsts), None);
        assert_eq!(v.get(Counter::SyncookiesSent), None);
        let p = present(buf.len(), Layout::Before14);
        assert!(p.contains(Counter::ListenOverflows));
        assert!(!p.contains(Counter::EmbryonicRsts));
        assert_eq!(field(&buf, 71), None);
        assert_eq!(field(&buf, usize::MAX), None);
        // The same bytes read as FreeBSD 14 stop one field earlier.
        let p14 = present(buf.len(), Layout::Since14);
        assert!(p14.contains(Counter::BadRsts));
        assert!(!p14.contains(Counter::EmbryonicRsts));
    }

    #[test]
    fn oversized_buffer_from_a_newer_release_is_fine() {
        for layout in [Layout::Before14, Layout::Since14] {
            let buf = image(400, &[(TCPS_DROPS, u64::MAX)]);
            let mut v = Values::default();
            decode(&buf, layout, &mut v);
            assert_eq!(v.get(Counter::EstabResets), Some(u64::MAX));
            assert_eq!(
                present(buf.len(), layout),
                present(layout.min_len(), layout)
            );
        }
    }

    #[test]
    fn empty_buffer_gives_nothing() {
        let mut v = Values::default();
        decode(&[], Layout::Since14, &mut v);
        assert_eq!(v, Values::default());
        assert!(present(0, Layout::Since14).is_empty());
    }

    #[test]
    fn syncookie_settings_matrices() {
        // (syncookies, syncookies_only) -> Linux's scale, per release.
        for (rule, expected) in [
            // 13 and 14: syncookies_only without syncookies makes no cookie.
            (CookieRule::Int, [0, 1, 0, 2]),
            // 15: syncookies_only alone means cookies only.
            (CookieRule::Bool, [0, 1, 2, 2]),
        ] {
            let settings = [(0, 0), (1, 0), (0, 1), (1, 1)];
            for ((on, only), want) in settings.into_iter().zip(expected) {
                assert_eq!(
                    syncookie_mode(Some(on), Some(only), rule),
                    Some(want),
                    "{rule:?}: syncookies={on} syncookies_only={only}"
                );
            }
        }
    }

    #[test]
    fn syncookie_setting_missing_or_unreadable() {
        for rule in [CookieRule::Int, CookieRule::Bool] {
            assert_eq!(syncookie_mode(Some(1), None, rule), Some(1));
            assert_eq!(syncookie_mode(Some(0), None, rule), Some(0));
            assert_eq!(syncookie_mode(None, None, rule), None);
            assert_eq!(syncookie_mode(None, Some(1), rule), None);
        }
    }

    #[test]
    fn settings_are_ints_before_15_and_bools_since() {
        assert_eq!(setting(&1i32.to_ne_bytes()), Some(1));
        assert_eq!(setting(&0i32.to_ne_bytes()), Some(0));
        assert_eq!(setting(&[1]), Some(1));
        assert_eq!(setting(&[0]), Some(0));
        assert_eq!(setting(&[]), None);
        assert_eq!(setting(&[0, 0]), None);
        assert_eq!(setting(&1i64.to_ne_bytes()), None);
        assert_eq!(CookieRule::for_width(1), CookieRule::Bool);
        assert_eq!(CookieRule::for_width(4), CookieRule::Int);
    }
}
