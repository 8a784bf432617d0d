//! The kernel counters the charts are made of, and one sample's values.
//!
//! Each counter is named as Linux names it (`/proc/net/snmp`,
//! `/proc/net/netstat`); FreeBSD's `struct tcpstat` fields are mapped onto
//! these names where their meaning matches. Everything about a counter is
//! declared once, in the table below; the Linux columns, the FreeBSD
//! mapping and the charts' dimensions are derived from it. What a counter
//! counts is said with the kernel function that counts it (Linux 6.1,
//! `net/ipv4/`; FreeBSD `sys/netinet/`).

/// Where Linux keeps a counter: the `Tcp:` rows of `/proc/net/snmp` or the
/// `TcpExt:` rows of `/proc/net/netstat`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Tcp,
    TcpExt,
}

/// Declares the counters once: the [`Counter`] enum, [`COUNTERS`],
/// [`Counter::ALL`], each counter's kernel name, its Linux section and the
/// FreeBSD `struct tcpstat` fields whose sum it is.
macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident = $kname:literal,
        linux: $linux:expr, freebsd: [$($field:literal),*]; )*) => {
        /// A kernel counter.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Counter {
            $( $(#[$doc])* $name, )*
        }

        /// How many [`Counter`]s there are.
        pub const COUNTERS: usize = [$(Counter::$name),*].len();

        impl Counter {
            /// Every counter, in slot order.
            pub const ALL: [Counter; COUNTERS] = [$(Counter::$name),*];

            /// The kernel's name of the counter: its Linux column name
            /// (FreeBSD's field name for a counter Linux does not have).
            pub const fn name(self) -> &'static str {
                match self {
                    $( Counter::$name => $kname, )*
                }
            }

            /// The Linux section that has the counter, under
            /// [`name`](Counter::name); `None` when Linux has none.
            pub const fn linux(self) -> Option<Section> {
                match self {
                    $( Counter::$name => $linux, )*
                }
            }

            /// The FreeBSD `struct tcpstat` fields whose sum the counter
            /// is; empty when FreeBSD has none.
            pub const fn freebsd(self) -> &'static [&'static str] {
                match self {
                    $( Counter::$name => &[$($field),*], )*
                }
            }
        }
    };
}

counters! {
    /// `Tcp: AttemptFails`: connection attempts that failed. `tcp_done()`
    /// counts a full socket closed in SYN-SENT or SYN-RECV (outgoing
    /// connects, Fast Open connections): an outgoing connect refused by a
    /// reset, ended by an ICMP error (`tcp_v4_err()`: host or
    /// port unreachable, a firewall's REJECT) or timed out;
    /// `tcp_check_req()` counts an incoming request in SYN-RECV ended by a
    /// reset or a SYN. FreeBSD: `tcps_conndrops`, outgoing connects dropped
    /// before SYN-RECEIVED (`tcp_drop()`).
    AttemptFails = "AttemptFails", linux: Some(Section::Tcp), freebsd: ["tcps_conndrops"];
    /// `Tcp: EstabResets`: connections that went from ESTABLISHED or
    /// CLOSE-WAIT to CLOSED, for any reason (`tcp_set_state()`): a reset
    /// received or sent, a local abort, a timeout. FreeBSD: `tcps_drops`
    /// (`tcp_drop()`: also timeouts and local aborts, and resets accepted in
    /// SYN-RECEIVED, FIN-WAIT, CLOSING and LAST-ACK).
    EstabResets = "EstabResets", linux: Some(Section::Tcp), freebsd: ["tcps_drops"];
    /// `Tcp: OutRsts`: resets the TCP stack tried to send, counted before
    /// sending (`tcp_v4_send_reset()`, `tcp_v6_send_reset()`,
    /// `tcp_send_active_reset()`); netfilter's `REJECT --reject-with
    /// tcp-reset` is not counted.
    OutRsts = "OutRsts", linux: Some(Section::Tcp), freebsd: [];
    /// `TcpExt: ListenOverflows`: SYNs (`tcp_conn_request()`) and final
    /// ACKs (`tcp_v4_syn_recv_sock()`) dropped because a listener's accept
    /// queue was full. FreeBSD: `tcps_listendrop` (`syncache_socket()`: the
    /// socket of a completed handshake could not be created).
    ListenOverflows = "ListenOverflows", linux: Some(Section::TcpExt), freebsd: ["tcps_listendrop"];
    /// `TcpExt: TCPReqQFullDrop`: SYNs dropped because a listener's SYN
    /// queue was full while `tcp_syncookies` was 0 (`tcp_syn_flood_action()`).
    /// Counted before the accept-queue check in `tcp_conn_request()`, so
    /// with cookies on a SYN that also meets a full accept queue is still
    /// dropped (`ListenOverflows`).
    TCPReqQFullDrop = "TCPReqQFullDrop", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: TCPAbortOnData`: a reset sent by `close()` with `SO_LINGER`
    /// set to 0 (`__tcp_close()`), or for data or a FIN arriving after the
    /// application closed its side (`tcp_rcv_state_process()`).
    TCPAbortOnData = "TCPAbortOnData", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: TCPAbortOnClose`: a reset sent by `close()` while received
    /// data was still unread (`__tcp_close()`).
    TCPAbortOnClose = "TCPAbortOnClose", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: TCPAbortOnMemory`: orphaned connections killed for lack of
    /// memory or for too many orphans (`tcp_out_of_resources()`,
    /// `__tcp_close()` through `tcp_check_oom()`), with a reset when one can
    /// be sent.
    TCPAbortOnMemory = "TCPAbortOnMemory", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: TCPAbortOnTimeout`: connections given up after too many
    /// retransmissions, zero-window probes or keepalive probes
    /// (`tcp_write_err()`); only the keepalive timeout sends a reset.
    TCPAbortOnTimeout = "TCPAbortOnTimeout", linux: Some(Section::TcpExt), freebsd: ["tcps_timeoutdrop", "tcps_keepdrops", "tcps_persistdrop", "tcps_progdrops"];
    /// `TcpExt: TCPAbortOnLinger`: a reset sent by `close()` in FIN-WAIT-2
    /// when `TCP_LINGER2` is negative (`__tcp_close()`); a FIN-WAIT-2 timer
    /// that runs out counts nothing.
    TCPAbortOnLinger = "TCPAbortOnLinger", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: EmbryonicRsts`: incoming requests in SYN-RECV ended by a
    /// reset or an in-window SYN (`tcp_check_req()`). FreeBSD:
    /// `tcps_sc_reset` (`syncache_chkrst()`).
    EmbryonicRsts = "EmbryonicRsts", linux: Some(Section::TcpExt), freebsd: ["tcps_sc_reset"];
    /// `TcpExt: SyncookiesSent`: SYN-ACKs sent with a cookie
    /// (`cookie_init_sequence()`). FreeBSD: `tcps_sc_sendcookie`, which with
    /// `net.inet.tcp.syncookies=1` counts nearly every SYN-ACK.
    SyncookiesSent = "SyncookiesSent", linux: Some(Section::TcpExt), freebsd: ["tcps_sc_sendcookie"];
    /// `TcpExt: SyncookiesRecv`: ACKs that completed a handshake with a
    /// valid cookie (`cookie_v4_check()`). FreeBSD: `tcps_sc_recvcookie`.
    SyncookiesRecv = "SyncookiesRecv", linux: Some(Section::TcpExt), freebsd: ["tcps_sc_recvcookie"];
    /// `TcpExt: SyncookiesFailed`: ACKs to a recently overflowed listener
    /// whose cookie did not validate (`cookie_v4_check()`).
    SyncookiesFailed = "SyncookiesFailed", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: TCPChallengeACK`: RFC 5961 challenge ACKs sent, after the
    /// per-socket and per-namespace rate limits (`tcp_send_challenge_ack()`).
    TCPChallengeACK = "TCPChallengeACK", linux: Some(Section::TcpExt), freebsd: [];
    /// `TcpExt: TCPSYNChallenge`: SYNs received on a synchronised
    /// connection, counted before the rate limits (`tcp_validate_incoming()`),
    /// so it can exceed the challenge ACKs they cause.
    TCPSYNChallenge = "TCPSYNChallenge", linux: Some(Section::TcpExt), freebsd: [];
    /// FreeBSD `tcps_badrst`: resets ignored, in the window but not at the
    /// expected sequence number (answered with a challenge ACK), or to a
    /// listener with no matching syncache entry or out of window for one
    /// (`syncache_chkrst()`), which counts nothing while cookies-only mode
    /// is in effect. Linux has no such counter.
    BadRsts = "tcps_badrst", linux: None, freebsd: ["tcps_badrst"];
}

// A CounterSet is one u32.
const _: () = assert!(COUNTERS <= 32);

impl Counter {
    const fn slot(self) -> usize {
        self as usize
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }

    /// The counters Linux keeps in `section`, in slot order.
    pub fn in_section(section: Section) -> impl Iterator<Item = Counter> {
        Counter::ALL
            .into_iter()
            .filter(move |c| c.linux() == Some(section))
    }
}

/// A set of counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterSet(u32);

impl CounterSet {
    /// The set of `counters`.
    pub fn of(counters: &[Counter]) -> CounterSet {
        CounterSet::of_iter(counters.iter().copied())
    }

    pub fn insert(&mut self, c: Counter) {
        self.0 |= c.bit();
    }

    pub fn contains(self, c: Counter) -> bool {
        self.0 & c.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set of the counters `counters` yields.
    pub fn of_iter(counters: impl IntoIterator<Item = Counter>) -> CounterSet {
        let mut s = CounterSet::default();
        for c in counters {
            s.insert(c);
        }
        s
    }

    /// The counters in either set.
    pub fn union(self, other: CounterSet) -> CounterSet {
        CounterSet(self.0 | other.0)
    }

    /// The counters in both sets.
    pub fn intersection(self, other: CounterSet) -> CounterSet {
        CounterSet(self.0 & other.0)
    }

    /// The counters of `self` that are not in `other`.
    pub fn minus(self, other: CounterSet) -> CounterSet {
        CounterSet(self.0 & !other.0)
    }

    /// The counters in the set, in slot order.
    pub fn iter(self) -> impl Iterator<Item = Counter> {
        Counter::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

/// One sample: each counter's value, or `None` when it is absent or could
/// not be read this tick.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Values {
    slots: [Option<u64>; COUNTERS],
}

impl Values {
    pub fn get(&self, c: Counter) -> Option<u64> {
        self.slots[c.slot()]
    }

    pub fn set(&mut self, c: Counter, v: Option<u64>) {
        self.slots[c.slot()] = v;
    }

    /// Sets every counter to `None`: the start of every sample.
    pub fn clear(&mut self) {
        self.slots = [None; COUNTERS];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_order_of_all() {
        for (i, c) in Counter::ALL.iter().enumerate() {
            assert_eq!(c.slot(), i);
        }
    }

    #[test]
    fn set_operations() {
        let a = CounterSet::of(&[Counter::OutRsts, Counter::BadRsts]);
        let b = CounterSet::of(&[Counter::OutRsts]);
        assert_eq!(a.minus(b).iter().collect::<Vec<_>>(), [Counter::BadRsts]);
        assert_eq!(a.union(b), a);
        assert!(CounterSet::default().is_empty());
    }
}
