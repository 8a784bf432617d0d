//! Linux's `sock_diag` netlink protocol for TCP sockets (`inet_diag`),
//! as bytes: the dump request, and the decoding of the kernel's answer.
//!
//! Pure and platform-independent, so tests and the fuzzer feed it byte
//! images. Layouts are those of `include/uapi/linux/netlink.h`,
//! `inet_diag.h` and `sock_diag.h`; every multi-byte field is native-endian
//! except the addresses and ports of `struct inet_diag_sockid`, which are
//! big-endian.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bytes::Field;

// --- struct nlmsghdr (netlink.h) ------------------------------------------

/// `sizeof(struct nlmsghdr)`.
const NLMSG_HDR: usize = 16;
/// `nlmsg_len`: the message's length, header included.
const NLMSG_LEN: Field<u32> = Field::at(0);
/// `nlmsg_type`.
const NLMSG_TYPE: Field<u16> = Field::at(4);
/// `nlmsg_flags`.
const NLMSG_FLAGS: Field<u16> = Field::at(6);
/// `nlmsg_seq`.
const NLMSG_SEQ: Field<u32> = Field::at(8);
/// `nlmsg_type` of an error (or an acknowledgement, errno 0).
const NLMSG_ERROR: u16 = 2;
/// `nlmsg_type` that ends a dump.
const NLMSG_DONE: u16 = 3;
/// `SOCK_DIAG_BY_FAMILY`: the request and answer type.
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ROOT | NLM_F_MATCH`.
const NLM_F_DUMP: u16 = 0x300;
/// `struct nlmsgerr`'s `error`: a negative errno.
const NLMSGERR_ERROR: Field<i32> = Field::at(0);

// --- struct inet_diag_req_v2 (inet_diag.h) ---------------------------------

/// `sizeof(struct inet_diag_req_v2)`: the header fields below, then a
/// `struct inet_diag_sockid` (48 bytes) left zero.
const REQ_V2: usize = 56;
/// `sdiag_family`.
const REQ_FAMILY: Field<u8> = Field::at(0);
/// `sdiag_protocol`.
const REQ_PROTOCOL: Field<u8> = Field::at(1);
/// `idiag_ext`: the attributes asked for, `1 << (attribute - 1)` each.
const REQ_EXT: Field<u8> = Field::at(2);
/// `idiag_states`: `1 << state` for every TCP state wanted.
const REQ_STATES: Field<u32> = Field::at(4);
const IPPROTO_TCP: u8 = 6;

// --- struct inet_diag_msg (inet_diag.h) -------------------------------------

/// `sizeof(struct inet_diag_msg)`.
const MSG: usize = 72;
/// `idiag_family`.
const MSG_FAMILY: Field<u8> = Field::at(0);
/// `idiag_state`.
const MSG_STATE: Field<u8> = Field::at(1);
/// `id.idiag_sport`, big-endian.
const MSG_SPORT: Field<[u8; 2]> = Field::at(4);
/// `id.idiag_src`: 16 bytes, an IPv4 address in the first 4.
const MSG_SRC: Field<[u8; 16]> = Field::at(8);
/// `id.idiag_cookie[0]` and `[1]`: the socket's cookie, low half first
/// (`sock_diag_save_cookie()`); never reused while the system runs.
const MSG_COOKIE_LOW: Field<u32> = Field::at(44);
const MSG_COOKIE_HIGH: Field<u32> = Field::at(48);
/// `idiag_rqueue`: a listener's `sk_ack_backlog`.
const MSG_RQUEUE: Field<u32> = Field::at(56);
/// `idiag_wqueue`: a listener's `sk_max_ack_backlog`.
const MSG_WQUEUE: Field<u32> = Field::at(60);
/// `idiag_uid`.
const MSG_UID: Field<u32> = Field::at(64);
/// `idiag_inode`.
const MSG_INODE: Field<u32> = Field::at(68);

// --- struct rtattr (rtnetlink.h): the attributes after the message ----------

/// `rta_len`: the attribute's length, header included.
const RTA_LEN: Field<u16> = Field::at(0);
/// `rta_type`.
const RTA_TYPE: Field<u16> = Field::at(2);
/// `sizeof(struct rtattr)`.
const RTA_HDR: usize = 4;
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
/// `meminfo[SK_MEMINFO_DROPS]`: the socket's `sk_drops`, which
/// `tcp_listendrop()` increments on every listen-queue overflow.
const SK_MEMINFO_DROPS: Field<u32> = Field::at(8 * 4);
/// The attribute `inet_diag_msg_attrs_fill()` adds to every full socket
/// and never to a request socket (`inet_req_diag_fill()`): in SYN-RECV it
/// tells a Fast Open child from a pending handshake.
const INET_DIAG_SHUTDOWN: u16 = 8;
/// `INET_DIAG_SKV6ONLY`'s value.
const V6ONLY: Field<u8> = Field::at(0);

/// `TCP_SYN_RECV` and `TCP_LISTEN` (`include/net/tcp_states.h`).
pub const TCP_SYN_RECV: u8 = 3;
pub const TCP_LISTEN: u8 = 10;

/// `AF_INET` and `AF_INET6` on Linux.
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// The dump request for every TCP socket of `family` in the LISTEN or
/// SYN-RECV state (request sockets of pending handshakes are dumped with
/// SYN-RECV), with the memory counters of each.
pub fn request(family: u8, seq: u32) -> [u8; NLMSG_HDR + REQ_V2] {
    let mut b = [0u8; NLMSG_HDR + REQ_V2];
    NLMSG_LEN.write(&mut b, (NLMSG_HDR + REQ_V2) as u32);
    NLMSG_TYPE.write(&mut b, SOCK_DIAG_BY_FAMILY);
    NLMSG_FLAGS.write(&mut b, NLM_F_REQUEST | NLM_F_DUMP);
    NLMSG_SEQ.write(&mut b, seq);
    let r = &mut b[NLMSG_HDR..];
    REQ_FAMILY.write(r, family);
    REQ_PROTOCOL.write(r, IPPROTO_TCP);
    REQ_EXT.write(r, EXT_SKMEMINFO);
    REQ_STATES.write(r, (1 << TCP_LISTEN) | (1 << TCP_SYN_RECV));
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
    /// The socket cookie (0 for a request socket).
    pub cookie: u64,
    /// A full socket (`INET_DIAG_SHUTDOWN` came with it), not a request
    /// socket.
    pub full: bool,
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

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// The value of `f` in `b`, which the caller has checked to be long enough.
fn at<T: crate::bytes::Scalar + Default>(f: Field<T>, b: &[u8]) -> T {
    f.read(b).unwrap_or_default()
}

/// Decodes one `inet_diag_msg` and its attributes.
fn socket(m: &[u8]) -> Result<Socket, DecodeError> {
    if m.len() < MSG {
        return Err(DecodeError::ShortMessage);
    }
    let src = at(MSG_SRC, m);
    let addr = if at(MSG_FAMILY, m) == AF_INET6 {
        IpAddr::V6(Ipv6Addr::from(src))
    } else {
        IpAddr::V4(Ipv4Addr::new(src[0], src[1], src[2], src[3]))
    };
    let mut drops = None;
    let mut v6only = None;
    let mut full = false;
    let mut rest = &m[MSG..];
    while let (Some(len), Some(kind)) = (RTA_LEN.read(rest), RTA_TYPE.read(rest)) {
        let len = usize::from(len);
        if len < RTA_HDR || len > rest.len() {
            break;
        }
        let v = &rest[RTA_HDR..len];
        match kind {
            INET_DIAG_SKMEMINFO => drops = SK_MEMINFO_DROPS.read(v).or(drops),
            INET_DIAG_SKV6ONLY => v6only = V6ONLY.read(v).map(|b| b != 0).or(v6only),
            INET_DIAG_SHUTDOWN => full = true,
            _ => {}
        }
        rest = rest.get(align4(len)..).unwrap_or_default();
    }
    Ok(Socket {
        state: at(MSG_STATE, m),
        addr,
        port: u16::from_be_bytes(at(MSG_SPORT, m)),
        queue: at(MSG_RQUEUE, m),
        limit: at(MSG_WQUEUE, m),
        uid: at(MSG_UID, m),
        inode: at(MSG_INODE, m),
        drops,
        v6only,
        cookie: u64::from(at(MSG_COOKIE_LOW, m)) | u64::from(at(MSG_COOKIE_HIGH, m)) << 32,
        full,
    })
}

/// Decodes the netlink messages in `buf` (one `recv`).
pub fn decode(buf: &[u8]) -> Result<Batch, DecodeError> {
    let mut batch = Batch::default();
    let mut rest = buf;
    while rest.len() >= NLMSG_HDR {
        let len = at(NLMSG_LEN, rest) as usize;
        if len < NLMSG_HDR || len > rest.len() {
            return Err(DecodeError::BadLength);
        }
        let body = &rest[NLMSG_HDR..len];
        match at(NLMSG_TYPE, rest) {
            SOCK_DIAG_BY_FAMILY => batch.sockets.push(socket(body)?),
            NLMSG_DONE => {
                batch.done = true;
                return Ok(batch);
            }
            NLMSG_ERROR => {
                // A positive errno, whatever the bytes say (found by
                // fuzzing: negating i32::MIN overflowed).
                let e = NLMSGERR_ERROR
                    .read(body)
                    .and_then(i32::checked_neg)
                    .filter(|e| *e > 0)
                    .unwrap_or(EIO);
                batch.error = Some(e);
                batch.done = true;
                return Ok(batch);
            }
            other => return Err(DecodeError::UnexpectedType(other)),
        }
        // Every message is padded to 4 bytes (NLMSG_ALIGN), the last too.
        rest = rest.get(align4(len)..).ok_or(DecodeError::BadLength)?;
    }
    if !rest.is_empty() {
        return Err(DecodeError::BadLength);
    }
    Ok(batch)
}

/// `EIO` (5 on Linux and FreeBSD), for an error message too short to
/// carry its errno.
const EIO: i32 = 5;

#[cfg(test)]
mod tests;
