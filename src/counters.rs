//! The kernel counters the charts are made of, and one sample's values.

/// A kernel counter, named as Linux names it (FreeBSD's `struct tcpstat`
/// fields are mapped onto these names where their meaning matches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// `Tcp: AttemptFails`: connection attempts that failed (SYN-SENT or
    /// SYN-RECV to CLOSED, SYN-RECV to LISTEN). FreeBSD: `tcps_conndrops`.
    AttemptFails,
    /// `Tcp: EstabResets`: established connections reset (ESTABLISHED or
    /// CLOSE-WAIT to CLOSED). FreeBSD: `tcps_drops`.
    EstabResets,
    /// `Tcp: OutRsts`: segments sent with the RST flag.
    OutRsts,
    /// `TcpExt: ListenOverflows`: SYNs or final ACKs dropped because a
    /// listener's accept queue was full. FreeBSD: `tcps_listendrop`.
    ListenOverflows,
    /// `TcpExt: TCPReqQFullDrop`: SYNs dropped because the SYN queue was
    /// full and SYN cookies were off.
    TCPReqQFullDrop,
    /// `TcpExt: TCPAbortOnData`: resets sent on close with unread data, or
    /// for data arriving after close.
    TCPAbortOnData,
    /// `TcpExt: TCPAbortOnClose`: resets sent when the application closed a
    /// socket with data still in its receive queue.
    TCPAbortOnClose,
    /// `TcpExt: TCPAbortOnMemory`: connections aborted for lack of memory
    /// (too many orphans or socket memory exhausted).
    TCPAbortOnMemory,
    /// `TcpExt: TCPAbortOnTimeout`: connections aborted after too many
    /// retransmissions or keepalive probes.
    TCPAbortOnTimeout,
    /// `TcpExt: TCPAbortOnLinger`: connections aborted in FIN-WAIT-2 because
    /// the linger-2 time ran out.
    TCPAbortOnLinger,
    /// `TcpExt: EmbryonicRsts`: resets received for connections in SYN-RECV.
    /// FreeBSD: `tcps_sc_reset`.
    EmbryonicRsts,
    /// `TcpExt: SyncookiesSent`. FreeBSD: `tcps_sc_sendcookie`.
    SyncookiesSent,
    /// `TcpExt: SyncookiesRecv`. FreeBSD: `tcps_sc_recvcookie`.
    SyncookiesRecv,
    /// `TcpExt: SyncookiesFailed`: ACKs whose cookie did not validate.
    SyncookiesFailed,
    /// `TcpExt: TCPChallengeACK`: RFC 5961 challenge ACKs sent.
    TCPChallengeACK,
    /// `TcpExt: TCPSYNChallenge`: challenge ACKs sent in answer to a SYN.
    TCPSYNChallenge,
    /// FreeBSD `tcps_badrst`: resets ignored because they were in the window
    /// but not at the expected sequence number. Linux has no such counter.
    BadRsts,
}

/// How many [`Counter`]s there are.
pub const COUNTERS: usize = 17;

impl Counter {
    /// Every counter, in slot order.
    pub const ALL: [Counter; COUNTERS] = [
        Counter::AttemptFails,
        Counter::EstabResets,
        Counter::OutRsts,
        Counter::ListenOverflows,
        Counter::TCPReqQFullDrop,
        Counter::TCPAbortOnData,
        Counter::TCPAbortOnClose,
        Counter::TCPAbortOnMemory,
        Counter::TCPAbortOnTimeout,
        Counter::TCPAbortOnLinger,
        Counter::EmbryonicRsts,
        Counter::SyncookiesSent,
        Counter::SyncookiesRecv,
        Counter::SyncookiesFailed,
        Counter::TCPChallengeACK,
        Counter::TCPSYNChallenge,
        Counter::BadRsts,
    ];

    /// The kernel's name of the counter (FreeBSD's field name for
    /// [`Counter::BadRsts`]).
    pub const fn name(self) -> &'static str {
        match self {
            Counter::AttemptFails => "AttemptFails",
            Counter::EstabResets => "EstabResets",
            Counter::OutRsts => "OutRsts",
            Counter::ListenOverflows => "ListenOverflows",
            Counter::TCPReqQFullDrop => "TCPReqQFullDrop",
            Counter::TCPAbortOnData => "TCPAbortOnData",
            Counter::TCPAbortOnClose => "TCPAbortOnClose",
            Counter::TCPAbortOnMemory => "TCPAbortOnMemory",
            Counter::TCPAbortOnTimeout => "TCPAbortOnTimeout",
            Counter::TCPAbortOnLinger => "TCPAbortOnLinger",
            Counter::EmbryonicRsts => "EmbryonicRsts",
            Counter::SyncookiesSent => "SyncookiesSent",
            Counter::SyncookiesRecv => "SyncookiesRecv",
            Counter::SyncookiesFailed => "SyncookiesFailed",
            Counter::TCPChallengeACK => "TCPChallengeACK",
            Counter::TCPSYNChallenge => "TCPSYNChallenge",
            Counter::BadRsts => "tcps_badrst",
        }
    }

    /// The counter's slot in [`Values`].
    pub const fn slot(self) -> usize {
        self as usize
    }

    /// A bit for this counter in a [`CounterSet`].
    pub const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A set of counters, one bit per [`Counter::slot`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterSet(pub u32);

impl CounterSet {
    pub fn insert(&mut self, c: Counter) {
        self.0 |= c.bit();
    }

    pub fn contains(self, c: Counter) -> bool {
        self.0 & c.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
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

    /// Sets every counter to `None`.
    pub fn clear(&mut self) {
        self.slots = [None; COUNTERS];
    }

    /// The counters that have a value.
    pub fn present(&self) -> CounterSet {
        let mut s = CounterSet::default();
        for c in Counter::ALL {
            if self.get(c).is_some() {
                s.insert(c);
            }
        }
        s
    }
}

/// The kernel's counters, read once per sample.
///
/// Implemented by the Linux source (`/proc`) and the FreeBSD source
/// (`sysctl`); the loop and the protocol writer only see this.
pub trait Source {
    /// Reads every counter of one sample into `values`. Counters that are
    /// absent or unreadable this tick are left `None`; problems are
    /// reported through `log`, once per condition.
    fn sample(&mut self, values: &mut Values, log: &mut crate::log::Log);

    /// Reads the SYN-cookie setting: 0 off, 1 when the SYN queue overflows,
    /// 2 always. `None` when it cannot be read.
    fn syncookies(&mut self, log: &mut crate::log::Log) -> Option<i64>;

    /// Whether the SYN-cookie setting can be read at all on this host.
    fn has_syncookies(&self) -> bool;

    /// The counters found at start-up; they decide which charts and
    /// dimensions are defined.
    fn present(&self) -> CounterSet;

    /// The `module` word of a chart definition for a chart of this source.
    fn module(&self, chart: crate::charts::ChartKind) -> &'static str;
}
