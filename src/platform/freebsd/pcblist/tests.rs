use super::image::*;
use super::*;

fn v4(s: &str) -> IpAddr {
    IpAddr::V4(s.parse().unwrap())
}
fn v6(s: &str) -> IpAddr {
    IpAddr::V6(s.parse().unwrap())
}

#[test]
fn layout_is_that_of_freebsd_13_to_15() {
    // The largest offset read is t_state's; the record is 744 bytes.
    assert_eq!(MIN_RECORD_LEN, 572);
    const { assert!(MIN_RECORD_LEN <= SIZEOF_XTCPCB) };
    // IPv4 addresses are the last 4 of the 16 bytes.
    assert_eq!(IE_LADDR.end(), IE6_LADDR.end());
    assert_eq!(
        XSO_LEN.offset() + SIZEOF_XSOCKET,
        256,
        "xsocket ends where inp_inc begins"
    );
}

#[test]
fn ipv4_ipv6_and_dual_stack_listeners() {
    let buf = list(&[
        socket(v4("127.0.0.1"), 8080, false, Some((4, 3))),
        socket(v6("::1"), 443, false, Some((0, 128))),
        socket(v6("::"), 22, true, Some((1, 4096))),
        socket(v4("0.0.0.0"), 25, false, Some((0, 0))),
    ]);
    let l = decode(&buf).unwrap();
    assert!(l.complete);
    assert_eq!(l.rejected, 0);
    let got: Vec<(IpAddr, Stack, u16, u32, u32)> = l
        .listeners
        .iter()
        .map(|l| (l.addr, l.stack, l.port, l.qlen, l.qlimit))
        .collect();
    assert_eq!(
        got,
        [
            (v4("127.0.0.1"), Stack::V4, 8080, 4, 3),
            (v6("::1"), Stack::V6, 443, 0, 128),
            (v6("::"), Stack::Dual, 22, 1, 4096),
            // listen(s, 0): a listener all the same.
            (v4("0.0.0.0"), Stack::V4, 25, 0, 0),
        ]
    );
    assert_eq!(l.listeners[0].uid, 1001);
    assert_eq!(l.listeners[0].so, 0xffff_f800_1234_0000 + 8080);
    assert!(l.half_open.is_empty());
}

#[test]
fn ports_are_in_network_byte_order() {
    let l = decode(&list(&[socket(
        v4("10.0.0.1"),
        0x1f90,
        false,
        Some((0, 1)),
    )]))
    .unwrap();
    assert_eq!(l.listeners[0].port, 8080);
    let mut r = socket(v4("10.0.0.1"), 1, false, Some((0, 1)));
    assert_eq!(r[IE_LPORT.offset()..IE_LPORT.end()], [0, 1]);
    put(&mut r, IE_LPORT, [0x1f, 0x90]);
    assert_eq!(decode(&list(&[r])).unwrap().listeners[0].port, 8080);
}

#[test]
fn syncache_entries_are_half_open_and_connections_are_left_out() {
    let buf = list(&[
        syncache(v4("192.0.2.1"), 80),
        syncache(v6("2001:db8::1"), 80),
        socket(v4("0.0.0.0"), 80, false, Some((0, 128))),
        socket(v4("192.0.2.1"), 80, false, None),
    ]);
    let l = decode(&buf).unwrap();
    assert_eq!(l.listeners.len(), 1);
    assert_eq!(
        l.half_open,
        [
            HalfOpen {
                addr: v4("192.0.2.1"),
                port: 80
            },
            HalfOpen {
                addr: v6("2001:db8::1"),
                port: 80
            },
        ]
    );
}

#[test]
fn a_socket_in_syn_received_is_not_a_syncache_entry() {
    // TCP Fast Open makes a socket at once; it is in the accept queue.
    let mut r = socket(v4("192.0.2.1"), 80, false, None);
    put(&mut r, T_STATE, TCPS_SYN_RECEIVED);
    assert!(decode(&list(&[r])).unwrap().half_open.is_empty());
}

#[test]
fn other_protocols_and_newer_generations_are_left_out() {
    let mut udp = socket(v4("0.0.0.0"), 53, false, Some((0, 5)));
    put(&mut udp, XSO_PROTOCOL, 17);
    let mut late = socket(v4("0.0.0.0"), 54, false, Some((0, 5)));
    put(&mut late, INP_GENCNT, 11);
    let l = decode(&list(&[udp, late])).unwrap();
    assert!(l.listeners.is_empty());
    assert_eq!(l.rejected, 0);
    assert!(l.complete);
}

#[test]
fn records_are_walked_by_xt_len() {
    // A longer record (a later release appending fields) is read, and
    // the next one found after it.
    let mut long = lo(1);
    long.extend_from_slice(&[0xee; 56]);
    put(&mut long, XT_LEN, 800);
    let buf = list(&[long, lo(2)]);
    let l = decode(&buf).unwrap();
    let ports: Vec<u16> = l.listeners.iter().map(|l| l.port).collect();
    assert_eq!(ports, [1, 2]);
    assert!(l.complete);
}

#[test]
fn a_record_too_short_for_its_fields_is_rejected_not_read() {
    let mut short = lo(1);
    short.truncate(MIN_RECORD_LEN - 1);
    let n = short.len() as u64;
    put(&mut short, XT_LEN, n);
    let buf = list(&[short, lo(2)]);
    let l = decode(&buf).unwrap();
    assert_eq!(l.rejected, 1);
    assert_eq!(l.rejected_len, Some(571));
    assert_eq!(l.listeners.len(), 1);
    assert_eq!(l.listeners[0].port, 2);
    assert!(l.complete);
    // Exactly long enough is read.
    let mut exact = lo(3);
    exact.truncate(MIN_RECORD_LEN);
    let n = exact.len() as u64;
    put(&mut exact, XT_LEN, n);
    assert_eq!(decode(&list(&[exact])).unwrap().listeners.len(), 1);
}

#[test]
fn another_xsocket_or_no_family_is_rejected() {
    let mut big = lo(1);
    put(&mut big, XSO_LEN, 248);
    let mut none = lo(2);
    put(&mut none, INP_VFLAG, 0x4);
    let l = decode(&list(&[big, none])).unwrap();
    assert!(l.listeners.is_empty());
    assert_eq!((l.rejected, l.rejected_len), (2, Some(744)));
}

#[test]
fn truncated_buffers_keep_the_records_before_the_cut() {
    let full = list(&[lo(1), lo(2)]);
    for cut in 0..full.len() {
        let b = &full[..cut];
        match decode(b) {
            Err(DecodeError::ShortHeader(n)) => assert!(n < SIZEOF_XINPGEN && n == cut),
            Err(e) => panic!("{cut}: {e:?}"),
            Ok(l) => {
                assert!(!l.complete, "cut at {cut} taken for complete");
                let whole = (cut - SIZEOF_XINPGEN) / SIZEOF_XTCPCB;
                assert_eq!(l.listeners.len(), whole.min(2), "cut at {cut}");
                assert_eq!(l.rejected, 0);
            }
        }
    }
    assert!(decode(&full).unwrap().complete);
}

#[test]
fn headers_that_are_not_an_xinpgen_are_refused() {
    assert_eq!(decode(&[]), Err(DecodeError::ShortHeader(0)));
    let mut h = list(&[]);
    put(&mut h, XIG_LEN, 744);
    assert_eq!(decode(&h), Err(DecodeError::HeaderLength(744)));
    put(&mut h, XIG_LEN, 0);
    assert_eq!(decode(&h), Err(DecodeError::HeaderLength(0)));
    // Only a header and a trailer: no sockets visible.
    let l = decode(&list(&[])).unwrap();
    assert_eq!(
        l,
        Pcblist {
            complete: true,
            ..Pcblist::default()
        }
    );
}

#[test]
fn huge_and_odd_lengths_end_the_walk() {
    // Past the buffer: the walk ends there.
    for len in [u64::MAX, 1 << 40, 745 + 64] {
        let mut r = lo(1);
        put(&mut r, XT_LEN, len);
        let l = decode(&list(&[r])).unwrap();
        assert!(l.listeners.is_empty(), "{len}");
        assert_eq!(l.rejected, 0);
        assert!(!l.complete, "{len}");
    }
    // Too short: rejected, and the walk goes on from where it says.
    let mut r = lo(1);
    put(&mut r, XT_LEN, 65);
    let l = decode(&list(&[r])).unwrap();
    assert!(l.listeners.is_empty());
    assert_eq!(l.rejected_len, Some(65));
    // Long enough but wrong: read as it says, and the next length is
    // found in the middle of the real record's bytes.
    let mut r = lo(1);
    put(&mut r, XT_LEN, 743);
    let l = decode(&list(&[r])).unwrap();
    assert_eq!(l.listeners.len(), 1);
    assert!(!l.complete);
    // A short trailer ends the walk but the list is not complete.
    let mut b = list(&[]);
    b.truncate(SIZEOF_XINPGEN + 8);
    put(&mut b[SIZEOF_XINPGEN..], XT_LEN, 8);
    let l = decode(&b).unwrap();
    assert!(!l.complete);
}

#[test]
fn garbage_never_panics() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for n in 0..2000usize {
        let mut b = xinpgen(u64::MAX);
        for _ in 0..(n % 3000) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.push(x as u8);
        }
        // Now and then a record length that walks into the garbage.
        if n % 2 == 0 && b.len() >= SIZEOF_XINPGEN + 8 {
            let len = (x % 1600) + 1;
            put(&mut b[SIZEOF_XINPGEN..], XT_LEN, len);
        }
        let _ = decode(&b);
    }
}

fn listener(addr: IpAddr, stack: Stack, port: u16) -> Listener {
    Listener {
        addr,
        stack,
        port,
        qlen: 0,
        qlimit: 1,
        uid: 0,
        so: 1,
    }
}

fn half(addr: IpAddr, port: u16) -> HalfOpen {
    HalfOpen { addr, port }
}

#[test]
fn half_open_go_to_the_listener_the_kernel_would_choose() {
    let ls = [
        listener(v6("::"), Stack::Dual, 80),
        listener(v4("0.0.0.0"), Stack::V4, 80),
        listener(v4("192.0.2.1"), Stack::V4, 80),
        listener(v6("::"), Stack::V6, 443),
        listener(v4("127.0.0.1"), Stack::V4, 443),
        listener(v6("::"), Stack::Dual, 22),
    ];
    let hs = [
        // Exact address before any wildcard.
        half(v4("192.0.2.1"), 80),
        // IPv4 wildcard before the dual-stack one.
        half(v4("198.51.100.7"), 80),
        // IPv6 on port 80: only the dual-stack listener takes it.
        half(v6("2001:db8::5"), 80),
        // IPv4 to an IPv6-only wildcard: not its listener.
        half(v4("192.0.2.1"), 443),
        half(v6("fe80::1"), 443),
        // IPv4 through a dual-stack listener.
        half(v4("10.1.1.1"), 22),
        half(v6("::1"), 22),
        // No listener on that port (closed since).
        half(v4("10.1.1.1"), 9999),
    ];
    assert_eq!(half_open_counts(&ls, &hs), [1, 1, 1, 1, 0, 2]);
    assert_eq!(half_open_counts(&ls, &[]), [0; 6]);
    assert!(half_open_counts(&[], &hs).is_empty());
}

#[test]
fn equal_listeners_share_nothing_the_first_takes_all() {
    // SO_REUSEPORT: two sockets on the same address and port.
    let ls = [
        listener(v4("0.0.0.0"), Stack::V4, 80),
        listener(v4("0.0.0.0"), Stack::V4, 80),
    ];
    let hs = [half(v4("10.0.0.1"), 80), half(v4("10.0.0.2"), 80)];
    assert_eq!(half_open_counts(&ls, &hs), [2, 0]);
}

#[test]
fn syncache_records_decode_into_counts() {
    let buf = list(&[
        syncache(v4("127.0.0.1"), 8080),
        syncache(v4("127.0.0.1"), 8080),
        syncache(v6("::1"), 8080),
        socket(v4("127.0.0.1"), 8080, false, Some((4, 3))),
        socket(v6("::"), 8080, true, Some((0, 10))),
    ]);
    let l = decode(&buf).unwrap();
    assert_eq!(half_open_counts(&l.listeners, &l.half_open), [2, 1]);
}

/// Writes the fuzzer's seeds (`fuzz/seeds/pcblist/`) from the images
/// above: `cargo test --lib write_pcblist_fuzz_seeds -- --ignored`.
#[test]
#[ignore = "writes fuzz/seeds/pcblist; run by hand"]
fn write_pcblist_fuzz_seeds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds/pcblist");
    std::fs::create_dir_all(dir).unwrap();
    let mixed = list(&[
        syncache(v4("192.0.2.1"), 80),
        syncache(v6("2001:db8::1"), 443),
        socket(v4("0.0.0.0"), 80, false, Some((3, 128))),
        socket(v6("::"), 443, true, Some((0, 4096))),
        socket(v6("::1"), 8443, false, Some((0, 0))),
        socket(v4("192.0.2.1"), 80, false, None),
    ]);
    let mut short = lo(1);
    short.truncate(MIN_RECORD_LEN - 1);
    let n = short.len() as u64;
    put(&mut short, XT_LEN, n);
    let mut long = socket(v4("127.0.0.1"), 2, false, Some((1, 1)));
    long.extend_from_slice(&[0; 64]);
    put(&mut long, XT_LEN, 808);
    let seeds: [(&str, Vec<u8>); 6] = [
        ("empty-list", list(&[])),
        ("mixed", mixed.clone()),
        ("truncated", mixed[..mixed.len() / 2].to_vec()),
        ("short-and-long-records", list(&[short, long])),
        ("header-only", xinpgen(1)),
        (
            "listener-v4",
            list(&[socket(v4("127.0.0.1"), 8080, false, Some((4, 3)))]),
        ),
    ];
    for (name, bytes) in seeds {
        std::fs::write(format!("{dir}/{name}"), bytes).unwrap();
    }
}

/// A listener on 127.0.0.1:`port`, empty, with a backlog of 1.
fn lo(port: u16) -> Vec<u8> {
    socket(v4("127.0.0.1"), port, false, Some((0, 1)))
}
