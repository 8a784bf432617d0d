use super::*;

/// A `struct tcpstat` image of `fields` counters where field i holds
/// 1000 + i, with `overrides` applied.
fn image(fields: usize, overrides: &[(usize, u64)]) -> Vec<u8> {
    let mut v: Vec<u64> = (0..fields as u64).map(|i| 1000 + i).collect();
    for &(i, x) in overrides {
        v[i] = x;
    }
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

#[test]
fn fields_decode_at_their_freebsd_13_indices() {
    let buf = image(120, &[]);
    let mut v = Values::default();
    decode(&buf, &Mapping::new(Layout::Before14), &mut v);
    assert_eq!(v.get(Counter::AttemptFails), Some(1004));
    assert_eq!(v.get(Counter::EstabResets), Some(1003));
    assert_eq!(v.get(Counter::ListenOverflows), Some(1062));
    // No tcps_progdrops before FreeBSD 14.
    assert_eq!(v.get(Counter::TCPAbortOnTimeout), Some(1010 + 1015 + 1059));
    assert_eq!(v.get(Counter::EmbryonicRsts), Some(1071));
    assert_eq!(v.get(Counter::SyncookiesSent), Some(1077));
    assert_eq!(v.get(Counter::SyncookiesRecv), Some(1078));
    assert_eq!(v.get(Counter::BadRsts), Some(1063));
    assert_eq!(
        v.get(Counter::OutRsts),
        None,
        "FreeBSD counts no sent resets"
    );
}

#[test]
fn freebsd_14_fields_after_progdrops_move_up_by_one() {
    // Offsets checked against FreeBSD 14's tcp_var.h: persistdrop 60,
    // listendrop 63, badrst 64, sc_reset 72, sc_sendcookie 78,
    // sc_recvcookie 79; fields before tcps_progdrops (16) stay.
    let buf = image(120, &[]);
    let mut v = Values::default();
    decode(&buf, &Mapping::new(Layout::Since14), &mut v);
    assert_eq!(v.get(Counter::AttemptFails), Some(1004));
    assert_eq!(v.get(Counter::EstabResets), Some(1003));
    // ... and tcps_progdrops (16) joins the timeout drops.
    assert_eq!(
        v.get(Counter::TCPAbortOnTimeout),
        Some(1010 + 1015 + 1060 + 1016)
    );
    assert_eq!(v.get(Counter::ListenOverflows), Some(1063));
    assert_eq!(v.get(Counter::BadRsts), Some(1064));
    assert_eq!(v.get(Counter::EmbryonicRsts), Some(1072));
    assert_eq!(v.get(Counter::SyncookiesSent), Some(1078));
    assert_eq!(v.get(Counter::SyncookiesRecv), Some(1079));
    assert_eq!(Mapping::new(Layout::Since14).min_len(), 80 * 8);
    assert_eq!(Mapping::new(Layout::Before14).min_len(), 79 * 8);
}

#[test]
fn every_freebsd_field_the_counters_name_is_known_once() {
    for c in Counter::ALL {
        for name in c.freebsd() {
            assert!(field_index(name).is_some(), "{name}");
        }
    }
    for (i, (a, _)) in FIELDS.iter().enumerate() {
        assert!(FIELDS[i + 1..].iter().all(|(b, _)| a != b), "{a} twice");
    }
    assert_eq!(c_facts().len(), FIELDS.len());
}

#[test]
fn layout_from_osreldate() {
    assert_eq!(Layout::for_osreldate(Some(1_304_000)), Layout::Before14);
    assert_eq!(Layout::for_osreldate(Some(1_400_097)), Layout::Since14);
    assert_eq!(Layout::for_osreldate(Some(1_500_068)), Layout::Since14);
    assert_eq!(Layout::for_osreldate(None), Layout::Since14);
}

#[test]
fn short_buffer_is_never_read_past() {
    // Ends in the middle of tcps_sc_reset (index 71 before 14).
    let mut buf = image(72, &[]);
    buf.truncate(71 * 8 + 3);
    let mut v = Values::default();
    decode(&buf, &Mapping::new(Layout::Before14), &mut v);
    assert_eq!(v.get(Counter::BadRsts), Some(1063));
    assert_eq!(v.get(Counter::EmbryonicRsts), None);
    assert_eq!(v.get(Counter::SyncookiesSent), None);
    let p = present(buf.len(), &Mapping::new(Layout::Before14));
    assert!(p.contains(Counter::ListenOverflows));
    assert!(!p.contains(Counter::EmbryonicRsts));
    assert_eq!(field(&buf, 71), None);
    assert_eq!(field(&buf, usize::MAX), None);
    // The same bytes read as FreeBSD 14 stop one field earlier.
    let p14 = present(buf.len(), &Mapping::new(Layout::Since14));
    assert!(p14.contains(Counter::BadRsts));
    assert!(!p14.contains(Counter::EmbryonicRsts));
}

#[test]
fn oversized_buffer_from_a_newer_release_is_fine() {
    for layout in [Layout::Before14, Layout::Since14] {
        let m = Mapping::new(layout);
        let buf = image(400, &[(3, u64::MAX)]);
        let mut v = Values::default();
        decode(&buf, &m, &mut v);
        assert_eq!(v.get(Counter::EstabResets), Some(u64::MAX));
        assert_eq!(present(buf.len(), &m), present(m.min_len(), &m));
    }
}

#[test]
fn empty_buffer_gives_nothing() {
    let mut v = Values::default();
    let m = Mapping::new(Layout::Since14);
    decode(&[], &m, &mut v);
    assert_eq!(v, Values::default());
    assert!(present(0, &m).is_empty());
}

#[test]
fn syncookie_settings_matrices() {
    // (syncookies, syncookies_only) -> Linux's scale, per release.
    for (rule, expected) in [
        // 13 and 14: syncookies_only without syncookies makes no cookie.
        (CookieRule::Int, [0, 1, 0, 2]),
        // 15: syncookies_only alone means cookies only.
        (CookieRule::Bool, [0, 1, 2, 2]),
    ] {
        let settings = [(0, 0), (1, 0), (0, 1), (1, 1)];
        for ((on, only), want) in settings.into_iter().zip(expected) {
            assert_eq!(
                syncookie_mode(Some(on), Some(only), rule),
                Some(want),
                "{rule:?}: syncookies={on} syncookies_only={only}"
            );
        }
    }
}

#[test]
fn syncookie_setting_missing_or_unreadable() {
    for rule in [CookieRule::Int, CookieRule::Bool] {
        assert_eq!(syncookie_mode(Some(1), None, rule), Some(1));
        assert_eq!(syncookie_mode(Some(0), None, rule), Some(0));
        assert_eq!(syncookie_mode(None, None, rule), None);
        assert_eq!(syncookie_mode(None, Some(1), rule), None);
    }
}

#[test]
fn settings_are_ints_before_15_and_bools_since() {
    assert_eq!(setting(&1i32.to_ne_bytes()), Some(1));
    assert_eq!(setting(&0i32.to_ne_bytes()), Some(0));
    assert_eq!(setting(&[1]), Some(1));
    assert_eq!(setting(&[0]), Some(0));
    assert_eq!(setting(&[]), None);
    assert_eq!(setting(&[0, 0]), None);
    assert_eq!(setting(&1i64.to_ne_bytes()), None);
    assert_eq!(CookieRule::for_width(1), CookieRule::Bool);
    assert_eq!(CookieRule::for_width(4), CookieRule::Int);
}
