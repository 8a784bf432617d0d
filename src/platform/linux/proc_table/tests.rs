use super::*;

#[test]
fn label_glued_to_a_value_is_not_a_row() {
    // Found by fuzzing: "TcpExt:0 ..." once gave the first column the
    // value 0, a number that is not a word of the input.
    let text = b"TcpExt: SyncookiesSent SyncookiesRecv\nTcpExt:0 7\n";
    let s = find_section(text, b"TcpExt:").unwrap();
    assert_eq!(s.values, None);
    let glued_header = find_section(
        b"TcpExt:SyncookiesSent
TcpExt: 1
",
        b"TcpExt:",
    )
    .unwrap();
    assert_eq!(glued_header.header, b" 1");
    assert_eq!(glued_header.values, None);
    let ok = find_section(b"TcpExt:\tA\r\nTcpExt: 1\r\n", b"TcpExt:").unwrap();
    assert_eq!(ok.values, Some(&b" 1\r"[..]));
}

#[test]
fn the_sections_hold_the_counters_of_the_counter_table() {
    let tcp: Vec<Counter> = Counter::in_section(Section::Tcp).collect();
    assert_eq!(
        tcp,
        [
            Counter::AttemptFails,
            Counter::EstabResets,
            Counter::OutRsts
        ]
    );
    assert_eq!(Counter::in_section(Section::TcpExt).count(), 13);
    // Each fits a table.
    let _ = Table::new(Section::Tcp);
    let _ = Table::new(Section::TcpExt);
}

fn read(text: &str) -> (Outcome, Values) {
    let mut t = Table::new(Section::Tcp);
    let mut v = Values::default();
    let o = t.read(text.as_bytes(), &mut v);
    (o, v)
}

#[test]
fn columns_are_found_by_name_in_any_order() {
    let (o, v) = read("Tcp: OutRsts Foo AttemptFails EstabResets\nTcp: 9 1 7 8\n");
    assert_eq!(o.status, Status::Ok);
    assert_eq!(v.get(Counter::OutRsts), Some(9));
    assert_eq!(v.get(Counter::AttemptFails), Some(7));
    assert_eq!(v.get(Counter::EstabResets), Some(8));
}

#[test]
fn tcpext_is_not_taken_for_tcp() {
    let (o, _) = read("TcpExt: AttemptFails\nTcpExt: 5\n");
    assert_eq!(o.status, Status::NoSection);
}

#[test]
fn missing_column_is_absent_not_an_error() {
    let (o, v) = read("Tcp: AttemptFails EstabResets\nTcp: 1 2\n");
    assert_eq!(o.status, Status::Ok);
    assert_eq!(v.get(Counter::OutRsts), None);
    assert_eq!(v.get(Counter::EstabResets), Some(2));
}

#[test]
fn count_mismatch_trusts_no_column() {
    let (o, v) = read("Tcp: AttemptFails EstabResets OutRsts\nTcp: 1 2\n");
    assert_eq!(o.status, Status::CountMismatch);
    assert_eq!(v, Values::default());
    let (o, v) = read("Tcp: AttemptFails EstabResets OutRsts\nTcp: 1 2 3 4\n");
    assert_eq!(o.status, Status::CountMismatch);
    assert_eq!(v, Values::default());
}

#[test]
fn garbage_and_overflow_are_none_and_reported() {
    let (o, v) = read(
        "Tcp: AttemptFails EstabResets OutRsts\nTcp: 12x 18446744073709551616 18446744073709551615\n",
    );
    assert_eq!(o.status, Status::Ok);
    assert_eq!(v.get(Counter::AttemptFails), None);
    assert_eq!(v.get(Counter::EstabResets), None);
    assert_eq!(v.get(Counter::OutRsts), Some(u64::MAX));
    assert!(o.bad.contains(Counter::AttemptFails));
    assert!(o.bad.contains(Counter::EstabResets));
    assert!(!o.bad.contains(Counter::OutRsts));
}

#[test]
fn header_without_values_line() {
    let (o, v) = read("Tcp: AttemptFails\nUdp: InDatagrams\n");
    assert_eq!(o.status, Status::NoValues);
    assert_eq!(v.get(Counter::AttemptFails), None);
}

#[test]
fn stray_second_tcp_line_is_ignored() {
    let (o, v) = read("Tcp: AttemptFails\nTcp: 4\nTcp: 999\n");
    assert_eq!(o.status, Status::Ok);
    assert_eq!(v.get(Counter::AttemptFails), Some(4));
}

#[test]
fn header_is_resolved_again_only_when_it_changes() {
    let mut t = Table::new(Section::Tcp);
    let mut v = Values::default();
    t.read(b"Tcp: OutRsts AttemptFails\nTcp: 1 2\n", &mut v);
    assert_eq!(t.resolutions, 1);
    t.read(b"Tcp: OutRsts AttemptFails\nTcp: 3 4\n", &mut v);
    assert_eq!(t.resolutions, 1);
    assert_eq!(v.get(Counter::AttemptFails), Some(4));
    t.read(b"Tcp: AttemptFails OutRsts\nTcp: 5 6\n", &mut v);
    assert_eq!(t.resolutions, 2);
    assert_eq!(v.get(Counter::AttemptFails), Some(5));
    assert_eq!(v.get(Counter::OutRsts), Some(6));
}

#[test]
fn header_longer_than_its_reserved_copy_is_resolved_every_time() {
    let filler = "Pad ".repeat(HEADER_CAPACITY / 4 + 1);
    let text = format!(
        "Tcp: {filler}AttemptFails\nTcp: {}9\n",
        "0 ".repeat(HEADER_CAPACITY / 4 + 1)
    );
    let mut t = Table::new(Section::Tcp);
    for n in 1..=2 {
        let mut v = Values::default();
        t.read(text.as_bytes(), &mut v);
        assert_eq!(t.resolutions, n);
        assert_eq!(v.get(Counter::AttemptFails), Some(9));
    }
}

#[test]
fn maxconn_is_signed() {
    assert_eq!(parse_i64(b"-1"), Some(-1));
    assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    assert_eq!(parse_i64(b"9223372036854775808"), None);
    assert_eq!(parse_u64(b"-1"), None);
    let (o, v) = read("Tcp: MaxConn AttemptFails\nTcp: -1 3\n");
    assert_eq!(o.status, Status::Ok);
    assert_eq!(v.get(Counter::AttemptFails), Some(3));
}

#[test]
fn setting_file() {
    assert_eq!(parse_setting(b"1\n"), Some(1));
    assert_eq!(parse_setting(b"0"), Some(0));
    assert_eq!(parse_setting(b" 2 \n"), Some(2));
    assert_eq!(parse_setting(b""), None);
    assert_eq!(parse_setting(b"1 2\n"), None);
    assert_eq!(parse_setting(b"on\n"), None);
}

#[test]
fn duplicated_header_name_uses_the_first_column() {
    let (_, v) = read("Tcp: AttemptFails AttemptFails\nTcp: 1 2\n");
    assert_eq!(v.get(Counter::AttemptFails), Some(1));
}

#[test]
fn named_columns_of_a_section() {
    let text = b"TcpExt: ListenOverflows ListenDrops TCPDeferAcceptDrop\nTcpExt: 3 4 x\n";
    assert_eq!(
        named(
            text,
            b"TcpExt:",
            [
                "ListenDrops",
                "TCPDeferAcceptDrop",
                "Nope",
                "ListenOverflows"
            ]
        ),
        [Some(4), None, None, Some(3)]
    );
    assert_eq!(
        named(b"TcpExt: A B\nTcpExt: 1\n", b"TcpExt:", ["A"]),
        [None]
    );
    assert_eq!(named(b"", b"TcpExt:", ["A"]), [None]);
}
