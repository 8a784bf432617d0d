//! What the kernel's numbers prove about each listener between two calls.
//!
//! The kernel keeps no overflow counter per listening socket. A listener's
//! drop counter (`sk_drops`) is not one: `tcp_listendrop()` adds to it on
//! every accept-queue overflow (and on other refused SYNs), but
//! `sk_drops_add()` adds to it too, at `discard_and_relse` in
//! `tcp_v4_rcv()`, for every segment of a pending handshake that
//! `tcp_check_req()` rejects: the bare ACK a `TCP_DEFER_ACCEPT` listener
//! discards (one per connection it serves), a reset that ends a handshake,
//! an ACK out of window, and what socket filters, xfrm or TCP-MD5 drop.
//!
//! Two things do prove an overflow:
//!
//! - the accept queue is over its limit now (`sk_acceptq_is_full()`:
//!   `sk_ack_backlog > sk_max_ack_backlog`): every SYN and every final ACK
//!   that reaches the listener is dropped until it accepts;
//! - the host's `ListenOverflows`, read before and after each dump. Every
//!   overflow adds at least one to the one listener's `sk_drops`
//!   (`tcp_conn_request()` and `tcp_v4_syn_recv_sock()` end in
//!   `tcp_listendrop()`), so a listener had at most as many overflows as
//!   drops, and at least as many as the host counted minus every other
//!   listener's drops ([`Bounds`]).
//!
//! When several listeners had drops while the host counted overflows, the
//! kernel does not say which overflowed: the bounds say what is possible,
//! and only a queue that is full at the call names a listener for sure.
//! Pure: numbers in, judgements out.

use std::collections::HashMap;

use super::table::{ListenerFacts, Row};

/// The host's counters (the plugin's network namespace) read just before
/// and just after one dump of the listeners.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostCounters {
    pub before: Netstat,
    pub after: Netstat,
    /// The SYN-cookie setting on Linux's scale (0 off, 1 on overflow, 2
    /// always), read with the dump.
    pub syncookies: Option<i64>,
}

/// The `TcpExt:` counters that explain a listener's drops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Netstat {
    /// `ListenOverflows`: SYNs and final ACKs dropped for a full accept
    /// queue.
    pub listen_overflows: Option<u64>,
    /// `TCPDeferAcceptDrop`: bare ACKs a `TCP_DEFER_ACCEPT` listener
    /// discarded (each also a socket drop).
    pub defer_accept_drops: Option<u64>,
    /// `EmbryonicRsts`: pending handshakes ended by a reset or a SYN (each
    /// also a socket drop).
    pub embryonic_rsts: Option<u64>,
}

/// How many of a listener's drops since the previous call were
/// accept-queue overflows: no fewer than `min`, no more than `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub min: u64,
    pub max: u64,
}

/// What a listener's row says, worst first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// The accept queue is full now: connections are refused.
    Refusing,
    /// Overflows since the previous call are proven (`Bounds::min` ≥ 1).
    Overflowed,
    /// The SYN queue is full and SYN cookies are off: SYNs are dropped.
    SynQueueDropping,
    /// The SYN queue is full and answered with SYN cookies.
    SynQueueCookies,
    /// Some drops since the previous call may have been overflows.
    OverflowPossible,
    /// Drops since the previous call, while the host counted no overflow.
    DropsNoOverflow,
    Ok,
}

impl Status {
    /// The cell of the Status column.
    pub fn text(self) -> &'static str {
        match self {
            Status::Refusing => "refusing",
            Status::Overflowed => "overflowed",
            Status::SynQueueDropping => "SYN queue full, dropping",
            Status::SynQueueCookies => "SYN queue full, cookies",
            Status::OverflowPossible => "overflow possible",
            Status::DropsNoOverflow => "drops, no overflow",
            Status::Ok => "ok",
        }
    }

    /// The row's severity, as netdata's tables colour rows.
    pub fn severity(self) -> &'static str {
        match self {
            Status::Refusing => "critical",
            Status::Overflowed | Status::SynQueueDropping => "warning",
            Status::SynQueueCookies | Status::OverflowPossible => "notice",
            Status::DropsNoOverflow | Status::Ok => "normal",
        }
    }

    /// Every status, worst first.
    pub const ALL: [Status; 7] = [
        Status::Refusing,
        Status::Overflowed,
        Status::SynQueueDropping,
        Status::SynQueueCookies,
        Status::OverflowPossible,
        Status::DropsNoOverflow,
        Status::Ok,
    ];
}

/// What is known of one listener at one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub status: Status,
    /// Its drops since the previous call; `None` on the first call, or
    /// where the kernel counts none per socket.
    pub new_drops: Option<u64>,
    /// Its overflows since the previous call; `None` where not known.
    pub overflows: Option<Bounds>,
}

/// What the next call compares with: every listener's drops and the
/// host's counters of this call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    drops: HashMap<u64, u64>,
    host: HostCounters,
}

/// `after - before` of two readings of a counter.
fn delta(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    Some(after?.saturating_sub(before?))
}

/// The host's counts since the previous call (from its reading before the
/// previous dump to the reading after this one).
pub fn host_deltas(previous: &HostCounters, now: &HostCounters) -> Netstat {
    Netstat {
        listen_overflows: delta(previous.before.listen_overflows, now.after.listen_overflows),
        defer_accept_drops: delta(
            previous.before.defer_accept_drops,
            now.after.defer_accept_drops,
        ),
        embryonic_rsts: delta(previous.before.embryonic_rsts, now.after.embryonic_rsts),
    }
}

/// Judges every row (all of them, before any is left out): whether its
/// queues are full now and, against `previous`, its drops and overflows
/// since then. Returns the judgements, in `rows` order, and the baseline
/// for the next call.
pub fn judge(
    rows: &[Row],
    host: &HostCounters,
    previous: Option<&Baseline>,
    facts: &ListenerFacts,
) -> (Vec<Judgement>, Baseline) {
    let drops: HashMap<u64, u64> = rows
        .iter()
        .filter_map(|r| Some((r.key, r.drops?)))
        .collect();
    // Drops since the previous call; a socket new since then: all of them.
    // The kernel's counter (sk_drops) is 32 bits and wraps.
    let new_drops: Vec<Option<u64>> = rows
        .iter()
        .map(|r| {
            let before = previous?;
            let d = r.drops?;
            let b = before.drops.get(&r.key).copied().unwrap_or(0);
            Some(u64::from((d as u32).wrapping_sub(b as u32)))
        })
        .collect();
    // The windows of the host's counter: the outer one holds every
    // socket's window, the inner one lies within each.
    let outer =
        previous.and_then(|p| delta(p.host.before.listen_overflows, host.after.listen_overflows));
    let inner =
        previous.and_then(|p| delta(p.host.after.listen_overflows, host.before.listen_overflows));
    // A listener gone since the previous call took drops nobody sees now:
    // no lower bound can be proven.
    let vanished = previous.is_some_and(|p| p.drops.keys().any(|k| !drops.contains_key(k)));
    let total: u64 = new_drops.iter().flatten().sum();
    let judgements = rows
        .iter()
        .zip(&new_drops)
        .map(|(r, &new)| {
            let overflows = match (new, outer, inner) {
                (Some(d), Some(outer), Some(inner)) => Some(Bounds {
                    min: if vanished {
                        0
                    } else {
                        inner.saturating_sub(total - d)
                    },
                    max: d.min(outer),
                }),
                _ => None,
            };
            let full = u64::from(r.queue) >= (facts.capacity)(r.limit);
            let syn_full = facts.syn_queue_limited
                && r.half_open
                    .is_some_and(|h| u64::from(h) >= (facts.capacity)(r.limit));
            let status = if full {
                Status::Refusing
            } else if overflows.is_some_and(|b| b.min > 0) {
                Status::Overflowed
            } else if syn_full && host.syncookies == Some(0) {
                Status::SynQueueDropping
            } else if syn_full {
                Status::SynQueueCookies
            } else if overflows.is_some_and(|b| b.max > 0) {
                Status::OverflowPossible
            } else if new.is_some_and(|d| d > 0) && outer == Some(0) {
                Status::DropsNoOverflow
            } else {
                Status::Ok
            };
            Judgement {
                status,
                new_drops: new,
                overflows,
            }
        })
        .collect();
    (judgements, Baseline { drops, host: *host })
}

impl Baseline {
    /// The host's counters at the call this baseline was taken.
    pub fn host(&self) -> &HostCounters {
        &self.host
    }
}

#[cfg(test)]
mod tests;
