//! Fuzzes FreeBSD's `struct tcpstat` decoder: no length may make it read
//! past the buffer or panic, and a decoded counter implies the buffer
//! covers its fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::counters::{Counter, Values};
use tcp_resets::freebsd::tcpstat::{decode, field, present, setting, Layout, MAPPING};

fuzz_target!(|data: &[u8]| {
    for layout in [Layout::Before14, Layout::Since14] {
        let mut values = Values::default();
        decode(data, layout, &mut values);
        let p = present(data.len(), layout);
        for &(counter, fields) in MAPPING {
            assert_eq!(values.get(counter).is_some(), p.contains(counter));
            if values.get(counter).is_some() {
                assert!(fields
                    .iter()
                    .filter_map(|&f| layout.index(f))
                    .all(|i| (i + 1) * 8 <= data.len()));
            }
        }
        assert_eq!(values.get(Counter::OutRsts), None);
    }
    let _ = field(data, data.len());
    let _ = setting(data);
});
