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
//! `packaging/freebsd/check-pcblist.sh` turns every `pub const` of this
//! file into a C11 `_Static_assert` compiled against FreeBSD's own headers,
//! by these rules (a constant that follows none of them fails the check):
//!
//! * `pub const <MEMBER>: Field<T> = Field::at(<offset>);` — `<MEMBER>` is
//!   the C member's name in upper case, and its prefix says where it lives:
//!   `XIG_` in `struct xinpgen`; in `struct xtcpcb`, `XT_` and `T_`
//!   directly, `XI_` and `INP_` in `xt_inp`, `XSO_` and `SO_` in
//!   `xt_inp.xi_socket`, `INC_` in `xt_inp.inp_inc` and `IE_`/`IE6_` in
//!   `xt_inp.inp_inc.inc_ie`. Checked: `offsetof` is `<offset>` and the
//!   member is `size_of::<T>()` bytes long.
//! * `pub const SIZEOF_<STRUCT>: usize = <n>;` — `sizeof(struct <struct>)`.
//! * any other `pub const <NAME>: <integer type> = <value>;` — FreeBSD's
//!   macro `<NAME>` has that value.

pub use crate::listeners::attach::Stack;
use crate::listeners::attach::{self, Local};
use std::fmt;
use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A value that can be read from bytes: a native-endian integer, or a run
/// of bytes kept as they are.
pub trait Scalar: Sized {
    /// Its length in bytes.
    const SIZE: usize;
    /// The value in `b`, which is exactly [`Self::SIZE`] bytes long.
    fn from_bytes(b: &[u8]) -> Option<Self>;
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn from_bytes(b: &[u8]) -> Option<Self> {
                Some(<$t>::from_ne_bytes(b.try_into().ok()?))
            }
        }
    )*};
}
scalar!(u8, i16, u16, i32, u32, u64);

impl<const N: usize> Scalar for [u8; N] {
    const SIZE: usize = N;
    fn from_bytes(b: &[u8]) -> Option<Self> {
        b.try_into().ok()
    }
}

/// A field of type `T` at a byte offset from the start of a struct.
pub struct Field<T> {
    offset: usize,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Field<T> {}

impl<T> fmt::Debug for Field<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Field({})", self.offset)
    }
}

impl<T: Scalar> Field<T> {
    /// The field at `offset`.
    pub const fn at(offset: usize) -> Field<T> {
        Field {
            offset,
            kind: PhantomData,
        }
    }

    /// Its offset from the start of the struct.
    pub const fn offset(self) -> usize {
        self.offset
    }

    /// The offset of the first byte after it.
    pub const fn end(self) -> usize {
        self.offset + T::SIZE
    }

    /// Its value in `b`, or `None` when `b` is too short to hold it.
    pub fn read(self, b: &[u8]) -> Option<T> {
        T::from_bytes(b.get(self.offset..self.end())?)
    }
}

// --- struct xinpgen: the header and the trailer --------------------------

/// `sizeof(struct xinpgen)`: the header's length, and the longest a
/// trailer can be.
pub const SIZEOF_XINPGEN: usize = 64;
/// `xig_len` (`ksize_t`): the length of this `struct xinpgen`.
pub const XIG_LEN: Field<u64> = Field::at(0);
/// `xig_gen` (`inp_gen_t`): the control blocks' generation count when the
/// copy began; a record of a later generation was made during the copy.
pub const XIG_GEN: Field<u64> = Field::at(16);

// --- struct xtcpcb: one record -------------------------------------------

/// `sizeof(struct xtcpcb)`: a record's length in FreeBSD 13, 14 and 15.
pub const SIZEOF_XTCPCB: usize = 744;
/// `sizeof(struct xsocket)`: what `xso_len` holds in every record.
pub const SIZEOF_XSOCKET: usize = 240;
/// `xt_len` (`ksize_t`): the record's length.
pub const XT_LEN: Field<u64> = Field::at(0);
/// `xt_inp.xi_socket.xso_len` (`ksize_t`): the embedded `struct xsocket`'s
/// length; another value means another layout.
pub const XSO_LEN: Field<u64> = Field::at(16);
/// `xt_inp.xi_socket.xso_so` (`kvaddr_t`): the kernel address of the
/// socket; 0 for a syncache entry, which has none yet.
pub const XSO_SO: Field<u64> = Field::at(24);
/// `xt_inp.xi_socket.xso_protocol`: `IPPROTO_TCP`.
pub const XSO_PROTOCOL: Field<i32> = Field::at(112);
/// `xt_inp.xi_socket.so_qlen`: a listener's completed connections waiting
/// for `accept()` (`sol_qlen`); 0 for other sockets.
pub const SO_QLEN: Field<u32> = Field::at(120);
/// `xt_inp.xi_socket.so_incqlen`: a listener's connections held back by
/// an accept filter (`sol_incqlen`); handshakes in progress are syncache
/// entries, not counted here.
pub const SO_INCQLEN: Field<u32> = Field::at(124);
/// `xt_inp.xi_socket.so_qlimit`: a listener's `listen()` backlog capped
/// by `kern.ipc.soacceptqueue` (`sol_qlimit`); 0 after `listen(s, 0)`.
pub const SO_QLIMIT: Field<u32> = Field::at(128);
/// `xt_inp.xi_socket.so_uid` (`uid_t`): the effective uid of the
/// socket's creator (`so_cred->cr_uid`).
pub const SO_UID: Field<u32> = Field::at(136);
/// `xt_inp.xi_socket.so_options`: `SO_*` flags; `SO_ACCEPTCONN` on a
/// listener.
pub const SO_OPTIONS: Field<i16> = Field::at(174);
/// `xt_inp.inp_inc.inc_ie.ie_lport`: the local port, in network byte
/// order.
pub const IE_LPORT: Field<[u8; 2]> = Field::at(262);
/// `xt_inp.inp_inc.inc_ie.ie6_laddr` (`ie_dependladdr.id6_addr`): the
/// local IPv6 address.
pub const IE6_LADDR: Field<[u8; 16]> = Field::at(280);
/// `xt_inp.inp_inc.inc_ie.ie_laddr` (`ie_dependladdr.id46_addr.ia46_addr4`):
/// the local IPv4 address, the last 4 bytes of the 16 of `ie6_laddr`.
pub const IE_LADDR: Field<[u8; 4]> = Field::at(292);
/// `xt_inp.inp_gencnt`: the control block's generation count.
pub const INP_GENCNT: Field<u64> = Field::at(304);
/// `xt_inp.inp_vflag`: `INP_IPV4` and/or `INP_IPV6`.
pub const INP_VFLAG: Field<u8> = Field::at(400);
/// `t_state`: the TCP state, `TCPS_*` of `netinet/tcp_fsm.h`.
pub const T_STATE: Field<i32> = Field::at(568);

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

/// The `end()` of every record field [`decode`] reads.
const RECORD_FIELD_ENDS: [usize; 13] = [
    XT_LEN.end(),
    XSO_LEN.end(),
    XSO_SO.end(),
    XSO_PROTOCOL.end(),
    SO_QLEN.end(),
    SO_INCQLEN.end(),
    SO_QLIMIT.end(),
    SO_UID.end(),
    SO_OPTIONS.end(),
    IE_LPORT.end(),
    IE6_LADDR.end(),
    INP_GENCNT.end(),
    T_STATE.end(),
];

const fn max_of(v: &[usize]) -> usize {
    let mut m = 0;
    let mut i = 0;
    while i < v.len() {
        if v[i] > m {
            m = v[i];
        }
        i += 1;
    }
    m
}

/// The shortest record [`decode`] reads: up to the end of the last field it
/// uses. A shorter `xt_len` is another layout, and the record is rejected.
pub fn min_record_len() -> usize {
    max_of(&RECORD_FIELD_ENDS)
        .max(IE_LADDR.end())
        .max(INP_VFLAG.end())
}

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
    /// than [`min_record_len`], an `xso_len` other than
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
    if rec.len() < min_record_len() || XSO_LEN.read(rec)? != SIZEOF_XSOCKET as u64 {
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
/// `listeners` (see [`attach`](crate::listeners::attach)).
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
