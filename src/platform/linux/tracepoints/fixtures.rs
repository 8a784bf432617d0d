//! The recorded format files of `tests/fixtures/tracefs`, for the unit
//! tests.

pub const SEND_6_18: &[u8] =
    include_bytes!("../../../../tests/fixtures/tracefs/6.18/tcp_send_reset/format");
pub const RECEIVE_6_18: &[u8] =
    include_bytes!("../../../../tests/fixtures/tracefs/6.18/tcp_receive_reset/format");
pub const SEND_6_1: &[u8] =
    include_bytes!("../../../../tests/fixtures/tracefs/6.1/tcp_send_reset/format");
pub const RECEIVE_6_1: &[u8] =
    include_bytes!("../../../../tests/fixtures/tracefs/6.1/tcp_receive_reset/format");
