use super::*;
use std::net::Ipv6Addr;

/// Facts of a kernel that counts drops, like Linux.
pub(crate) const FACTS: ListenerFacts = ListenerFacts {
    intro: "Listening sockets: ",
    counts_drops: true,
    half_open: "half-open handshakes and the owner.",
    no_drops: " No drops.",
    no_drops_footer: "; no drops.\n",
    hidden_owners: Some("{} listeners have no owning process."),
    function_help: "Listening sockets",
};

fn row(port: u16, queue: u32, limit: u32, drops: Option<u64>) -> Row {
    Row::for_tests(port, queue, limit, drops)
}

#[test]
fn worst_first_by_drops_then_fill() {
    let t = Table::worst_first(
        vec![
            row(1, 0, 10, Some(0)),
            row(2, 9, 10, Some(0)),
            row(3, 0, 10, Some(5)),
            row(4, 10, 10, None),
            row(5, 1, 10, Some(5)),
        ],
        3,
        0,
        &FACTS,
    );
    let ports: Vec<u16> = t.rows.iter().map(|r| r.port).collect();
    assert_eq!(ports, [5, 3, 2]);
    assert_eq!((t.total, t.omitted()), (5, 2));
    assert!(
        t.help().contains("5 listeners, 2 left out."),
        "{}",
        t.help()
    );
}

#[test]
fn fill_and_listener_text() {
    let mut r = row(8080, 4, 3, Some(7));
    assert_eq!(r.fill(), Some(133));
    assert_eq!(r.listener(), "127.0.0.1:8080");
    r.addr = Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    assert_eq!(r.listener(), "[::]:8080");
    r.limit = 0;
    assert_eq!(r.fill(), None);
}

#[test]
fn json_is_a_netdata_table_with_rows_in_column_order() {
    let mut r = row(8080, 4, 3, Some(7));
    r.process = Some("we\"ird\nname".into());
    r.pid = Some(42);
    let t = Table::worst_first(vec![r, row(22, 0, 128, Some(0))], MAX_ROWS, 2, &FACTS);
    let s = json(&t, 10, 1_795_626_300);
    assert!(!s.contains('\n'));
    let v: serde_json::Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["status"], 200);
    assert_eq!(v["type"], "table");
    assert_eq!(v["has_history"], false);
    assert_eq!(v["update_every"], 10);
    assert_eq!(v["default_sort_column"], "Drops");
    assert_eq!(v["expires"], 1_795_626_300u64);
    assert!(v["help"].as_str().unwrap().contains("2 processes"));
    let cols = v["columns"].as_object().unwrap();
    assert_eq!(cols.len(), COLUMNS.len());
    let uniques = cols.values().filter(|c| c["unique_key"] == true).count();
    assert_eq!(uniques, 1);
    let index = |k: &str| cols[k]["index"].as_u64().unwrap() as usize;
    let first = &v["data"][0];
    assert_eq!(first.as_array().unwrap().len(), COLUMNS.len());
    assert_eq!(first[index("Listener")], "127.0.0.1:8080");
    assert_eq!(first[index("Queue")], 4);
    assert_eq!(first[index("Limit")], 3);
    assert_eq!(first[index("Fill")], 133);
    assert_eq!(first[index("Drops")], 7);
    assert_eq!(first[index("NewDrops")], serde_json::Value::Null);
    assert_eq!(first[index("PID")], 42);
    assert_eq!(first[index("Process")], "we\"ird\nname");
    assert_eq!(cols["Drops"]["max"], 7);
    assert_eq!(cols["Fill"]["max"], 133);
    for c in cols.values() {
        for k in [
            "index",
            "unique_key",
            "name",
            "visible",
            "type",
            "visualization",
            "value_options",
            "sort",
            "sortable",
            "sticky",
            "summary",
            "filter",
        ] {
            assert!(c.get(k).is_some(), "{k} missing in {c}");
        }
    }
}

#[test]
fn text_is_aligned_and_says_what_is_missing() {
    let mut r = row(8080, 4, 3, Some(57));
    r.pid = Some(1234);
    r.process = Some("python3".into());
    let t = Table::worst_first(vec![r, row(22, 0, 4096, None)], MAX_ROWS, 3, &FACTS);
    let s = text(&t);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "LISTENER        QUEUE  LIMIT  FILL  DROPS  HALF-OPEN  USER   PID  PROCESS"
    );
    assert_eq!(
        lines[1],
        "127.0.0.1:8080      4      3  133%     57          -  root  1234  python3"
    );
    assert_eq!(
        lines[2],
        "127.0.0.1:22        0   4096    0%      -          -  root     -  -"
    );
    assert!(lines[3].starts_with("2 listeners;"));
    assert!(lines[4].contains("3 processes"));
}

#[test]
fn text_shows_no_control_characters_of_names() {
    let mut r = row(8080, 0, 3, Some(0));
    r.process = Some("ev\u{1b}[31mil\nX".into());
    r.user = Some("a\u{9b}b".into());
    let s = text(&Table::worst_first(vec![r], MAX_ROWS, 0, &FACTS));
    assert!(!s.contains('\u{1b}') && !s.contains('\u{9b}'), "{s:?}");
    assert_eq!(s.lines().count(), 3, "{s}");
    assert!(s.contains("ev?[31mil?X") && s.contains("a?b"), "{s}");
}
