//! Decoding FreeBSD's `struct tcpstat` (`sysctl net.inet.tcp.stats`).
//!
//! The struct is an array of native-endian `uint64_t` counters. Fields are
//! read by their index in `sys/netinet/tcp_var.h`, and only when the length
//! the kernel returned covers them. Releases mostly append fields, with one
//! exception that matters here: FreeBSD 14 inserted `tcps_progdrops` right
//! after `tcps_keepdrops` (index 16), which moves every later field up by
//! one. The indices of [`FIELDS`] are those of FreeBSD 13 and earlier;
//! [`Layout`] applies the shift for 14 and later, chosen at start-up from
//! `kern.osreldate`. Which fields make which counter is said once, by the
//! counter table ([`Counter::freebsd`]). This module is
//! platform-independent so that Linux tests can feed it byte buffers.

use crate::bytes::CFact;
use crate::counters::{Counter, CounterSet, Values, COUNTERS};

/// Where a field of `struct tcpstat` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Index {
    /// A field of every release, by its FreeBSD 13 index (moved by one from
    /// FreeBSD 14 on when at or after `tcps_progdrops`).
    Each(usize),
    /// A field FreeBSD 14 added, by its index there; older releases lack it.
    Since14(usize),
}

/// The fields of `struct tcpstat` the counters are made of
/// ([`Counter::freebsd`] names them), by index in `sys/netinet/tcp_var.h`.
pub const FIELDS: &[(&str, Index)] = &[
    // Connections dropped.
    ("tcps_drops", Index::Each(3)),
    // Embryonic connections dropped.
    ("tcps_conndrops", Index::Each(4)),
    // Connections dropped in retransmit timeout.
    ("tcps_timeoutdrop", Index::Each(10)),
    // Connections dropped in keepalive.
    ("tcps_keepdrops", Index::Each(15)),
    // Connections dropped for no progress (FreeBSD 14 inserted it here).
    ("tcps_progdrops", Index::Since14(PROGDROPS_SINCE_14)),
    // Connections dropped in persist (zero window) state.
    ("tcps_persistdrop", Index::Each(59)),
    // Listen queue overflows.
    ("tcps_listendrop", Index::Each(62)),
    // RSTs ignored because they were in the window but not at the
    // expected sequence number.
    ("tcps_badrst", Index::Each(63)),
    // An RST removed an entry from the syncache.
    ("tcps_sc_reset", Index::Each(71)),
    // SYN cookies sent.
    ("tcps_sc_sendcookie", Index::Each(77)),
    // SYN cookies received.
    ("tcps_sc_recvcookie", Index::Each(78)),
];

/// Where FreeBSD 14 inserted `tcps_progdrops` ("drops due to no progress").
pub const PROGDROPS_SINCE_14: usize = 16;

const FIELD: usize = std::mem::size_of::<u64>();

/// The most fields one counter adds up.
const MAX_FIELDS: usize = 4;

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
    pub fn index(self, f: Index) -> Option<usize> {
        match (self, f) {
            (Layout::Since14, Index::Each(i)) if i >= PROGDROPS_SINCE_14 => Some(i + 1),
            (_, Index::Each(i)) => Some(i),
            (Layout::Since14, Index::Since14(i)) => Some(i),
            (Layout::Before14, Index::Since14(_)) => None,
        }
    }
}

/// The index of field `name` of [`FIELDS`].
pub fn field_index(name: &str) -> Option<Index> {
    FIELDS.iter().find(|(n, _)| *n == name).map(|&(_, i)| i)
}

/// The facts checked against FreeBSD's `netinet/tcp_var.h`: each field of
/// [`FIELDS`] is a `uint64_t` at its index of the 14+ layout (the headers
/// Zig ships are FreeBSD 15's).
pub fn c_facts() -> Vec<CFact> {
    FIELDS
        .iter()
        .filter_map(|&(name, i)| {
            Some(CFact::Member {
                strukt: "struct tcpstat",
                member: name,
                offset: Layout::Since14.index(i)? * FIELD,
                size: FIELD,
                c_type: Some("uint64_t"),
            })
        })
        .collect()
}

/// Each counter's fields resolved to their indices in one layout, at
/// start-up: a counter made of several fields is their sum (Linux counts
/// those circumstances in one); a field the running release lacks is left
/// out of the sum.
///
/// There is no `syn_queue_drops` (Linux `TCPReqQFullDrop`): FreeBSD's
/// nearest field, `tcps_sc_bucketoverflow`, counts syncache entries evicted
/// for new SYNs only while `net.inet.tcp.syncookies` is 0 and counts the
/// times cookies were switched on for an overflow otherwise
/// (`syncache_insert()`, `syncache_pause()` in `tcp_syncache.c`), so it
/// does not mean the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// Per counter slot: the indices of its fields, `None` past the end.
    fields: [[Option<usize>; MAX_FIELDS]; COUNTERS],
    /// The counters FreeBSD has.
    mapped: CounterSet,
}

impl Mapping {
    /// The mapping of every counter's [`Counter::freebsd`] fields in
    /// `layout`. Panics on a field name [`FIELDS`] does not have, which a
    /// unit test rules out.
    pub fn new(layout: Layout) -> Mapping {
        let mut m = Mapping {
            fields: [[None; MAX_FIELDS]; COUNTERS],
            mapped: CounterSet::default(),
        };
        for (slot, c) in Counter::ALL.into_iter().enumerate() {
            assert!(c.freebsd().len() <= MAX_FIELDS, "{}", c.name());
            for (i, name) in c.freebsd().iter().enumerate() {
                let index = field_index(name).unwrap_or_else(|| panic!("no field {name}"));
                m.fields[slot][i] = layout.index(index);
            }
            if !c.freebsd().is_empty() {
                m.mapped.insert(c);
            }
        }
        m
    }

    /// The indices of `c`'s fields in this layout.
    pub fn of(&self, c: Counter) -> impl Iterator<Item = usize> + '_ {
        self.fields[c as usize].iter().flatten().copied()
    }

    /// The bytes a buffer must hold for every mapped field.
    pub fn min_len(&self) -> usize {
        self.fields
            .iter()
            .flatten()
            .flatten()
            .max()
            .map_or(0, |i| (i + 1) * FIELD)
    }
}

/// The native-endian `uint64_t` at `index` of `stats`, or `None` when the
/// length the kernel returned does not cover it.
pub fn field(stats: &[u8], index: usize) -> Option<u64> {
    let start = index.checked_mul(FIELD)?;
    let bytes = stats.get(start..start.checked_add(FIELD)?)?;
    Some(u64::from_ne_bytes(bytes.try_into().ok()?))
}

/// Fills the mapped counters from `stats` (the bytes the kernel returned,
/// no more); counters whose fields are not covered are `None`.
pub fn decode(stats: &[u8], mapping: &Mapping, values: &mut Values) {
    for c in mapping.mapped.iter() {
        let mut total: Option<u64> = Some(0);
        for i in mapping.of(c) {
            total = match (total, field(stats, i)) {
                (Some(t), Some(v)) => Some(t.wrapping_add(v)),
                _ => None,
            };
        }
        values.set(c, total);
    }
}

/// The counters a `struct tcpstat` of `len` bytes provides.
pub fn present(len: usize, mapping: &Mapping) -> CounterSet {
    let mut s = CounterSet::default();
    for c in mapping.mapped.iter() {
        if mapping.of(c).all(|i| (i + 1) * FIELD <= len) {
            s.insert(c);
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
mod tests;
