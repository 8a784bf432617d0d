//! Fuzzes FreeBSD's `struct tcpstat` decoder: no length may make it read
//! past the buffer or panic, and a decoded counter implies the buffer
//! covers its fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::counters::{Counter, Values};
use tcp_resets::platform::freebsd::tcpstat::{decode, field, present, setting, Layout, Mapping};

fuzz_target!(|data: &[u8]| {
    for layout in [Layout::Before14, Layout::Since14] {
        let m = Mapping::new(layout);
        let mut values = Values::default();
        decode(data, &m, &mut values);
        let p = present(data.len(), &m);
        for counter in Counter::ALL {
            assert_eq!(values.get(counter).is_some(), p.contains(counter));
            if values.get(counter).is_some() {
                assert!(m.of(counter).all(|i| (i + 1) * 8 <= data.len()));
            }
        }
        assert_eq!(values.get(Counter::OutRsts), None);
    }
    let _ = field(data, data.len());
    let _ = setting(data);
});
