//! The two reset tracepoints' records, laid out as their `format` files
//! say, and the decoder of one raw sample into an [`Event`].
//!
//! # Which address is local
//!
//! `saddr`/`sport` is this host's side and `daddr`/`dport` the peer's, in
//! every case (line numbers of Debian's linux-source-6.1 6.1.192 and
//! linux-source-6.12 6.12; 6.18's format files, recorded in
//! `tests/fixtures/tracefs/6.18`, have 6.12's fields):
//!
//! * `tcp_send_reset`, 4.15–6.9 ([`AddrLayout::Split`]): fired only for a
//!   full socket (6.1 `net/ipv4/tcp_ipv4.c:823-824`,
//!   `net/ipv6/tcp_ipv6.c:1057`, `net/ipv4/tcp_output.c:3543`), and the
//!   fields are the socket's own `inet_saddr`/`inet_sport` (local) and
//!   `inet_daddr`/`inet_dport` (6.1 `include/trace/events/tcp.h:77-88`).
//! * `tcp_send_reset`, 6.10+ ([`AddrLayout::Sockaddr`]): fired for every
//!   reset (6.12 `net/ipv4/tcp_ipv4.c:883`, `net/ipv6/tcp_ipv6.c:1132`,
//!   `net/ipv4/tcp_output.c:3671`). With a full socket the sockaddrs are
//!   the socket's, `saddr` from `inet_saddr`/`inet_sport` (6.12
//!   `include/trace/events/tcp.h:117-120`, `net_probe_common.h:6-35`);
//!   with no socket (a closed port, `sk == NULL`) or a TIME-WAIT or request
//!   socket they come from the segment that caused the reset, reversed:
//!   its source goes to `daddr` (6.12 `tcp.h:121-127`:
//!   `TP_STORE_ADDR_PORTS_SKB(skb, th, entry->daddr, entry->saddr)`), so
//!   `saddr` is again the local side. Without a socket `state` is 0
//!   ("Zero means unknown state", `tcp.h:111-112`).
//! * `tcp_receive_reset`: from `tcp_reset()` (6.1 `tcp_input.c:4457`, 6.12
//!   `tcp_input.c:4586`) on a full socket, fields from the socket like the
//!   4.15–6.9 send event (6.1 `tcp.h:145-158`, 6.12 `tcp.h:171-184`).
//!
//! An IPv4 peer of a dual-stack IPv6 socket is stored by the kernel as
//! `::ffff:a.b.c.d`; [`Event`] gives it as `a.b.c.d`, so that one peer is
//! one address whichever socket saw it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::format::{FieldDesc, Format, SymbolTable};
use crate::bytes::{Field, Scalar};
pub use crate::resets::{Direction, Event, Reason};

/// `AF_INET` and `AF_INET6` of Linux (`include/linux/socket.h`).
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

/// The most bytes a raw sample can have: a perf record's size is a `u16`,
/// and 12 bytes go to its header and the raw size.
pub const MAX_RAW: usize = u16::MAX as usize - 12;

/// `struct sockaddr_in6`'s size: the 6.10+ `saddr`/`daddr` arrays.
pub const SOCKADDR_LEN: usize = 28;

/// The TCP states of `include/net/tcp_states.h:12-26` (6.12), by value:
/// the names the kernel leaves unreplaced in `tcp_send_reset`'s state
/// table are resolved with these.
pub const TCP_STATES: [(&str, i64); 13] = [
    ("TCP_ESTABLISHED", 1),
    ("TCP_SYN_SENT", 2),
    ("TCP_SYN_RECV", 3),
    ("TCP_FIN_WAIT1", 4),
    ("TCP_FIN_WAIT2", 5),
    ("TCP_TIME_WAIT", 6),
    ("TCP_CLOSE", 7),
    ("TCP_CLOSE_WAIT", 8),
    ("TCP_LAST_ACK", 9),
    ("TCP_LISTEN", 10),
    ("TCP_CLOSING", 11),
    ("TCP_NEW_SYN_RECV", 12),
    ("TCP_BOUND_INACTIVE", 13),
];

fn tcp_state_value(name: &str) -> Option<i64> {
    TCP_STATES.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// How an event's record holds the two ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrLayout {
    /// 6.10+ `tcp_send_reset`: `__u8 saddr[28]`, `daddr[28]`, each a
    /// `struct sockaddr_in` or `sockaddr_in6` (or zeros).
    Sockaddr {
        saddr: Field<[u8; SOCKADDR_LEN]>,
        daddr: Field<[u8; SOCKADDR_LEN]>,
    },
    /// 4.15–6.9 `tcp_send_reset` and every `tcp_receive_reset`: ports in
    /// host order, `family`, IPv4 `saddr[4]`/`daddr[4]` and
    /// `saddr_v6[16]`/`daddr_v6[16]`.
    Split {
        sport: Field<u16>,
        dport: Field<u16>,
        family: Field<u16>,
        saddr: Field<[u8; 4]>,
        daddr: Field<[u8; 4]>,
        saddr_v6: Field<[u8; 16]>,
        daddr_v6: Field<[u8; 16]>,
    },
}

/// One event's record layout, checked against its format at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The format's `ID`, which every record carries in `common_type`.
    pub id: u16,
    pub direction: Direction,
    pub common_type: Field<u16>,
    pub state: Option<Field<i32>>,
    pub reason: Option<Field<u32>>,
    pub cookie: Option<Field<u64>>,
    pub addrs: AddrLayout,
    /// The end of the last field read: a shorter record is rejected.
    pub min_len: usize,
}

/// Why a format is not one this decoder can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutError {
    /// The event (`tcp_send_reset`, `tcp_receive_reset`).
    pub event: &'static str,
    /// The field concerned, or `""` for the event as a whole.
    pub field: &'static str,
    pub problem: &'static str,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "tcp:{}: {}", self.event, self.problem)
        } else {
            write!(
                f,
                "tcp:{}: field {}: {}",
                self.event, self.field, self.problem
            )
        }
    }
}

impl std::error::Error for LayoutError {}

/// The names of the two events.
pub const SEND: &str = "tcp_send_reset";
pub const RECEIVE: &str = "tcp_receive_reset";

mod checker;
use checker::Checker;

/// Why a raw sample was not decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than its layout's last field.
    Short,
    /// Its `common_type` is neither event's ID.
    UnknownType(u16),
}

/// The reason names of a reason table, by value, for the values `0..256`.
const REASON_VALUES: usize = 256;

/// Both events' layouts and symbol tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layouts {
    pub send: Layout,
    pub receive: Layout,
    reasons: Option<SymbolTable>,
    states: Option<SymbolTable>,
    /// `reason value -> index` in `reasons`, for O(1) decoding.
    reason_index: Vec<Option<u16>>,
}

impl Layouts {
    /// Checks the two formats and builds the layouts.
    pub fn new(send: &Format, receive: &Format) -> Result<Layouts, LayoutError> {
        let s = Checker {
            format: send,
            event: SEND,
        };
        let r = Checker {
            format: receive,
            event: RECEIVE,
        };
        let send_layout = s.layout(Direction::Sent)?;
        let receive_layout = r.layout(Direction::Received)?;
        if send_layout.id == receive_layout.id {
            return Err(s.err("", "has the same ID as tcp_receive_reset"));
        }
        let reasons = send.symbols_of("reason").cloned();
        if send_layout.reason.is_some() && reasons.is_none() {
            return Err(s.err("reason", "has no __print_symbolic table in print fmt"));
        }
        let mut reason_index = vec![None; REASON_VALUES];
        if let Some(t) = &reasons {
            for (v, slot) in reason_index.iter_mut().enumerate() {
                *slot = t
                    .find(v as i64, |_| None)
                    .and_then(|(i, _)| u16::try_from(i).ok());
            }
        }
        Ok(Layouts {
            send: send_layout,
            receive: receive_layout,
            reasons,
            states: send.symbols_of("state").cloned(),
            reason_index,
        })
    }

    /// Whether the kernel says why it sent a reset (6.10+), and reports
    /// resets sent without a full socket (closed ports, TIME-WAIT).
    pub fn sees_every_sent_reset(&self) -> bool {
        self.send.reason.is_some() && matches!(self.send.addrs, AddrLayout::Sockaddr { .. })
    }

    /// The reason table (6.10+).
    pub fn reasons(&self) -> Option<&SymbolTable> {
        self.reasons.as_ref()
    }

    /// The name of a reason, as the kernel prints it (`NO_SOCKET`).
    pub fn reason_name(&self, r: Reason) -> Option<&str> {
        let t = self.reasons.as_ref()?;
        Some(t.entries.get(usize::from(r.index?))?.name.as_str())
    }

    /// The name of a TCP state (`TCP_ESTABLISHED`): from the format's
    /// table where it has one, else from [`TCP_STATES`].
    pub fn state_name(&self, state: i32) -> Option<&str> {
        let v = i64::from(state);
        if let Some(t) = &self.states {
            if let Some((_, name)) = t.find(v, tcp_state_value) {
                return Some(name);
            }
        }
        TCP_STATES.iter().find(|&&(_, x)| x == v).map(|&(n, _)| n)
    }

    /// The layout of records whose `common_type` is `id`.
    pub fn of(&self, id: u16) -> Option<&Layout> {
        [&self.send, &self.receive].into_iter().find(|l| l.id == id)
    }

    /// Decodes one raw sample: the bytes after `PERF_SAMPLE_RAW`'s `u32`
    /// size, starting with the `common_*` fields.
    pub fn decode(&self, raw: &[u8]) -> Result<Event, DecodeError> {
        let ty = self.send.common_type.read(raw).ok_or(DecodeError::Short)?;
        let l = self.of(ty).ok_or(DecodeError::UnknownType(ty))?;
        if raw.len() < l.min_len {
            return Err(DecodeError::Short);
        }
        let (local, remote) = l.addrs.read(raw).ok_or(DecodeError::Short)?;
        let reason = match l.reason {
            Some(f) => {
                let value = f.read(raw).ok_or(DecodeError::Short)?;
                let index = self.reason_index.get(value as usize).copied().flatten();
                Some(Reason { value, index })
            }
            None => None,
        };
        Ok(Event {
            direction: l.direction,
            local,
            remote,
            state: match l.state {
                Some(f) => f.read(raw).ok_or(DecodeError::Short)?,
                None => 0,
            },
            reason,
            cookie: match l.cookie {
                Some(f) => Some(f.read(raw).ok_or(DecodeError::Short)?),
                None => None,
            },
        })
    }
}

type Ends = (Option<SocketAddr>, Option<SocketAddr>);

impl AddrLayout {
    /// (local, remote); `None` when the record is too short.
    fn read(&self, raw: &[u8]) -> Option<Ends> {
        Some(match *self {
            AddrLayout::Sockaddr { saddr, daddr } => {
                (sockaddr(&saddr.read(raw)?), sockaddr(&daddr.read(raw)?))
            }
            AddrLayout::Split {
                sport,
                dport,
                family,
                saddr,
                daddr,
                saddr_v6,
                daddr_v6,
            } => {
                let (sp, dp) = (sport.read(raw)?, dport.read(raw)?);
                let (s, d) = match family.read(raw)? {
                    AF_INET => (
                        IpAddr::V4(Ipv4Addr::from(saddr.read(raw)?)),
                        IpAddr::V4(Ipv4Addr::from(daddr.read(raw)?)),
                    ),
                    AF_INET6 => (
                        canonical(Ipv6Addr::from(saddr_v6.read(raw)?)),
                        canonical(Ipv6Addr::from(daddr_v6.read(raw)?)),
                    ),
                    _ => return Some((None, None)),
                };
                (Some(SocketAddr::new(s, sp)), Some(SocketAddr::new(d, dp)))
            }
        })
    }
}

/// An IPv4-mapped IPv6 address as IPv4; any other as it is.
fn canonical(a: Ipv6Addr) -> IpAddr {
    match a.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(a),
    }
}

/// `sin_family`/`sin6_family` (host order) at 0, the port (network order)
/// at 2, the IPv4 address at 4 or the IPv6 address at 8
/// (`include/uapi/linux/in.h`, `in6.h`).
const SA_FAMILY: Field<u16> = Field::at(0);
const SA_PORT: Field<[u8; 2]> = Field::at(2);
const SIN_ADDR: Field<[u8; 4]> = Field::at(4);
const SIN6_ADDR: Field<[u8; 16]> = Field::at(8);

fn sockaddr(b: &[u8; SOCKADDR_LEN]) -> Option<SocketAddr> {
    let port = u16::from_be_bytes(SA_PORT.read(b)?);
    let ip = match SA_FAMILY.read(b)? {
        AF_INET => IpAddr::V4(Ipv4Addr::from(SIN_ADDR.read(b)?)),
        AF_INET6 => canonical(Ipv6Addr::from(SIN6_ADDR.read(b)?)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests;
