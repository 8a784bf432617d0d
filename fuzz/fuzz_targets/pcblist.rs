//! Fuzzes FreeBSD's `net.inet.tcp.pcblist` decoder: no bytes may make it
//! read past the buffer or panic, every record it returns must fit in the
//! buffer, and every half-open handshake goes to at most one listener.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::platform::freebsd::pcblist::{
    decode, half_open_counts, MIN_RECORD_LEN, DecodeError, SIZEOF_XINPGEN,
};

fuzz_target!(|data: &[u8]| {
    let list = match decode(data) {
        Ok(list) => list,
        Err(DecodeError::ShortHeader(n)) => {
            assert!(n == data.len() && n < SIZEOF_XINPGEN);
            return;
        }
        Err(DecodeError::HeaderLength(n)) => {
            assert_ne!(n, SIZEOF_XINPGEN as u64);
            return;
        }
    };
    // Records read were whole and did not overlap: a wanted one is at least
    // MIN_RECORD_LEN bytes, a rejected one longer than an xinpgen.
    let read = list.listeners.len() + list.half_open.len();
    assert!(
        SIZEOF_XINPGEN + read * MIN_RECORD_LEN + list.rejected * (SIZEOF_XINPGEN + 1)
            <= data.len()
    );
    assert_eq!(list.rejected == 0, list.rejected_len.is_none());
    for l in &list.listeners {
        assert_ne!(l.so, 0, "a listener has a socket");
    }
    let counts = half_open_counts(&list.listeners, &list.half_open);
    assert_eq!(counts.len(), list.listeners.len());
    let given: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    assert!(given <= list.half_open.len() as u64);
});
