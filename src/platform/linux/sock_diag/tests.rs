use super::*;

/// One `SOCK_DIAG_BY_FAMILY` message as the kernel would send it, with
/// `meminfo_vars` entries of `INET_DIAG_SKMEMINFO`.
fn message(s: &Socket, meminfo_vars: usize) -> Vec<u8> {
    let mut m = vec![0u8; MSG];
    let family = if s.addr.is_ipv6() { AF_INET6 } else { AF_INET };
    MSG_FAMILY.write(&mut m, family);
    MSG_STATE.write(&mut m, s.state);
    MSG_SPORT.write(&mut m, s.port.to_be_bytes());
    let mut src = [0u8; 16];
    match s.addr {
        IpAddr::V4(a) => src[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => src = a.octets(),
    }
    MSG_SRC.write(&mut m, src);
    MSG_RQUEUE.write(&mut m, s.queue);
    MSG_WQUEUE.write(&mut m, s.limit);
    MSG_UID.write(&mut m, s.uid);
    MSG_INODE.write(&mut m, s.inode);
    MSG_COOKIE_LOW.write(&mut m, s.cookie as u32);
    MSG_COOKIE_HIGH.write(&mut m, (s.cookie >> 32) as u32);
    if s.full {
        attribute(&mut m, INET_DIAG_SHUTDOWN, &[0]);
    }
    if let Some(only) = s.v6only {
        attribute(&mut m, INET_DIAG_SKV6ONLY, &[u8::from(only)]);
    }
    if meminfo_vars > 0 {
        let mut v = vec![0u8; 4 * meminfo_vars];
        for (i, c) in v.chunks_mut(4).enumerate() {
            c.copy_from_slice(&(1000 + i as u32).to_ne_bytes());
        }
        if v.len() >= SK_MEMINFO_DROPS.end() {
            SK_MEMINFO_DROPS.write(&mut v, s.drops.unwrap_or(0));
        }
        attribute(&mut m, INET_DIAG_SKMEMINFO, &v);
    }
    frame(SOCK_DIAG_BY_FAMILY, &m)
}

/// Appends an attribute of `kind` holding `value`, padded.
fn attribute(m: &mut Vec<u8>, kind: u16, value: &[u8]) {
    let mut a = vec![0u8; RTA_HDR];
    RTA_LEN.write(&mut a, (RTA_HDR + value.len()) as u16);
    RTA_TYPE.write(&mut a, kind);
    a.extend_from_slice(value);
    a.resize(align4(a.len()), 0);
    m.extend_from_slice(&a);
}

fn frame(kind: u16, body: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; NLMSG_HDR];
    NLMSG_LEN.write(&mut f, (NLMSG_HDR + body.len()) as u32);
    NLMSG_TYPE.write(&mut f, kind);
    NLMSG_FLAGS.write(&mut f, 2);
    NLMSG_SEQ.write(&mut f, 7);
    f.extend_from_slice(body);
    f.resize(align4(f.len()), 0);
    f
}

fn done() -> Vec<u8> {
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
        cookie: 0x1_0000_0002,
        full: true,
    }
}

#[test]
fn request_is_a_dump_of_listen_and_syn_recv_with_meminfo() {
    let r = request(AF_INET6, 9);
    assert_eq!(r.len(), 72);
    assert_eq!(r[0..4], 72u32.to_ne_bytes());
    assert_eq!(r[4..6], 20u16.to_ne_bytes());
    assert_eq!(r[6..8], 0x301u16.to_ne_bytes());
    assert_eq!(r[8..12], 9u32.to_ne_bytes());
    // idiag_ext bit 1 << (INET_DIAG_SKMEMINFO - 1) = 64.
    assert_eq!(&r[16..20], &[10, 6, 64, 0]);
    assert_eq!(r[20..24], ((1u32 << 10) | (1 << 3)).to_ne_bytes());
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
fn a_request_socket_has_no_shutdown_attribute_and_no_cookie() {
    let request = Socket {
        state: TCP_SYN_RECV,
        inode: 0,
        drops: None,
        cookie: 0,
        full: false,
        ..listener()
    };
    let b = decode(&message(&request, 0)).unwrap();
    assert_eq!(b.sockets, [request]);
    assert!(!b.sockets[0].full);
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
