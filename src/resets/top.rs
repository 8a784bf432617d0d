//! A fixed-capacity table of the heaviest reset sources: Space-Saving
//! (Metwally, Agrawal, El Abbadi, 2005) over a sliding ten-minute window.
//!
//! # Keys
//!
//! A row is keyed by [`Key`]: direction, both addresses, reason, state and
//! the one port that names the service. The other port is "any" (`None`),
//! by [`PortRule`]: a port of this host that lies in
//! `net.ipv4.ip_local_port_range` (default 32768–60999, 6.12
//! `net/ipv4/af_inet.c:1806`) while the peer's does not is one the kernel
//! picked for an outgoing connection (`__inet_hash_connect()`,
//! `net/ipv4/inet_hashtables.c:1027`): then this host was the client, its
//! port is noise and the peer's names the service. In every other case the
//! local port names the service (a listener, or the closed port a peer
//! tried) and the peer's port — its own ephemeral one — is noise. So a
//! scan of one closed port is one row per scanner, and resets from one
//! remote service to many local connections are one row.
//!
//! # Windows
//!
//! Each row counts in two rings of buckets on wall-clock time (seconds
//! given by the caller): six 10-second buckets ("last minute": the current
//! bucket and the five before it, so 50 to 60 s) and ten 1-minute buckets
//! ("last 10 minutes": 9 to 10 min). The rings are cleared as time passes
//! by [`Top::advance`], once per 10 s, for every row: O(capacity) per 10 s.
//!
//! # Space-Saving
//!
//! While there are free rows a new key takes one. When the table is full,
//! a new key replaces the row with the smallest 10-minute count `m` and
//! starts at `m + 1`, `m` being its over-estimate (`error`): any key not in
//! the table has had at most `m` resets in the window, so a key's true
//! count lies in `[count - error, count]`, and every key with more than
//! `total / capacity` resets in the window is in the table. The inherited
//! `m` is put in the current buckets, so it leaves the windows with them:
//! a window's error is 0 once the row's admission has left it. The
//! smallest row is found with a binary min-heap on the 10-minute count
//! (O(log capacity) per event; rebuilt in O(capacity) every 10 s), keys
//! with an open-addressing index hashed with a per-process random key
//! (SipHash, `std::hash::RandomState`), so that remote addresses cannot be
//! chosen to collide. Everything is allocated by [`Top::new`]; recording
//! allocates nothing.

use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{Direction, Event};

/// The default capacity: 1024 rows (196 KiB with the index and the heap). With it, a key that
/// causes more than 1/1024 of the last ten minutes' resets is always in the
/// table with its count; a host with more distinct sources than that in ten
/// minutes is being scanned, and the scanners that matter stand above the
/// rest.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Seconds per bucket of the minute ring.
pub const TICK: u64 = 10;
const TICKS: usize = 6;
const MINUTES: usize = 10;

/// Which port of a connection names the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRule {
    /// `net.ipv4.ip_local_port_range`: the ports this host picks for
    /// outgoing connections.
    pub low: u16,
    pub high: u16,
}

impl Default for PortRule {
    /// The kernel's default range, 32768–60999.
    fn default() -> Self {
        PortRule {
            low: 32768,
            high: 60999,
        }
    }
}

impl PortRule {
    /// Parses `/proc/sys/net/ipv4/ip_local_port_range` ("32768\t60999\n").
    pub fn parse(text: &[u8]) -> Option<PortRule> {
        let text = std::str::from_utf8(text).ok()?;
        let mut w = text.split_ascii_whitespace().map(str::parse::<u16>);
        let (low, high) = (w.next()?.ok()?, w.next()?.ok()?);
        (w.next().is_none() && low <= high).then_some(PortRule { low, high })
    }

    fn ephemeral(&self, p: u16) -> bool {
        (self.low..=self.high).contains(&p)
    }

    /// (local port, remote port) of a row: exactly one is kept.
    pub fn apply(&self, local: u16, remote: u16) -> (Option<u16>, Option<u16>) {
        if self.ephemeral(local) && !self.ephemeral(remote) {
            (None, Some(remote))
        } else {
            (Some(local), None)
        }
    }
}

/// What a row counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub direction: Direction,
    /// The peer's address (`0.0.0.0` when the kernel recorded none).
    pub remote: IpAddr,
    /// `None`: any port (see [`PortRule`]).
    pub remote_port: Option<u16>,
    pub local: IpAddr,
    pub local_port: Option<u16>,
    /// `enum sk_rst_reason` value (6.10+ sent resets).
    pub reason: Option<u32>,
    /// `TCP_*`, 0 when unknown.
    pub state: i32,
}

/// One row as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub key: Key,
    /// Resets in the last minute (50–60 s), over-estimate included.
    pub minute: u64,
    /// How much of `minute` may be other keys' (Space-Saving error).
    pub minute_error: u64,
    /// Resets in the last ten minutes (9–10 min), over-estimate included.
    pub ten_minutes: u64,
    pub ten_minutes_error: u64,
    /// When the row took this key (wall-clock seconds): its first reset
    /// since, or ever if it was never evicted.
    pub first_seen: u64,
    /// Its last reset.
    pub last_seen: u64,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    key: Key,
    hash: u64,
    ticks: [u32; TICKS],
    minutes: [u32; MINUTES],
    minute: u64,
    ten: u64,
    first_seen: u64,
    last_seen: u64,
    error: u64,
    /// The 10-second tick of its admission.
    admitted: u64,
    heap_at: u32,
}

const EMPTY: u32 = u32::MAX;

const NO_KEY: Key = Key {
    direction: Direction::Sent,
    remote: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    remote_port: None,
    local: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    local_port: None,
    reason: None,
    state: 0,
};

/// The table.
#[derive(Debug)]
pub struct Top {
    slots: Vec<Slot>,
    used: usize,
    /// Open-addressing index: row numbers, `EMPTY` where free.
    index: Vec<u32>,
    /// Min-heap of row numbers by 10-minute count.
    heap: Vec<u32>,
    hasher: RandomState,
    rule: PortRule,
    /// The current 10-second tick (`now / TICK`).
    tick: u64,
    evictions: u64,
}

impl Top {
    /// A table of `capacity` rows (at least 1, at most 2^30), all memory
    /// allocated now.
    pub fn new(capacity: usize, rule: PortRule) -> Top {
        let capacity = capacity.clamp(1, 1 << 30);
        let blank = Slot {
            key: NO_KEY,
            hash: 0,
            ticks: [0; TICKS],
            minutes: [0; MINUTES],
            minute: 0,
            ten: 0,
            first_seen: 0,
            last_seen: 0,
            error: 0,
            admitted: 0,
            heap_at: 0,
        };
        Top {
            slots: vec![blank; capacity],
            used: 0,
            index: vec![EMPTY; (capacity * 2).next_power_of_two()],
            heap: Vec::with_capacity(capacity),
            hasher: RandomState::new(),
            rule,
            tick: 0,
            evictions: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Rows in use.
    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Keys replaced so far (Space-Saving evictions).
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// The bytes this table holds (its three arrays).
    pub fn memory(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.index.capacity() * 4
            + self.heap.capacity() * 4
    }

    /// The row key of an event, ports chosen by the [`PortRule`].
    pub fn key_of(&self, e: &Event) -> Key {
        let unknown = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        let (l, r) = (e.local.unwrap_or(unknown), e.remote.unwrap_or(unknown));
        let (local_port, remote_port) = if e.local.is_some() {
            self.rule.apply(l.port(), r.port())
        } else {
            (None, None)
        };
        Key {
            direction: e.direction,
            remote: r.ip(),
            remote_port,
            local: l.ip(),
            local_port,
            reason: e.reason.map(|r| r.value),
            state: e.state,
        }
    }

    /// Counts one event at wall-clock second `now`.
    pub fn record(&mut self, e: &Event, now: u64) {
        let k = self.key_of(e);
        self.add(k, now);
    }

    /// Counts one reset of `key` at wall-clock second `now`.
    pub fn add(&mut self, key: Key, now: u64) {
        self.advance(now);
        let hash = self.hasher.hash_one(key);
        let row = match self.find(&key, hash) {
            Some(r) => r,
            None => self.admit(key, hash, now),
        };
        let tick = self.tick;
        let s = &mut self.slots[row];
        s.ticks[(tick % TICKS as u64) as usize] += 1;
        s.minutes[(tick / 6 % MINUTES as u64) as usize] += 1;
        s.minute += 1;
        s.ten += 1;
        s.last_seen = s.last_seen.max(now);
        let at = s.heap_at as usize;
        self.sift_down(at);
    }

    /// Moves the windows to wall-clock second `now` (a clock that went
    /// back is ignored). Call before reading the rows.
    pub fn advance(&mut self, now: u64) {
        let tick = now / TICK;
        if tick <= self.tick {
            return;
        }
        let (old, steps) = (
            self.tick,
            (tick - self.tick).min(TICKS as u64 * MINUTES as u64),
        );
        for s in &mut self.slots[..self.used] {
            for t in old + 1..=old + steps {
                let i = (t % TICKS as u64) as usize;
                s.minute -= u64::from(s.ticks[i]);
                s.ticks[i] = 0;
                if t % 6 == 0 {
                    let m = (t / 6 % MINUTES as u64) as usize;
                    s.ten -= u64::from(s.minutes[m]);
                    s.minutes[m] = 0;
                }
            }
        }
        // Ten minutes of steps clear every bucket of both rings.
        self.tick = tick;
        for i in (0..self.used / 2).rev() {
            self.sift_down(i);
        }
    }

    /// The rows in use, unordered.
    pub fn rows(&self) -> impl Iterator<Item = Row> + '_ {
        self.slots[..self.used].iter().map(|s| {
            // The inherited count sits in the admission's buckets: it
            // counts while they are in the window.
            let in_minute = self.tick < s.admitted + TICKS as u64;
            let in_ten = self.tick / 6 < s.admitted / 6 + MINUTES as u64;
            Row {
                key: s.key,
                minute: s.minute,
                minute_error: if in_minute { s.error.min(s.minute) } else { 0 },
                ten_minutes: s.ten,
                ten_minutes_error: if in_ten { s.error.min(s.ten) } else { 0 },
                first_seen: s.first_seen,
                last_seen: s.last_seen,
            }
        })
    }

    /// The `n` rows with the most resets in the last ten minutes, most
    /// first (allocates: on demand only).
    pub fn top(&self, n: usize) -> Vec<Row> {
        let mut v: Vec<Row> = self.rows().filter(|r| r.ten_minutes > 0).collect();
        v.sort_unstable_by(|a, b| {
            b.ten_minutes
                .cmp(&a.ten_minutes)
                .then(b.last_seen.cmp(&a.last_seen))
        });
        v.truncate(n);
        v
    }
}

mod slots;

#[cfg(test)]
mod tests;
