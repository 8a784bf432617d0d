use super::*;
use crate::bytes::{Field, Scalar};

/// A `struct xinpgen` of generation `gen`.
pub fn xinpgen(gen: u64) -> Vec<u8> {
    let mut b = vec![0u8; SIZEOF_XINPGEN];
    put(&mut b, XIG_LEN, SIZEOF_XINPGEN as u64);
    put(&mut b, XIG_GEN, gen);
    b
}

/// Writes `v` into `b` at `f`.
pub fn put<T: Scalar>(b: &mut [u8], f: Field<T>, v: T) {
    f.write(b, v);
}

/// A record as `tcp_inptoxtp()` makes it for a TCP socket bound to
/// `addr`:`port` (`::` with `dual` for a dual-stack wildcard), listening
/// (queue, limit) or not.
pub fn socket(addr: IpAddr, port: u16, dual: bool, listen: Option<(u32, u32)>) -> Vec<u8> {
    let mut b = vec![0u8; SIZEOF_XTCPCB];
    put(&mut b, XT_LEN, SIZEOF_XTCPCB as u64);
    put(&mut b, XSO_LEN, SIZEOF_XSOCKET as u64);
    put(&mut b, XSO_SO, 0xffff_f800_1234_0000 + u64::from(port));
    put(&mut b, XSO_PROTOCOL, IPPROTO_TCP);
    put(&mut b, SO_UID, 1001);
    put(&mut b, IE_LPORT, port.to_be_bytes());
    put(&mut b, INP_GENCNT, 7);
    local(&mut b, addr, dual);
    match listen {
        Some((qlen, qlimit)) => {
            put(&mut b, SO_OPTIONS, SO_ACCEPTCONN);
            put(&mut b, SO_QLEN, qlen);
            put(&mut b, SO_QLIMIT, qlimit);
            // TCPS_LISTEN
            put(&mut b, T_STATE, 1);
        }
        // TCPS_ESTABLISHED
        None => put(&mut b, T_STATE, 4),
    }
    b
}

/// A record as `syncache_pcblist()` makes it for a handshake to the
/// local `addr`:`port`.
pub fn syncache(addr: IpAddr, port: u16) -> Vec<u8> {
    let mut b = vec![0u8; SIZEOF_XTCPCB];
    put(&mut b, XT_LEN, SIZEOF_XTCPCB as u64);
    put(&mut b, XSO_LEN, SIZEOF_XSOCKET as u64);
    put(&mut b, XSO_PROTOCOL, IPPROTO_TCP);
    put(&mut b, T_STATE, TCPS_SYN_RECEIVED);
    put(&mut b, IE_LPORT, port.to_be_bytes());
    local(&mut b, addr, false);
    b
}

/// The local address and the family flags of a record (`dual`: an IPv6
/// socket that takes IPv4 too).
fn local(b: &mut [u8], addr: IpAddr, dual: bool) {
    match addr {
        IpAddr::V4(a) => {
            put(b, IE_LADDR, a.octets());
            put(b, INP_VFLAG, INP_IPV4);
        }
        IpAddr::V6(a) => {
            put(b, IE6_LADDR, a.octets());
            let v = if dual { INP_IPV6 | INP_IPV4 } else { INP_IPV6 };
            put(b, INP_VFLAG, v);
        }
    }
}

/// A whole answer: header, `records`, trailer.
pub fn list(records: &[Vec<u8>]) -> Vec<u8> {
    let mut b = xinpgen(10);
    for r in records {
        b.extend_from_slice(r);
    }
    b.extend(xinpgen(10));
    b
}
