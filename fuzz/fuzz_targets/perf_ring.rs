//! Fuzzes the perf mmap ring decoder: the first 16 bytes are `data_tail`
//! and `data_head`, the rest the data area (cut to a power of two, or not,
//! as the fuzzer chose by its length). No bytes may make it panic or loop:
//! the tail always ends at the head, every record handed out lies within
//! the ring, and each sample then goes through the 6.18 decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tcp_resets::platform::linux::tracepoints::event::Layouts;
use tcp_resets::platform::linux::tracepoints::format::parse;
use tcp_resets::platform::linux::tracepoints::ring::{walk, Record, HEADER_LEN, RAW_DATA};

const SEND: &[u8] = include_bytes!("../../tests/fixtures/tracefs/6.18/tcp_send_reset/format");
const RECEIVE: &[u8] = include_bytes!("../../tests/fixtures/tracefs/6.18/tcp_receive_reset/format");

/// Parsed once: the formats are fixed.
static LAYOUTS: OnceLock<Layouts> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    if data.len() < 16 {
        return;
    }
    let tail = u64::from_ne_bytes(data[0..8].try_into().unwrap());
    let head = u64::from_ne_bytes(data[8..16].try_into().unwrap());
    let area = &data[16..];
    let l = LAYOUTS
        .get_or_init(|| Layouts::new(&parse(SEND).unwrap(), &parse(RECEIVE).unwrap()).unwrap());
    let (mut samples, mut losts, mut bytes) = (0u64, 0u64, 0usize);
    let w = walk(area, tail, head, |r| match r {
        Record::Sample(raw) => {
            samples += 1;
            bytes += raw.len() + RAW_DATA;
            let _ = l.decode(raw);
        }
        Record::Lost { .. } => losts += 1,
    });
    assert_eq!(w.tail, head);
    assert_eq!(w.samples, samples);
    // Whole records, each at least a header, within the pending bytes.
    let pending = head.wrapping_sub(tail);
    assert!(bytes as u64 <= pending);
    assert!((samples + losts + w.other + w.too_long) * HEADER_LEN as u64 <= pending);
});
