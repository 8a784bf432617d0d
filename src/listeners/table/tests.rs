use super::json::COLUMNS;
use super::*;
use crate::listeners::evidence::{judge, HostCounters, Judgement};
use crate::listeners::text::text;
use std::net::Ipv6Addr;

/// Facts of a kernel that counts drops and limits SYN queues, like Linux.
pub(crate) const FACTS: ListenerFacts = ListenerFacts {
    scope: "of the test",
    limit: "the test's limit",
    capacity: |limit| u64::from(limit) + 1,
    capacity_text: "which holds the limit and one more",
    half_open: "pending handshakes",
    syn_queue_limited: true,
    drops: Some("the socket's drops"),
    no_drops: "No drops.",
    owners_need: "the test needs privileges",
    hidden_owners: Some("{} listeners have no owning process."),
    function_help: "Listening sockets",
};

fn row(port: u16, queue: u32, limit: u32, drops: Option<u64>) -> Row {
    Row::for_tests(port, queue, limit, drops)
}

/// The table of `rows` at a first call.
fn table(rows: Vec<Row>, unreadable: usize) -> Table {
    let (j, _) = judge(&rows, &HostCounters::default(), None, &FACTS);
    Table::worst_first(rows, j, MAX_ROWS, unreadable, &FACTS)
}

fn parse(t: &Table) -> serde_json::Value {
    let s = json(t, 10, 1_795_626_300);
    assert!(!s.contains('\n'));
    serde_json::from_str(&s).unwrap()
}

#[test]
fn full_queues_first_then_fill_and_at_most_max_rows() {
    let rows = vec![
        row(1, 0, 10, Some(0)),
        row(2, 9, 10, Some(0)),
        row(3, 0, 10, Some(5)),
        row(4, 11, 10, None),
        row(5, 1, 10, Some(5)),
    ];
    let (j, _) = judge(&rows, &HostCounters::default(), None, &FACTS);
    let t = Table::worst_first(rows, j, 3, 0, &FACTS);
    let ports: Vec<u16> = t.rows.iter().map(|r| r.row.port).collect();
    assert_eq!(ports, [4, 2, 5]);
    assert_eq!((t.total, t.omitted()), (5, 2));
    assert!(
        t.help().contains("5 listeners, 2 left out."),
        "{}",
        t.help()
    );
    // Fill: the queue against the limit and one more; 100 refuses.
    assert_eq!(t.rows[0].fill(&FACTS), 100);
    assert_eq!(t.rows[1].fill(&FACTS), 81);
}

#[test]
fn json_is_a_version_3_netdata_table_with_rows_in_column_order() {
    let mut r = row(8080, 4, 3, Some(7));
    r.process = Some("we\"ird\nname".into());
    r.pid = Some(42);
    r.inode = Some(991);
    let t = table(vec![r, row(22, 0, 128, Some(0))], 2);
    let v = parse(&t);
    assert_eq!(v["v"], 3);
    assert_eq!(v["status"], 200);
    assert_eq!(v["type"], "table");
    assert_eq!(v["has_history"], false);
    assert_eq!(v["accepted_params"], serde_json::json!([]));
    assert_eq!(v["required_params"], serde_json::json!([]));
    assert_eq!(v["update_every"], 10);
    assert_eq!(v["default_sort_column"], "Rank");
    assert_eq!(v["expires"], 1_795_626_300u64);
    assert!(v["help"].as_str().unwrap().contains("2 processes"));
    let cols = v["columns"].as_object().unwrap();
    assert_eq!(cols.len(), COLUMNS.len());
    let mut indices: Vec<u64> = cols
        .values()
        .map(|c| c["index"].as_u64().unwrap())
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..COLUMNS.len() as u64).collect::<Vec<_>>());
    let uniques: Vec<&String> = cols
        .keys()
        .filter(|k| cols[*k]["unique_key"] == true)
        .collect();
    assert_eq!(uniques, ["Id"]);
    let index = |k: &str| cols[k]["index"].as_u64().unwrap() as usize;
    let first = &v["data"][0];
    assert_eq!(first.as_array().unwrap().len(), COLUMNS.len());
    assert_eq!(first[index("Listener")], "127.0.0.1:8080");
    assert_eq!(first[index("Status")], "refusing");
    assert_eq!(first[index("Queue")], 4);
    assert_eq!(first[index("Limit")], 3);
    assert_eq!(first[index("Fill")], 100);
    assert_eq!(first[index("Drops")], 7);
    assert_eq!(first[index("NewDrops")], serde_json::Value::Null);
    assert_eq!(first[index("OverflowsMin")], serde_json::Value::Null);
    assert_eq!(first[index("PID")], 42);
    assert_eq!(first[index("Process")], "we\"ird\nname");
    assert_eq!(first[index("Id")], 991);
    assert_eq!(first[index("Rank")], 1);
    assert_eq!(
        first[index("rowOptions")],
        serde_json::json!({"severity": "critical"})
    );
    assert_eq!(v["data"][1][index("rowOptions")]["severity"], "normal");
    // Ids as netdata types them: ascending, counted, picked from a list.
    for id in ["Port", "PID", "UID"] {
        let c = &cols[id];
        assert_eq!(
            (
                &c["sort"],
                &c["summary"],
                &c["filter"],
                &c["value_options"]["transform"]
            ),
            (
                &"ascending".into(),
                &"count".into(),
                &"multiselect".into(),
                &"none".into()
            ),
            "{id}"
        );
    }
    assert_eq!(cols["rowOptions"]["visualization"], "rowOptions");
    assert_eq!(cols["rowOptions"]["dummy"], true);
    assert_eq!(
        v["charts"]["Queues"]["columns"],
        serde_json::json!(["Queue", "HalfOpen"])
    );
    assert_eq!(
        v["default_charts"][0],
        serde_json::json!(["Queues", "Status"])
    );
    let groups: Vec<&String> = v["group_by"].as_object().unwrap().keys().collect();
    assert_eq!(groups, ["Port", "Process", "Status", "User"]);
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
fn without_the_owners_their_columns_and_groupings_are_left_out() {
    let mut r = row(8080, 0, 3, Some(0));
    r.process = Some("secret".into());
    r.pid = Some(42);
    let mut t = table(vec![r], 0);
    t.owners = false;
    let v = parse(&t);
    let cols = v["columns"].as_object().unwrap();
    for k in ["UID", "User", "PID", "Process"] {
        assert!(cols.get(k).is_none(), "{k}");
        assert!(v["group_by"].get(k).is_none(), "{k}");
    }
    assert_eq!(cols.len(), COLUMNS.len() - 4);
    assert_eq!(v["data"][0].as_array().unwrap().len(), COLUMNS.len() - 4);
    let s = serde_json::to_string(&v).unwrap();
    assert!(!s.contains("secret") && !s.contains("root"), "{s}");
    assert!(v["help"]
        .as_str()
        .unwrap()
        .contains("shown only to callers"));
}

#[test]
fn help_names_what_each_column_counts_and_what_the_first_call_cannot_tell() {
    let t = table(vec![row(22, 0, 128, Some(0))], 0);
    let h = t.help();
    for said in [
        "Listening TCP sockets of the test, worst first.",
        "refusing = the accept queue is full now",
        "the host's ListenOverflows proves",
        "the kernel keeps no overflow counter per socket",
        "TCP_DEFER_ACCEPT",
        "SYN queue full",
        "TCPReqQFullDrop",
        "Socket drops: the socket's drops.",
        "First call:",
        "1 listeners.",
    ] {
        assert!(h.contains(said), "{said:?} not in {h}");
    }
    let mut later = t.clone();
    later.since = Some(crate::listeners::evidence::Netstat {
        listen_overflows: Some(16),
        defer_accept_drops: Some(1000),
        embryonic_rsts: None,
    });
    let h = later.help();
    assert!(h.contains("counted 16 listen overflows"), "{h}");
    assert!(
        h.contains("1000 ACKs discarded for TCP_DEFER_ACCEPT"),
        "{h}"
    );
    assert!(h.contains("? handshakes ended by a reset"), "{h}");
    assert!(!h.contains("First call"), "{h}");
}

#[test]
fn text_is_aligned_and_says_what_one_reading_cannot_tell() {
    let mut r = row(8080, 4, 3, Some(57));
    r.pid = Some(1234);
    r.process = Some("python3".into());
    let t = table(vec![r, row(22, 0, 4096, None)], 3);
    let s = text(&t);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(
        lines[0],
        "LISTENER        STATUS    QUEUE  LIMIT  FILL  SYN-Q  DROPS  USER   PID  PROCESS"
    );
    assert_eq!(
        lines[1],
        "127.0.0.1:8080  refusing      4      3  100%      0     57  root  1234  python3"
    );
    assert_eq!(
        lines[2],
        "127.0.0.1:22    ok            0   4096    0%      0      -  root     -  -"
    );
    assert!(lines[3].starts_with("2 listeners; drops are counted since each socket was created"));
    assert!(lines[4].contains("3 processes"));
}

#[test]
fn text_shows_no_control_characters_of_names() {
    let mut r = row(8080, 0, 3, Some(0));
    r.process = Some("ev\u{1b}[31mil\nX".into());
    r.user = Some("a\u{9b}b".into());
    let s = text(&table(vec![r], 0));
    assert!(!s.contains('\u{1b}') && !s.contains('\u{9b}'), "{s:?}");
    assert_eq!(s.lines().count(), 3, "{s}");
    assert!(s.contains("ev?[31mil?X") && s.contains("a?b"), "{s}");
}

#[test]
fn listener_names_bracket_ipv6() {
    let mut r = row(443, 0, 1, None);
    r.addr = Some(IpAddr::V6(Ipv6Addr::LOCALHOST));
    assert_eq!(r.listener(), "[::1]:443");
    r.addr = None;
    assert_eq!(r.listener(), "*:443");
}

#[test]
fn a_judgement_is_kept_with_its_row() {
    let t = table(vec![row(1, 0, 1, Some(0)), row(2, 2, 1, Some(0))], 0);
    let j: Vec<Judgement> = t.rows.iter().map(|r| r.judgement).collect();
    assert_eq!(t.rows[0].row.port, 2);
    assert_eq!(j[0].status, crate::listeners::evidence::Status::Refusing);
}
