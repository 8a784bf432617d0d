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

    /// The index in this layout of a field given by its FreeBSD 13 index.
    pub fn index(self, before14: usize) -> usize {
        match self {
            Layout::Since14 if before14 >= TCPS_PROGDROPS_SINCE_14 => before14 + 1,
            _ => before14,
        }
    }

    /// The bytes a buffer must hold for every field of [`MAPPING`].
    pub fn min_len(self) -> usize {
        (self.index(TCPS_SC_RECVCOOKIE) + 1) * FIELD
    }
}

/// Which kernel fields (by FreeBSD 13 index; see [`Layout::index`]) make up
/// each counter the charts use. A counter made of several fields is their
/// sum (Linux counts those circumstances in one).
pub const MAPPING: &[(Counter, &[usize])] = &[
    (Counter::AttemptFails, &[TCPS_CONNDROPS]),
    (Counter::EstabResets, &[TCPS_DROPS]),
    (Counter::ListenOverflows, &[TCPS_LISTENDROP]),
    (
        Counter::TCPAbortOnTimeout,
        &[TCPS_TIMEOUTDROP, TCPS_KEEPDROPS, TCPS_PERSISTDROP],
    ),
    (Counter::EmbryonicRsts, &[TCPS_SC_RESET]),
    (Counter::SyncookiesSent, &[TCPS_SC_SENDCOOKIE]),
    (Counter::SyncookiesRecv, &[TCPS_SC_RECVCOOKIE]),
    (Counter::BadRsts, &[TCPS_BADRST]),
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
        for &f in fields {
            total = match (total, field(stats, layout.index(f))) {
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
        if fields.iter().all(|&f| (layout.index(f) + 1) * FIELD <= len) {
            s.insert(counter);
        }
    }
    s
}

/// The SYN-cookie setting on Linux's scale from FreeBSD's two sysctls:
/// 2 when `net.inet.tcp.syncookies_only` is 1 (cookies always), else 1 when
/// `net.inet.tcp.syncookies` is 1 (cookies when the syncache overflows),
/// else 0. `None` when `syncookies` could not be read. A missing
/// `syncookies_only` (older releases) counts as not set.
pub fn syncookie_mode(syncookies: Option<i64>, syncookies_only: Option<i64>) -> Option<i64> {
    match (syncookies_only, syncookies) {
        (Some(1), _) => Some(2),
        (_, Some(1)) => Some(1),
        (_, Some(_)) => Some(0),
        (_, None) => None,
    }
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
        assert_eq!(v.get(Counter::TCPAbortOnTimeout), Some(1010 + 1015 + 1060));
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
    fn syncookie_mode_on_linux_scale() {
        assert_eq!(syncookie_mode(Some(1), Some(1)), Some(2));
        assert_eq!(syncookie_mode(Some(0), Some(1)), Some(2));
        assert_eq!(syncookie_mode(Some(1), Some(0)), Some(1));
        assert_eq!(syncookie_mode(Some(0), Some(0)), Some(0));
        assert_eq!(syncookie_mode(Some(1), None), Some(1));
        assert_eq!(syncookie_mode(Some(0), None), Some(0));
        assert_eq!(syncookie_mode(None, None), None);
        assert_eq!(syncookie_mode(None, Some(0)), None);
    }
}
