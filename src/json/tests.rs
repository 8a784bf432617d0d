use super::*;

fn escaped(s: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    escape(s, |p| v.extend_from_slice(p));
    v
}

#[test]
fn escapes_as_netdata_does() {
    assert_eq!(escaped(b"plain"), b"plain");
    assert_eq!(escaped(b"a\"b\\c"), b"a\\\"b\\\\c");
    assert_eq!(escaped(b"\n\r\t\x08\x0c"), b"\\n\\r\\t\\b\\f");
    assert_eq!(escaped(b"\x01\x1f"), b"\\u0001\\u001F");
    assert_eq!(escaped("é\u{7f}".as_bytes()), "é\u{7f}".as_bytes());
}

#[test]
fn strings_rows_and_errors_parse_back() {
    let mut o = String::new();
    row(
        &mut o,
        [Cell::Str("we\"ird\nname\u{1}"), Cell::Num(7), Cell::Null],
    );
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(v, serde_json::json!(["we\"ird\nname\u{1}", 7, null]));
    let e: serde_json::Value = serde_json::from_str(&error_body(404, "no \"x\"")).unwrap();
    assert_eq!(e["status"], 404);
    assert_eq!(e["errorMessage"], "no \"x\"");
    assert_eq!(e["error_message"], e["errorMessage"]);
}

#[test]
fn columns_carry_every_key_netdata_reads() {
    let mut o = String::from("{");
    columns(
        &mut o,
        &[
            Column::new("A", "A", "string", None),
            Column {
                max: Some(5),
                ..Column::new("B", "B", "bar-with-integer", Some("%"))
            },
        ],
    );
    o.push('}');
    let v: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(v["columns"]["B"]["index"], 1);
    assert_eq!(v["columns"]["B"]["max"], 5);
    assert_eq!(v["columns"]["B"]["visualization"], "bar");
    assert_eq!(v["columns"]["A"]["filter"], "multiselect");
    assert_eq!(v["columns"]["B"]["value_options"]["units"], "%");
}
