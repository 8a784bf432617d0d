//! Linux's `sock_diag` netlink protocol for TCP sockets (`inet_diag`),
//! as bytes: the dump request, and the decoding of the kernel's answer.
//!
//! Pure and platform-independent, so tests and the fuzzer feed it byte
//! images. Layouts are those of `include/uapi/linux/netlink.h`,
//! `inet_diag.h` and `sock_diag.h`; every multi-byte field is native-endian
//! except the addresses and ports of `struct inet_diag_sockid`, which are
//! big-endian.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `struct nlmsghdr`: len u32, type u16, flags u16, seq u32, pid u32.
const NLMSG_HDR: usize = 16;
/// `nlmsg_type` of an error (or an acknowledgement, errno 0).
const NLMSG_ERROR: u16 = 2;
/// `nlmsg_type` that ends a dump.
const NLMSG_DONE: u16 = 3;
/// `SOCK_DIAG_BY_FAMILY`: the request and answer type.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ROOT | NLM_F_MATCH`.
const NLM_F_DUMP: u16 = 0x300;

/// `struct inet_diag_req_v2`: family u8, protocol u8, ext u8, pad u8,
/// states u32, then a `struct inet_diag_sockid` (48 bytes).
const REQ_V2: usize = 56;
const IPPROTO_TCP: u8 = 6;
/// `1 << (INET_DIAG_SKMEMINFO - 1)`: ask for the socket's memory counters.
const EXT_SKMEMINFO: u8 = 1 << (INET_DIAG_SKMEMINFO - 1);
/// The attribute carrying `u32 meminfo[SK_MEMINFO_VARS]`: the eighth of
/// `enum { INET_DIAG_NONE, INET_DIAG_MEMINFO, INET_DIAG_INFO,
/// INET_DIAG_VEGASINFO, INET_DIAG_CONG, INET_DIAG_TOS, INET_DIAG_TCLASS,
/// INET_DIAG_SKMEMINFO, ... }`.
const INET_DIAG_SKMEMINFO: u16 = 7;
/// The attribute saying whether an IPv6 listener has `IPV6_V6ONLY` (a
/// `u8`); `inet_diag_msg_attrs_fill()` adds it, unasked, for every AF_INET6
/// socket in LISTEN or CLOSE.
const INET_DIAG_SKV6ONLY: u16 = 11;
/// `SK_MEMINFO_DROPS`: the socket's `sk_drops`, which `tcp_listendrop()`
/// increments on every listen-queue overflow.
const SK_MEMINFO_DROPS: usize = 8;

/// `TCP_SYN_RECV` and `TCP_LISTEN` (`include/net/tcp_states.h`).
pub const TCP_SYN_RECV: u8 = 3;
pub const TCP_LISTEN: u8 = 10;

/// `struct inet_diag_msg`: family u8, state u8, timer u8, retrans u8,
/// sockid (48), expires u32, rqueue u32, wqueue u32, uid u32, inode u32.
const MSG: usize = 72;
/// Offsets in `struct inet_diag_msg`.
const MSG_FAMILY: usize = 0;
const MSG_STATE: usize = 1;
const ID_SPORT: usize = 4;
const ID_SRC: usize = 8;
const MSG_RQUEUE: usize = 56;
const MSG_WQUEUE: usize = 60;
const MSG_UID: usize = 64;
const MSG_INODE: usize = 68;

/// `AF_INET` and `AF_INET6` on Linux.
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// The dump request for every TCP socket of `family` in the LISTEN or
/// SYN-RECV state (request sockets of pending handshakes are dumped with
/// SYN-RECV), with the memory counters of each.
pub fn request(family: u8, seq: u32) -> [u8; NLMSG_HDR + REQ_V2] {
    let mut b = [0u8; NLMSG_HDR + REQ_V2];
    b[0..4].copy_from_slice(&((NLMSG_HDR + REQ_V2) as u32).to_ne_bytes());
    b[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    b[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    b[8..12].copy_from_slice(&seq.to_ne_bytes());
    let r = NLMSG_HDR;
    b[r] = family;
    b[r + 1] = IPPROTO_TCP;
    b[r + 2] = EXT_SKMEMINFO;
    let states: u32 = (1 << TCP_LISTEN) | (1 << TCP_SYN_RECV);
    b[r + 4..r + 8].copy_from_slice(&states.to_ne_bytes());
    b
}

/// One socket of the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    /// `TCP_LISTEN` or `TCP_SYN_RECV`.
    pub state: u8,
    pub addr: IpAddr,
    pub port: u16,
    /// LISTEN: connections waiting for `accept()` (`sk_ack_backlog`).
    pub queue: u32,
    /// LISTEN: the accept queue's limit (`sk_max_ack_backlog`, the
    /// backlog capped by `net.core.somaxconn`).
    pub limit: u32,
    pub uid: u32,
    /// 0 for a request socket.
    pub inode: u32,
    /// The socket's drop counter, when the kernel sent it.
    pub drops: Option<u32>,
    /// An IPv6 listener's `IPV6_V6ONLY`, when the kernel sent it.
    pub v6only: Option<bool>,
}

/// What one received buffer held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub sockets: Vec<Socket>,
    /// The dump is complete.
    pub done: bool,
    /// The kernel answered with this errno instead.
    pub error: Option<i32>,
}

/// Why a buffer could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// A message's length is shorter than its header or runs past the
    /// buffer.
    BadLength,
    /// A socket message is shorter than `struct inet_diag_msg`.
    ShortMessage,
    /// A message of a type the dump does not send.
    UnexpectedType(u16),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::BadLength => f.write_str("a message's length runs past the answer"),
            DecodeError::ShortMessage => {
                f.write_str("a socket message is shorter than inet_diag_msg")
            }
            DecodeError::UnexpectedType(t) => write!(f, "a message of type {t}"),
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Decodes one `inet_diag_msg` and its attributes.
fn socket(m: &[u8]) -> Result<Socket, DecodeError> {
    if m.len() < MSG {
        return Err(DecodeError::ShortMessage);
    }
    let family = m[MSG_FAMILY];
    let src = &m[ID_SRC..ID_SRC + 16];
    let addr = if family == AF_INET6 {
        let mut a = [0u8; 16];
        a.copy_from_slice(src);
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::new(src[0], src[1], src[2], src[3]))
    };
    let mut drops = None;
    let mut v6only = None;
    let mut at = MSG;
    while at + 4 <= m.len() {
        let len = usize::from(u16_at(m, at));
        let kind = u16_at(m, at + 2);
        if len < 4 || at + len > m.len() {
            break;
        }
        let v = &m[at + 4..at + len];
        match kind {
            INET_DIAG_SKMEMINFO if v.len() >= (SK_MEMINFO_DROPS + 1) * 4 => {
                drops = Some(u32_at(v, SK_MEMINFO_DROPS * 4));
            }
            INET_DIAG_SKV6ONLY if !v.is_empty() => v6only = Some(v[0] != 0),
            _ => {}
        }
        at += align4(len);
    }
    Ok(Socket {
        state: m[MSG_STATE],
        addr,
        port: u16::from_be_bytes([m[ID_SPORT], m[ID_SPORT + 1]]),
        queue: u32_at(m, MSG_RQUEUE),
        limit: u32_at(m, MSG_WQUEUE),
        uid: u32_at(m, MSG_UID),
        inode: u32_at(m, MSG_INODE),
        drops,
        v6only,
    })
}

/// Decodes the netlink messages in `buf` (one `recv`).
pub fn decode(buf: &[u8]) -> Result<Batch, DecodeError> {
    let mut batch = Batch::default();
    let mut at = 0;
    while at + NLMSG_HDR <= buf.len() {
        let len = u32_at(buf, at) as usize;
        if len < NLMSG_HDR || len > buf.len() - at {
            return Err(DecodeError::BadLength);
        }
        let body = &buf[at + NLMSG_HDR..at + len];
        match u16_at(buf, at + 4) {
            SOCK_DIAG_BY_FAMILY => batch.sockets.push(socket(body)?),
            NLMSG_DONE => {
                batch.done = true;
                return Ok(batch);
            }
            NLMSG_ERROR => {
                // struct nlmsgerr: int error (negative errno), then the
                // request's header.
                // A positive errno, whatever the bytes say (found by
                // fuzzing: negating i32::MIN overflowed).
                let e = (body.len() >= 4)
                    .then(|| (u32_at(body, 0) as i32).checked_neg())
                    .flatten()
                    .filter(|e| *e > 0)
                    .unwrap_or(EIO);
                batch.error = Some(e);
                batch.done = true;
                return Ok(batch);
            }
            other => return Err(DecodeError::UnexpectedType(other)),
        }
        at += align4(len);
    }
    if at != buf.len() {
        return Err(DecodeError::BadLength);
    }
    Ok(batch)
}

/// `EIO` (5 on Linux and FreeBSD), for an error message too short to
/// carry its errno.
const EIO: i32 = 5;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// One `SOCK_DIAG_BY_FAMILY` message as the kernel would send it.
    pub(crate) fn message(s: &Socket, meminfo_vars: usize) -> Vec<u8> {
        let mut m = vec![0u8; MSG];
        m[MSG_FAMILY] = if s.addr.is_ipv6() { AF_INET6 } else { AF_INET };
        m[MSG_STATE] = s.state;
        m[ID_SPORT..ID_SPORT + 2].copy_from_slice(&s.port.to_be_bytes());
        match s.addr {
            IpAddr::V4(a) => m[ID_SRC..ID_SRC + 4].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => m[ID_SRC..ID_SRC + 16].copy_from_slice(&a.octets()),
        }
        m[MSG_RQUEUE..MSG_RQUEUE + 4].copy_from_slice(&s.queue.to_ne_bytes());
        m[MSG_WQUEUE..MSG_WQUEUE + 4].copy_from_slice(&s.limit.to_ne_bytes());
        m[MSG_UID..MSG_UID + 4].copy_from_slice(&s.uid.to_ne_bytes());
        m[MSG_INODE..MSG_INODE + 4].copy_from_slice(&s.inode.to_ne_bytes());
        if let Some(only) = s.v6only {
            m.extend_from_slice(&5u16.to_ne_bytes());
            m.extend_from_slice(&INET_DIAG_SKV6ONLY.to_ne_bytes());
            m.extend_from_slice(&[u8::from(only), 0, 0, 0]);
        }
        if meminfo_vars > 0 {
            let len = 4 + 4 * meminfo_vars;
            m.extend_from_slice(&(len as u16).to_ne_bytes());
            m.extend_from_slice(&INET_DIAG_SKMEMINFO.to_ne_bytes());
            for i in 0..meminfo_vars {
                let v = if i == SK_MEMINFO_DROPS {
                    s.drops.unwrap_or(0)
                } else {
                    1000 + i as u32
                };
                m.extend_from_slice(&v.to_ne_bytes());
            }
        }
        frame(SOCK_DIAG_BY_FAMILY, &m)
    }

    pub(crate) fn frame(kind: u16, body: &[u8]) -> Vec<u8> {
        let len = NLMSG_HDR + body.len();
        let mut f = Vec::new();
        f.extend_from_slice(&(len as u32).to_ne_bytes());
        f.extend_from_slice(&kind.to_ne_bytes());
        f.extend_from_slice(&2u16.to_ne_bytes());
        f.extend_from_slice(&7u32.to_ne_bytes());
        f.extend_from_slice(&0u32.to_ne_bytes());
        f.extend_from_slice(body);
        f.resize(align4(f.len()), 0);
        f
    }

    pub(crate) fn done() -> Vec<u8> {
        frame(NLMSG_DONE, &0i32.to_ne_bytes())
    }

    fn listener() -> Socket {
        Socket {
            state: TCP_LISTEN,
            addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)),
            port: 8080,
            queue: 4,
            limit: 3,
            uid: 1000,
            inode: 123_456,
            drops: Some(57),
            v6only: None,
        }
    }

    #[test]
    fn request_is_a_dump_of_listen_and_syn_recv_with_meminfo() {
        let r = request(AF_INET6, 9);
        assert_eq!(r.len(), 72);
        assert_eq!(u32_at(&r, 0), 72);
        assert_eq!(u16_at(&r, 4), 20);
        assert_eq!(u16_at(&r, 6), 0x301);
        assert_eq!(u32_at(&r, 8), 9);
        // idiag_ext bit 1 << (INET_DIAG_SKMEMINFO - 1) = 64.
        assert_eq!(&r[16..20], &[10, 6, 64, 0]);
        assert_eq!(u32_at(&r, 20), (1 << 10) | (1 << 3));
    }

    #[test]
    fn listeners_of_both_families_and_the_end_of_the_dump() {
        let v6 = Socket {
            addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            port: 443,
            drops: Some(0),
            v6only: Some(true),
            ..listener()
        };
        let mut buf = message(&listener(), 9);
        buf.extend(message(&v6, 9));
        buf.extend(done());
        let b = decode(&buf).unwrap();
        assert_eq!(b.sockets, [listener(), v6]);
        assert!(b.done);
        assert_eq!(b.error, None);
    }

    #[test]
    fn a_kernel_without_the_drops_counter_gives_none() {
        // Before SK_MEMINFO_DROPS existed the array had 8 entries.
        let b = decode(&message(&listener(), 8)).unwrap();
        assert_eq!(b.sockets[0].drops, None);
        let b = decode(&message(&listener(), 0)).unwrap();
        assert_eq!(b.sockets[0].drops, None);
        assert!(!b.done);
    }

    #[test]
    fn an_error_answer_carries_the_errno() {
        let mut body = (-2i32).to_ne_bytes().to_vec();
        body.extend_from_slice(&[0u8; 16]);
        let b = decode(&frame(NLMSG_ERROR, &body)).unwrap();
        assert_eq!(b.error, Some(2));
        assert!(b.done);
    }

    #[test]
    fn an_error_of_any_bits_gives_a_positive_errno() {
        for raw in [i32::MIN, 0, 5, -1] {
            let mut body = raw.to_ne_bytes().to_vec();
            body.extend_from_slice(&[0u8; 16]);
            let e = decode(&frame(NLMSG_ERROR, &body)).unwrap().error.unwrap();
            assert!(e > 0, "{raw} gave {e}");
        }
        assert_eq!(decode(&frame(NLMSG_ERROR, &[])).unwrap().error, Some(5));
    }

    #[test]
    fn broken_buffers_are_errors_not_panics() {
        let good = message(&listener(), 9);
        for cut in 0..good.len() {
            let r = decode(&good[..cut]);
            if cut == 0 {
                assert_eq!(r, Ok(Batch::default()));
            } else {
                assert!(r.is_err(), "cut at {cut}: {r:?}");
            }
        }
        let mut short = frame(SOCK_DIAG_BY_FAMILY, &[0u8; 20]);
        assert_eq!(decode(&short), Err(DecodeError::ShortMessage));
        short[4] = 99;
        assert_eq!(decode(&short), Err(DecodeError::UnexpectedType(99)));
        let mut bad = good.clone();
        bad[0..4].copy_from_slice(&3u32.to_ne_bytes());
        assert_eq!(decode(&bad), Err(DecodeError::BadLength));
    }

    #[test]
    fn attributes_that_run_past_the_message_are_ignored() {
        let mut m = message(&listener(), 9);
        // Claim the attribute is longer than the message.
        let attr = NLMSG_HDR + MSG;
        m[attr..attr + 2].copy_from_slice(&500u16.to_ne_bytes());
        let b = decode(&m).unwrap();
        assert_eq!(b.sockets[0].drops, None);
    }
}
