use super::super::fixtures::*;
use super::super::format::parse;
use super::*;
use std::net::{Ipv6Addr, SocketAddrV4, SocketAddrV6};

fn layouts_6_18() -> Layouts {
    Layouts::new(&parse(SEND_6_18).unwrap(), &parse(RECEIVE_6_18).unwrap()).unwrap()
}

fn layouts_6_1() -> Layouts {
    Layouts::new(&parse(SEND_6_1).unwrap(), &parse(RECEIVE_6_1).unwrap()).unwrap()
}

/// A record of `format`, its fields written at the offsets the format
/// file gives (not those of the layout under test).
struct Rec {
    format: Format,
    bytes: Vec<u8>,
}

impl Rec {
    fn new(bytes: &[u8]) -> Rec {
        let format = parse(bytes).unwrap();
        let end = format
            .fields
            .iter()
            .map(|f| (f.offset + f.size) as usize)
            .max()
            .unwrap();
        let mut r = Rec {
            bytes: vec![0xa5; end],
            format,
        };
        let id = r.format.id as u16;
        r.set("common_type", &id.to_ne_bytes());
        r
    }

    fn set(&mut self, name: &str, v: &[u8]) -> &mut Rec {
        let f = self.format.field(name).unwrap();
        assert_eq!(f.size as usize, v.len(), "{name}");
        self.bytes[f.offset as usize..(f.offset + f.size) as usize].copy_from_slice(v);
        self
    }
}

fn sockaddr_in(a: SocketAddrV4) -> [u8; 28] {
    let mut b = [0u8; 28];
    b[0..2].copy_from_slice(&AF_INET.to_ne_bytes());
    b[2..4].copy_from_slice(&a.port().to_be_bytes());
    b[4..8].copy_from_slice(&a.ip().octets());
    b
}

fn sockaddr_in6(a: SocketAddrV6) -> [u8; 28] {
    let mut b = [0u8; 28];
    b[0..2].copy_from_slice(&AF_INET6.to_ne_bytes());
    b[2..4].copy_from_slice(&a.port().to_be_bytes());
    b[8..24].copy_from_slice(&a.ip().octets());
    b
}

fn v4(s: &str) -> SocketAddrV4 {
    s.parse().unwrap()
}

#[test]
fn generations_are_told_apart() {
    let new = layouts_6_18();
    assert!(new.sees_every_sent_reset());
    assert!(matches!(new.send.addrs, AddrLayout::Sockaddr { .. }));
    assert!(matches!(new.receive.addrs, AddrLayout::Split { .. }));
    assert_eq!((new.send.id, new.receive.id), (2280, 2279));
    assert_eq!((new.send.min_len, new.receive.min_len), (88, 72));
    let old = layouts_6_1();
    assert!(!old.sees_every_sent_reset());
    assert!(old.send.reason.is_none() && old.reasons().is_none());
    assert!(matches!(old.send.addrs, AddrLayout::Split { .. }));
    assert_eq!(old.send.min_len, 74);
}

#[test]
fn closed_port_reset_on_6_18_is_local_port_and_no_socket() {
    let l = layouts_6_18();
    // sk == NULL: the segment's source (the peer) went to daddr.
    let mut r = Rec::new(SEND_6_18);
    r.set("state", &0i32.to_ne_bytes())
        .set("reason", &1u32.to_ne_bytes())
        .set("saddr", &sockaddr_in(v4("127.0.0.1:9")))
        .set("daddr", &sockaddr_in(v4("127.0.0.7:40000")));
    let e = l.decode(&r.bytes).unwrap();
    assert_eq!(e.direction, Direction::Sent);
    assert_eq!(e.local, Some("127.0.0.1:9".parse().unwrap()));
    assert_eq!(e.remote, Some("127.0.0.7:40000".parse().unwrap()));
    assert_eq!(e.state, 0);
    assert_eq!(l.state_name(e.state), None);
    let reason = e.reason.unwrap();
    assert_eq!(
        reason,
        Reason {
            value: 1,
            index: Some(1)
        }
    );
    assert_eq!(l.reason_name(reason), Some("NO_SOCKET"));
    assert_eq!(e.cookie, None);
}

#[test]
fn ipv6_and_v4_mapped_sockaddrs() {
    let l = layouts_6_18();
    let mut r = Rec::new(SEND_6_18);
    let mapped = Ipv4Addr::new(127, 0, 0, 8).to_ipv6_mapped();
    r.set("state", &1i32.to_ne_bytes())
        .set("reason", &12u32.to_ne_bytes())
        .set(
            "saddr",
            &sockaddr_in6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 0, 0)),
        )
        .set(
            "daddr",
            &sockaddr_in6(SocketAddrV6::new(mapped, 50000, 0, 0)),
        );
    let e = l.decode(&r.bytes).unwrap();
    assert_eq!(e.local, Some("[::1]:443".parse().unwrap()));
    assert_eq!(e.remote, Some("127.0.0.8:50000".parse().unwrap()));
    assert_eq!(l.state_name(e.state), Some("TCP_ESTABLISHED"));
    assert_eq!(
        l.reason_name(e.reason.unwrap()),
        Some("TCP_ABORT_ON_LINGER")
    );
}

#[test]
fn unknown_family_and_reason_are_kept_unknown() {
    let l = layouts_6_18();
    let mut r = Rec::new(SEND_6_18);
    r.set("reason", &999u32.to_ne_bytes())
        .set("saddr", &[0; 28])
        .set("daddr", &[0; 28]);
    let e = l.decode(&r.bytes).unwrap();
    assert_eq!((e.local, e.remote), (None, None));
    assert_eq!(
        e.reason,
        Some(Reason {
            value: 999,
            index: None
        })
    );
    assert_eq!(l.reason_name(e.reason.unwrap()), None);
}

#[test]
fn receive_reset_has_host_order_ports_and_the_cookie() {
    for l in [layouts_6_18(), layouts_6_1()] {
        let bytes = if l.send.reason.is_some() {
            RECEIVE_6_18
        } else {
            RECEIVE_6_1
        };
        let mut r = Rec::new(bytes);
        r.set("sport", &40000u16.to_ne_bytes())
            .set("dport", &80u16.to_ne_bytes())
            .set("family", &AF_INET.to_ne_bytes())
            .set("saddr", &[127, 0, 0, 7])
            .set("daddr", &[127, 0, 0, 8])
            .set("sock_cookie", &0x1234u64.to_ne_bytes());
        let e = l.decode(&r.bytes).unwrap();
        assert_eq!(e.direction, Direction::Received);
        assert_eq!(e.local, Some("127.0.0.7:40000".parse().unwrap()));
        assert_eq!(e.remote, Some("127.0.0.8:80".parse().unwrap()));
        assert_eq!((e.cookie, e.reason, e.state), (Some(0x1234), None, 0));
    }
}

#[test]
fn send_reset_of_6_1_reads_the_v6_fields_for_inet6() {
    let l = layouts_6_1();
    let mut r = Rec::new(SEND_6_1);
    let peer: Ipv6Addr = "2001:db8::1".parse().unwrap();
    r.set("state", &6i32.to_ne_bytes())
        .set("sport", &8080u16.to_ne_bytes())
        .set("dport", &51000u16.to_ne_bytes())
        .set("family", &AF_INET6.to_ne_bytes())
        .set("saddr_v6", &Ipv6Addr::LOCALHOST.octets())
        .set("daddr_v6", &peer.octets());
    let e = l.decode(&r.bytes).unwrap();
    assert_eq!(e.local, Some("[::1]:8080".parse().unwrap()));
    assert_eq!(e.remote, Some("[2001:db8::1]:51000".parse().unwrap()));
    assert_eq!(l.state_name(e.state), Some("TCP_TIME_WAIT"));
    assert_eq!(e.reason, None);
}

#[test]
fn short_and_foreign_samples_are_errors() {
    let l = layouts_6_18();
    let r = Rec::new(SEND_6_18);
    for n in 0..l.send.min_len {
        assert_eq!(
            l.decode(&r.bytes[..n]),
            Err(DecodeError::Short),
            "{n} bytes"
        );
    }
    let mut other = r.bytes.clone();
    other[..2].copy_from_slice(&7u16.to_ne_bytes());
    assert_eq!(l.decode(&other), Err(DecodeError::UnknownType(7)));
}

fn layout_error(send: &str, receive: &str) -> LayoutError {
    Layouts::new(
        &parse(send.as_bytes()).unwrap(),
        &parse(receive.as_bytes()).unwrap(),
    )
    .unwrap_err()
}

#[test]
fn formats_of_other_layouts_are_refused() {
    let s = std::str::from_utf8(SEND_6_18).unwrap();
    let r = std::str::from_utf8(RECEIVE_6_18).unwrap();
    let e = layout_error(s, &r.replace("name: tcp_receive_reset", "name: tcp_probe"));
    assert_eq!(
        (e.event, e.problem),
        (RECEIVE, "the format is another event's")
    );
    let e = layout_error(
        &s.replace(
            "int state;\toffset:24;\tsize:4",
            "int state;\toffset:24;\tsize:2",
        ),
        r,
    );
    assert_eq!(
        (e.event, e.field, e.problem),
        (SEND, "state", "has an unexpected size")
    );
    let e = layout_error(&s.replace("saddr[28]", "saddr[27]"), r);
    assert_eq!(e.field, "saddr");
    let e = layout_error(s, &r.replace("field:__u16 sport;", "field:__u16 xport;"));
    assert_eq!((e.event, e.field), (RECEIVE, ""));
    let e = layout_error(
        s,
        &r.replace("field:__u8 daddr_v6[16]", "field:__u8 dst_v6[16]"),
    );
    assert_eq!((e.field, e.problem), ("daddr_v6", "is missing"));
    let e = layout_error(s, &r.replace("ID: 2279", "ID: 2280"));
    assert_eq!(e.problem, "has the same ID as tcp_receive_reset");
    let e = layout_error(s, &r.replace("ID: 2279", "ID: 70000"));
    assert_eq!(e.problem, "its ID does not fit common_type");
    let e = layout_error(&s.replace("offset:60;", "offset:65530;"), r);
    assert_eq!(
        (e.field, e.problem),
        ("daddr", "lies past the largest possible record")
    );
    let no_table = s.split("print fmt:").next().unwrap();
    let e = layout_error(no_table, r);
    assert_eq!(
        (e.field, e.problem),
        ("reason", "has no __print_symbolic table in print fmt")
    );
}
