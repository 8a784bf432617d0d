use super::super::fixtures::*;
use super::*;

#[test]
fn send_reset_of_6_18_has_sockaddrs_and_a_reason_table() {
    let f = parse(SEND_6_18).unwrap();
    assert_eq!((f.name.as_str(), f.id), ("tcp_send_reset", 2280));
    let names: Vec<&str> = f.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "common_type",
            "common_flags",
            "common_preempt_count",
            "common_pid",
            "skbaddr",
            "skaddr",
            "state",
            "reason",
            "saddr",
            "daddr"
        ]
    );
    let saddr = f.field("saddr").unwrap();
    assert_eq!(
        saddr,
        &FieldDesc {
            c_type: "__u8".into(),
            name: "saddr".into(),
            array_len: Some(28),
            offset: 32,
            size: 28,
            signed: false
        }
    );
    assert_eq!(f.field("skaddr").unwrap().c_type, "const void *");
    assert_eq!(f.field("reason").unwrap().c_type, "enum sk_rst_reason");
    assert!(f.field("common_pid").unwrap().signed);
    let reasons = f.symbols_of("reason").unwrap();
    assert_eq!(reasons.entries.len(), 26);
    assert_eq!(
        reasons.entries[1],
        Symbol {
            key: Key::Value(1),
            name: "NO_SOCKET".into()
        }
    );
    assert_eq!(reasons.entries[12].name, "TCP_ABORT_ON_LINGER");
    // The kernel left the state table's enum names unreplaced.
    let states = f.symbols_of("state").unwrap();
    assert_eq!(states.entries[0].key, Key::Name("TCP_ESTABLISHED".into()));
    assert_eq!(states.entries.len(), 12);
}

#[test]
fn send_reset_of_6_1_has_split_addresses_and_no_reason() {
    let f = parse(SEND_6_1).unwrap();
    assert_eq!((f.name.as_str(), f.id), ("tcp_send_reset", 1293));
    assert!(f.field("reason").is_none());
    for (name, offset, size) in [
        ("state", 24, 4),
        ("sport", 28, 2),
        ("dport", 30, 2),
        ("family", 32, 2),
        ("saddr", 34, 4),
        ("daddr", 38, 4),
        ("saddr_v6", 42, 16),
        ("daddr_v6", 58, 16),
    ] {
        let d = f.field(name).unwrap();
        assert_eq!((d.offset, d.size), (offset, size), "{name}");
    }
    let family = f.symbols_of("family").unwrap();
    assert_eq!(
        family.entries[1],
        Symbol {
            key: Key::Value(10),
            name: "AF_INET6".into()
        }
    );
    assert!(f.symbols_of("state").is_some());
}

#[test]
fn receive_reset_of_both_kernels_has_a_cookie() {
    for (bytes, id) in [(RECEIVE_6_18, 2279), (RECEIVE_6_1, 1292)] {
        let f = parse(bytes).unwrap();
        assert_eq!((f.name.as_str(), f.id), ("tcp_receive_reset", id));
        let c = f.field("sock_cookie").unwrap();
        assert_eq!((c.offset, c.size, c.c_type.as_str()), (64, 8, "__u64"));
    }
}

#[test]
fn keys_in_hex_negative_or_as_names() {
    assert_eq!(key_of("0x1f"), Key::Value(31));
    assert_eq!(key_of("-3"), Key::Value(-3));
    assert_eq!(key_of("TCP_CLOSE"), Key::Name("TCP_CLOSE".into()));
    assert_eq!(key_of("(1 << 2)"), Key::Name("(1 << 2)".into()));
    assert_eq!(
        key_of("-9223372036854775808"),
        Key::Name("-9223372036854775808".into())
    );
}

#[test]
fn escaped_names_and_nested_parentheses() {
    let text = "name: x\nID: 7\nformat:\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n\n\
                print fmt: \"%s\", __print_symbolic((REC->a & 3), { (1 << 1), \"say \\\"two\\\"\" }, { 3, \"x\" })\n";
    let f = parse(text.as_bytes()).unwrap();
    let t = &f.symbols[0];
    assert_eq!(t.field, "(REC->a & 3)");
    assert_eq!(t.entries[0].name, "say \"two\"");
    assert_eq!(t.find(3, |_| None), Some((1, "x")));
    assert_eq!(
        t.find(2, |n| (n == "(1 << 1)").then_some(2)),
        Some((0, "say \"two\""))
    );
}

#[test]
fn broken_files_are_errors() {
    let ok = "name: e\nID: 1\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n";
    assert!(parse(ok.as_bytes()).is_ok());
    let cases: &[(&str, FormatError)] = &[
        ("ID: 1\nformat:\n", FormatError::Missing("name:")),
        ("name: e\nformat:\n", FormatError::Missing("ID:")),
        ("name: e\nID: 1\n", FormatError::Missing("format:")),
        ("name: e\nID: x\nformat:\n", FormatError::Line { line: 2, what: "ID is not a number" }),
        ("name: e\nID: 1\nformat:\n\tfield:int a;\toffset:0;\n", FormatError::Line { line: 4, what: "field has no size" }),
        ("name: e\nID: 1\nformat:\n\tfield:a;\toffset:0;\tsize:4;\n", FormatError::Line { line: 4, what: "field has no type" }),
        ("name: e\nID: 1\nformat:\n\tfield:int a[x];\toffset:0;\tsize:4;\n", FormatError::Line { line: 4, what: "array length is not a number" }),
        ("name: e\nID: 1\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:2;\n", FormatError::Line { line: 4, what: "signed is neither 0 nor 1" }),
        ("name: e\nID: 1\nformat:\n\tfield:int a;\toffset:0;\tsize:4;\n\tfield:int a;\toffset:4;\tsize:4;\n", FormatError::Line { line: 5, what: "field named twice" }),
        ("name: e\nID: 1\nformat:\nprint fmt: \"\", __print_symbolic(REC->a, { 1, \"A\" }\n", FormatError::Symbolic("no closing )")),
        ("name: e\nID: 1\nformat:\nprint fmt: \"\", __print_symbolic(REC->a, { 1 \"A\" })\n", FormatError::Symbolic("an entry has no key")),
        ("garbage\nname: e\n", FormatError::Line { line: 1, what: "unknown line" }),
    ];
    for (text, want) in cases {
        assert_eq!(parse(text.as_bytes()), Err(*want), "{text:?}");
    }
    assert_eq!(parse(b"name: \xff\n"), Err(FormatError::NotText));
}

/// Found by fuzzing: a space of two bytes (U+00A0) before the name made
/// the split cut a character in half, a panic.
#[test]
fn a_space_of_more_than_one_byte_splits_type_and_name_whole() {
    let file = |decl: &str| {
        format!("name: e\nID: 1\nformat:\n\tfield:{decl};\toffset:0;\tsize:4;\tsigned:0;\n")
    };
    let f = parse(file("__u8\u{a0}b").as_bytes()).unwrap();
    assert_eq!(
        (f.fields[0].c_type.as_str(), f.fields[0].name.as_str()),
        ("__u8", "b")
    );
    assert_eq!(
        parse(file("__u8 saddr'\u{a0}[4]").as_bytes()),
        Err(FormatError::Line {
            line: 4,
            what: "field declaration is not TYPE NAME"
        })
    );
}

#[test]
fn every_prefix_of_the_fixtures_parses_or_errs() {
    for bytes in [SEND_6_18, RECEIVE_6_18, SEND_6_1, RECEIVE_6_1] {
        for n in 0..bytes.len() {
            let _ = parse(&bytes[..n]);
        }
    }
}

#[test]
fn too_many_fields_are_refused() {
    let mut t = String::from("name: e\nID: 1\nformat:\n");
    for i in 0..=MAX_FIELDS {
        t.push_str(&format!(
            "\tfield:int f{i};\toffset:0;\tsize:4;\tsigned:1;\n"
        ));
    }
    assert_eq!(parse(t.as_bytes()), Err(FormatError::TooMany("fields")));
}
