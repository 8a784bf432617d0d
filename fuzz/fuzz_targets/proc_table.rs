//! Fuzzes the /proc/net table parser and the setting-file parser: no input
//! may panic, and every value that comes out must be a decimal word of the
//! input (never a made-up number).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::counters::{Counter, Section, Values};
use tcp_resets::platform::linux::proc_table::{parse_setting, words, Table};

/// Whether some word of the input reads as `v` for the standard library's
/// parser (the oracle).
fn appears(data: &[u8], v: u64) -> bool {
    data.split(|&c| c == b'\n').flat_map(words).any(|w| {
        std::str::from_utf8(w)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            == Some(v)
    })
}

fuzz_target!(|data: &[u8]| {
    let mut values = Values::default();
    let mut tcp = Table::new(Section::Tcp);
    let mut ext = Table::new(Section::TcpExt);
    tcp.read(data, &mut values);
    ext.read(data, &mut values);
    for c in Counter::ALL {
        if let Some(v) = values.get(c) {
            assert!(appears(data, v), "{c:?} = {v} is not in the input");
        }
    }
    // Reading twice gives the same answer (resolution state is consistent).
    let mut again = Values::default();
    tcp.read(data, &mut again);
    ext.read(data, &mut again);
    assert_eq!(values, again);
    let _ = parse_setting(data);
});
