use super::sys::*;
use super::*;

#[test]
fn refusals_name_the_missing_privilege_and_setting() {
    let denied = OpenError::PerfDenied {
        event: SEND,
        errno: libc::EACCES,
        paranoid: Some(3),
    }
    .to_string();
    assert!(denied.contains("tcp:tcp_send_reset"), "{denied}");
    assert!(denied.contains("perf_event_paranoid is 3"), "{denied}");
    assert!(
        denied.contains("CAP_PERFMON") && denied.contains("CAP_SYS_ADMIN"),
        "{denied}"
    );
    assert!(denied.contains("Permission denied"), "{denied}");
    let tracefs = OpenError::TracefsDenied {
        errno: libc::EACCES,
    }
    .to_string();
    assert!(
        tracefs.contains("CAP_DAC_READ_SEARCH") && tracefs.contains("0700"),
        "{tracefs}"
    );
    assert!(OpenError::TracefsNotMounted
        .to_string()
        .contains("mount -t tracefs"));
    let missing = OpenError::NoTracepoint { event: RECEIVE }.to_string();
    assert!(
        missing.contains("tcp:tcp_receive_reset") && missing.contains("4.15"),
        "{missing}"
    );
    for e in [denied, tracefs, missing] {
        assert!(!e.contains('\n'), "one line: {e}");
    }
}

#[test]
fn ring_size_for_a_rate() {
    assert_eq!(RingSize::for_rate(0, 50, 4096).data_pages, 1);
    // 20,000 samples/s for 50 ms of 128 bytes: 128,000 bytes, 32 pages.
    assert_eq!(RingSize::for_rate(20_000, 50, 4096).data_pages, 32);
    assert_eq!(
        RingSize::for_rate(u64::MAX, u64::MAX, 4096).data_pages,
        1 << 20
    );
}

#[test]
fn the_attr_is_the_first_published_layout() {
    assert_eq!(std::mem::size_of::<PerfEventAttr>(), 64);
    assert_eq!(std::mem::offset_of!(PerfEventAttr, sample_type), 24);
    assert_eq!(std::mem::offset_of!(PerfEventAttr, wakeup), 48);
    assert_eq!(std::mem::offset_of!(PerfEventAttr, config1), 56);
}
