//! Fuzzes the decoder of one raw tracepoint sample against the recorded
//! layouts of 6.18 and 6.1: no bytes may make it panic or read past the
//! sample, and a decoded event agrees with its layout.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tcp_resets::platform::linux::tracepoints::event::{AddrLayout, DecodeError, Direction, Layouts};
use tcp_resets::platform::linux::tracepoints::format::parse;

const FORMATS: [(&[u8], &[u8]); 2] = [
    (
        include_bytes!("../../tests/fixtures/tracefs/6.18/tcp_send_reset/format"),
        include_bytes!("../../tests/fixtures/tracefs/6.18/tcp_receive_reset/format"),
    ),
    (
        include_bytes!("../../tests/fixtures/tracefs/6.1/tcp_send_reset/format"),
        include_bytes!("../../tests/fixtures/tracefs/6.1/tcp_receive_reset/format"),
    ),
];

fn check(l: &Layouts, raw: &[u8]) {
    match l.decode(raw) {
        Ok(e) => {
            let ty = u16::from_ne_bytes([raw[0], raw[1]]);
            let layout = l.of(ty).unwrap();
            assert!(raw.len() >= layout.min_len);
            assert_eq!(e.direction, layout.direction);
            assert_eq!(e.direction == Direction::Received, e.cookie.is_some());
            assert_eq!(e.reason.is_some(), layout.reason.is_some());
            // One family for both ends in the split layout; the 6.10+
            // sockaddrs each carry their own.
            if matches!(layout.addrs, AddrLayout::Split { .. }) {
                assert_eq!(e.local.is_some(), e.remote.is_some());
            }
            if let Some(r) = e.reason {
                assert_eq!(r.index.is_some(), l.reason_name(r).is_some());
            }
            let _ = l.state_name(e.state);
        }
        Err(DecodeError::Short) => {}
        Err(DecodeError::UnknownType(t)) => assert!(l.of(t).is_none()),
    }
}

/// Parsed once: the formats are fixed.
static LAYOUTS: OnceLock<[Layouts; 2]> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let all = LAYOUTS.get_or_init(|| {
        FORMATS.map(|(send, receive)| {
            Layouts::new(&parse(send).unwrap(), &parse(receive).unwrap()).unwrap()
        })
    });
    for l in all {
        check(l, data);
        // The same bytes as each event, so that every input reaches the
        // field decoding.
        let mut buf = [0u8; 160];
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        for id in [l.send.id, l.receive.id] {
            buf[..2].copy_from_slice(&id.to_ne_bytes());
            check(l, &buf[..n.max(2)]);
        }
    }
});
