//! Fuzzes the decoding of the kernel's `sock_diag` answer: no input may
//! panic or read past the buffer, a decoded socket needs a whole message,
//! and the answer is the same however often it is decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::platform::linux::sock_diag::decode;

/// `struct nlmsghdr` and `struct inet_diag_msg`.
const SMALLEST_SOCKET_MESSAGE: usize = 16 + 72;

fuzz_target!(|data: &[u8]| {
    let first = decode(data);
    if let Ok(batch) = &first {
        assert!(batch.sockets.len() * SMALLEST_SOCKET_MESSAGE <= data.len());
        if batch.error.is_some() {
            assert!(batch.done);
        }
    }
    assert_eq!(first, decode(data));
});
