//! Fuzzes the tracefs `format` parser: no bytes may make it panic, what it
//! returns stays within its bounds, parsing is repeatable, and a parsed
//! format either gives a reset layout or a layout error (never a panic).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::platform::linux::tracepoints::event::Layouts;
use tcp_resets::platform::linux::tracepoints::format::{parse, MAX_FIELDS, MAX_SYMBOLS, MAX_TABLES};

const RECEIVE_6_18: &[u8] =
    include_bytes!("../../tests/fixtures/tracefs/6.18/tcp_receive_reset/format");
const SEND_6_18: &[u8] = include_bytes!("../../tests/fixtures/tracefs/6.18/tcp_send_reset/format");

fuzz_target!(|data: &[u8]| {
    let first = parse(data);
    assert_eq!(first, parse(data));
    let Ok(f) = first else { return };
    assert!(!f.name.is_empty());
    assert!(f.fields.len() <= MAX_FIELDS && f.symbols.len() <= MAX_TABLES);
    for t in &f.symbols {
        assert!(t.entries.len() <= MAX_SYMBOLS);
    }
    for d in &f.fields {
        assert!(
            !d.name.is_empty()
                && d.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        );
    }
    // As either event, against the other event's real format.
    let send = parse(SEND_6_18).unwrap();
    let receive = parse(RECEIVE_6_18).unwrap();
    for l in [Layouts::new(&f, &receive), Layouts::new(&send, &f)]
        .into_iter()
        .flatten()
    {
        let _ = l.decode(data);
        let _ = l.decode(&[0u8; 128]);
    }
});
