//! Decoding FreeBSD's `sysctl net.inet.tcp.pcblist`: the listening sockets
//! with their accept queues (what `netstat -Lan` prints) and the syncache's
//! half-open handshakes.
//!
//! The kernel's answer (`tcp_pcblist()` in `sys/netinet/tcp_subr.c`) is a
//! `struct xinpgen` header, one `struct xtcpcb` record per syncache entry
//! (`syncache_pcblist()`: `t_state` SYN_RECEIVED, no socket, so `xso_so`
//! is 0), one per TCP control block the reader may see, and a trailing
//! `struct xinpgen`. Every record starts with its own length (`xt_len`),
//! and a length no greater than a `struct xinpgen` marks the trailer: that
//! is how `netstat` walks it, and how [`decode`] does. Integers are
//! native-endian except ports, which are in network byte order.
//!
//! This module is platform-independent, so Linux tests and the fuzzer feed
//! it byte images. It never reads past the buffer or panics, whatever the
//! bytes: a record shorter than the last field used is rejected, not read.
//!
//! # The layout constants, and how they are checked
//!
//! The layout is that of amd64 (LP64), the same in FreeBSD 13, 14 and 15.
//! Every member read is declared with [`c_fields!`], which also lists it
//! in a table of [`CFact`]s; `examples/c_layout.rs` prints those tables
//! (with the sizes and macro values, [`C_FACTS`]) as C11 `_Static_assert`s
//! that `packaging/freebsd/check-layouts.sh` compiles against FreeBSD's own
//! headers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bytes::{c_fields, max_end, CFact};
pub use crate::listeners::attach::Stack;
use crate::listeners::attach::{self, Local};

// --- struct xinpgen: the header and the trailer --------------------------

/// `sizeof(struct xinpgen)`: the header's length, and the longest a
/// trailer can be.
pub const SIZEOF_XINPGEN: usize = 64;

c_fields! { XINPGEN_FIELDS = "struct xinpgen";
    /// `xig_len` (`ksize_t`): the length of this `struct xinpgen`.
    XIG_LEN: u64 = "xig_len" @ 0;
    /// `xig_gen` (`inp_gen_t`): the control blocks' generation count when
    /// the copy began; a record of a later generation was made during the
    /// copy.
    XIG_GEN: u64 = "xig_gen" @ 16;
}

// --- struct xtcpcb: one record -------------------------------------------

/// `sizeof(struct xtcpcb)`: a record's length in FreeBSD 13, 14 and 15.
pub const SIZEOF_XTCPCB: usize = 744;
/// `sizeof(struct xsocket)`: what `xso_len` holds in every record.
pub const SIZEOF_XSOCKET: usize = 240;

c_fields! { XTCPCB_FIELDS = "struct xtcpcb";
    /// `xt_len` (`ksize_t`): the record's length.
    XT_LEN: u64 = "xt_len" @ 0;
    /// `xso_len` (`ksize_t`): the embedded `struct xsocket`'s length;
    /// another value means another layout.
    XSO_LEN: u64 = "xt_inp.xi_socket.xso_len" @ 16;
    /// `xso_so` (`kvaddr_t`): the kernel address of the socket; 0 for a
    /// syncache entry, which has none yet.
    XSO_SO: u64 = "xt_inp.xi_socket.xso_so" @ 24;
    /// `xso_protocol`: `IPPROTO_TCP`.
    XSO_PROTOCOL: i32 = "xt_inp.xi_socket.xso_protocol" @ 112;
    /// `so_qlen`: a listener's completed connections waiting for
    /// `accept()` (`sol_qlen`); 0 for other sockets.
    SO_QLEN: u32 = "xt_inp.xi_socket.so_qlen" @ 120;
    /// `so_qlimit`: a listener's `listen()` backlog capped by
    /// `kern.ipc.soacceptqueue` (`sol_qlimit`); 0 after `listen(s, 0)`.
    SO_QLIMIT: u32 = "xt_inp.xi_socket.so_qlimit" @ 128;
    /// `so_uid` (`uid_t`): the effective uid of the socket's creator
    /// (`so_cred->cr_uid`).
    SO_UID: u32 = "xt_inp.xi_socket.so_uid" @ 136;
    /// `so_options`: `SO_*` flags; `SO_ACCEPTCONN` on a listener.
    SO_OPTIONS: i16 = "xt_inp.xi_socket.so_options" @ 174;
    /// `ie_lport`: the local port, in network byte order.
    IE_LPORT: [u8; 2] = "xt_inp.inp_inc.inc_ie.ie_lport" @ 262;
    /// `ie6_laddr` (`ie_dependladdr.id6_addr`): the local IPv6 address.
    IE6_LADDR: [u8; 16] = "xt_inp.inp_inc.inc_ie.ie6_laddr" @ 280;
    /// `ie_laddr` (`ie_dependladdr.id46_addr.ia46_addr4`): the local IPv4
    /// address, the last 4 bytes of the 16 of `ie6_laddr`.
    IE_LADDR: [u8; 4] = "xt_inp.inp_inc.inc_ie.ie_laddr" @ 292;
    /// `inp_gencnt`: the control block's generation count.
    INP_GENCNT: u64 = "xt_inp.inp_gencnt" @ 304;
    /// `inp_vflag`: `INP_IPV4` and/or `INP_IPV6`.
    INP_VFLAG: u8 = "xt_inp.inp_vflag" @ 400;
    /// `t_state`: the TCP state, `TCPS_*` of `netinet/tcp_fsm.h`.
    T_STATE: i32 = "t_state" @ 568;
}

// --- values ---------------------------------------------------------------

/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: i32 = 6;
/// `SO_ACCEPTCONN`: `listen()` was called on the socket.
pub const SO_ACCEPTCONN: i16 = 0x0002;
/// `INP_IPV4`: the control block takes IPv4.
pub const INP_IPV4: u8 = 0x1;
/// `INP_IPV6`: the control block takes IPv6 (both flags: an IPv6 socket
/// bound to the wildcard without `IPV6_V6ONLY`, taking IPv4 too).
pub const INP_IPV6: u8 = 0x2;
/// `TCPS_SYN_RECEIVED`: the state of a syncache entry's record.
pub const TCPS_SYN_RECEIVED: i32 = 3;

/// The sizes and values above, for the check against the C headers.
pub const SIZE_AND_VALUE_FACTS: &[CFact] = &[
    CFact::Size {
        strukt: "struct xinpgen",
        size: SIZEOF_XINPGEN,
    },
    CFact::Size {
        strukt: "struct xtcpcb",
        size: SIZEOF_XTCPCB,
    },
    CFact::Size {
        strukt: "struct xsocket",
        size: SIZEOF_XSOCKET,
    },
    CFact::Value {
        name: "IPPROTO_TCP",
        value: IPPROTO_TCP as i64,
    },
    CFact::Value {
        name: "SO_ACCEPTCONN",
        value: SO_ACCEPTCONN as i64,
    },
    CFact::Value {
        name: "INP_IPV4",
        value: INP_IPV4 as i64,
    },
    CFact::Value {
        name: "INP_IPV6",
        value: INP_IPV6 as i64,
    },
    CFact::Value {
        name: "TCPS_SYN_RECEIVED",
        value: TCPS_SYN_RECEIVED as i64,
    },
];

/// Every fact of this module checked against FreeBSD's headers.
pub const C_FACTS: &[&[CFact]] = &[XINPGEN_FIELDS, XTCPCB_FIELDS, SIZE_AND_VALUE_FACTS];

/// The shortest record [`decode`] reads: up to the end of the last field it
/// uses. A shorter `xt_len` is another layout, and the record is rejected.
pub const MIN_RECORD_LEN: usize = {
    let mut ends = [0; XTCPCB_FIELDS.len()];
    let mut i = 0;
    while i < ends.len() {
        if let CFact::Member { offset, size, .. } = XTCPCB_FIELDS[i] {
            ends[i] = offset + size;
        }
        i += 1;
    }
    max_end(&ends)
};

/// Which addresses a control block takes, from its `inp_vflag`.
fn stack_of(vflag: u8) -> Option<Stack> {
    match (vflag & INP_IPV4 != 0, vflag & INP_IPV6 != 0) {
        (true, true) => Some(Stack::Dual),
        (true, false) => Some(Stack::V4),
        (false, true) => Some(Stack::V6),
        (false, false) => None,
    }
}

/// A listening socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listener {
    /// The local address; `::` for a dual-stack wildcard.
    pub addr: IpAddr,
    pub stack: Stack,
    pub port: u16,
    /// `so_qlen`: connections waiting for `accept()`.
    pub qlen: u32,
    /// `so_qlimit`: the backlog.
    pub qlimit: u32,
    /// `so_uid`.
    pub uid: u32,
    /// `xso_so`: the socket's kernel address.
    pub so: u64,
}

/// The local end of a syncache entry: a handshake in SYN_RECEIVED.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HalfOpen {
    pub addr: IpAddr,
    pub port: u16,
}

/// What a buffer held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pcblist {
    pub listeners: Vec<Listener>,
    pub half_open: Vec<HalfOpen>,
    /// Records of a layout this decoder does not know (an `xt_len` shorter
    /// than [`MIN_RECORD_LEN`], an `xso_len` other than
    /// [`SIZEOF_XSOCKET`], or no address family), not read.
    pub rejected: usize,
    /// The `xt_len` of the first rejected record.
    pub rejected_len: Option<u64>,
    /// The trailing `struct xinpgen` was found: nothing was cut off.
    pub complete: bool,
}

/// Why a buffer is not a pcblist at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than a `struct xinpgen`.
    ShortHeader(usize),
    /// The header's `xig_len` is not that of a `struct xinpgen`.
    HeaderLength(u64),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::ShortHeader(n) => write!(
                f,
                "{n} bytes, shorter than its struct xinpgen header ({SIZEOF_XINPGEN})"
            ),
            DecodeError::HeaderLength(n) => write!(
                f,
                "its header says it is {n} bytes long, not {SIZEOF_XINPGEN} (struct xinpgen)"
            ),
        }
    }
}

/// What one record is.
enum Record {
    Listener(Listener),
    HalfOpen(HalfOpen),
    /// A connection, a socket of another protocol, or one made during the
    /// copy: not wanted.
    Other,
    /// Not of the known layout.
    Rejected,
}

/// The local address of a record whose control block takes `stack`.
fn local_addr(rec: &[u8], stack: Stack) -> Option<IpAddr> {
    Some(match stack {
        Stack::V4 => IpAddr::V4(Ipv4Addr::from(IE_LADDR.read(rec)?)),
        Stack::V6 | Stack::Dual => IpAddr::V6(Ipv6Addr::from(IE6_LADDR.read(rec)?)),
    })
}

/// Decodes one record (`rec` is exactly `xt_len` bytes) of a list whose
/// header has generation `gen`.
fn record(rec: &[u8], gen: u64) -> Option<Record> {
    if rec.len() < MIN_RECORD_LEN || XSO_LEN.read(rec)? != SIZEOF_XSOCKET as u64 {
        return Some(Record::Rejected);
    }
    // As netstat: other protocols and control blocks made after the copy
    // began are left out.
    if XSO_PROTOCOL.read(rec)? != IPPROTO_TCP || INP_GENCNT.read(rec)? > gen {
        return Some(Record::Other);
    }
    let so = XSO_SO.read(rec)?;
    let syncache = so == 0 && T_STATE.read(rec)? == TCPS_SYN_RECEIVED;
    let listening = so != 0 && SO_OPTIONS.read(rec)? & SO_ACCEPTCONN != 0;
    if !syncache && !listening {
        return Some(Record::Other);
    }
    let Some(stack) = stack_of(INP_VFLAG.read(rec)?) else {
        return Some(Record::Rejected);
    };
    let addr = local_addr(rec, stack)?;
    let port = u16::from_be_bytes(IE_LPORT.read(rec)?);
    Some(if syncache {
        Record::HalfOpen(HalfOpen { addr, port })
    } else {
        Record::Listener(Listener {
            addr,
            stack,
            port,
            qlen: SO_QLEN.read(rec)?,
            qlimit: SO_QLIMIT.read(rec)?,
            uid: SO_UID.read(rec)?,
            so,
        })
    })
}

/// Decodes the bytes `sysctl net.inet.tcp.pcblist` returned: the
/// listeners and the syncache's half-open handshakes. Walks the records by
/// their `xt_len` up to the trailing `struct xinpgen`; a list cut short
/// (no trailer) keeps what was read before the cut, with `complete` false.
pub fn decode(buf: &[u8]) -> Result<Pcblist, DecodeError> {
    let header = buf
        .get(..SIZEOF_XINPGEN)
        .ok_or(DecodeError::ShortHeader(buf.len()))?;
    let header_len = XIG_LEN.read(header).unwrap_or(0);
    if header_len != SIZEOF_XINPGEN as u64 {
        return Err(DecodeError::HeaderLength(header_len));
    }
    let gen = XIG_GEN.read(header).unwrap_or(0);
    let mut list = Pcblist::default();
    let mut at = SIZEOF_XINPGEN;
    while let Some(len) = buf.get(at..).and_then(|rest| XT_LEN.read(rest)) {
        if len <= SIZEOF_XINPGEN as u64 {
            // The trailer (as netstat: any length up to an xinpgen's),
            // complete when it is all there.
            list.complete = len == SIZEOF_XINPGEN as u64 && buf.len() - at >= SIZEOF_XINPGEN;
            break;
        }
        let Some(rec) = usize::try_from(len)
            .ok()
            .and_then(|n| buf.get(at..at.checked_add(n)?))
        else {
            // Runs past the buffer: cut off.
            break;
        };
        match record(rec, gen) {
            Some(Record::Listener(l)) => list.listeners.push(l),
            Some(Record::HalfOpen(h)) => list.half_open.push(h),
            Some(Record::Other) => {}
            Some(Record::Rejected) | None => {
                list.rejected += 1;
                list.rejected_len.get_or_insert(len);
            }
        }
        at += rec.len();
    }
    Ok(list)
}

/// The number of half-open handshakes of each listener, in the order of
/// `listeners` (see [`attach`]).
pub fn half_open_counts(listeners: &[Listener], half_open: &[HalfOpen]) -> Vec<u32> {
    let locals: Vec<Local> = listeners
        .iter()
        .map(|l| Local {
            addr: l.addr,
            port: l.port,
            stack: l.stack,
        })
        .collect();
    attach::half_open_counts(&locals, half_open.iter().map(|h| (h.addr, h.port)))
}

/// Byte images of pcblist answers, for the tests.
#[cfg(test)]
mod image;
#[cfg(test)]
mod tests;
