//! The /proc table parser: never panics on any bytes, finds columns by name
//! in any order, and agrees with the `procfs` crate's parser (the oracle) on
//! this machine's live /proc/net/snmp and on complete fixtures.

mod common;

use procfs_core::FromBufRead;
use proptest::prelude::*;
use tcp_resets::counters::{Counter, Section, Values};
use tcp_resets::platform::linux::proc_table::{parse_setting, Status, Table};

fn ours(text: &[u8]) -> Values {
    let mut v = Values::default();
    let mut t = Table::new(Section::Tcp);
    assert_eq!(t.read(text, &mut v).status, Status::Ok);
    v
}

fn agree_with_procfs(text: &[u8]) {
    let oracle = procfs_core::net::Snmp::from_buf_read(text).expect("procfs parses it");
    let v = ours(text);
    assert_eq!(v.get(Counter::AttemptFails), Some(oracle.tcp_attempt_fails));
    assert_eq!(v.get(Counter::EstabResets), Some(oracle.tcp_estab_resets));
    assert_eq!(v.get(Counter::OutRsts), Some(oracle.tcp_out_rsts));
}

#[test]
fn live_snmp_agrees_with_procfs() {
    let text = std::fs::read("/proc/net/snmp").expect("this test needs Linux /proc");
    agree_with_procfs(&text);
}

#[test]
fn current_fixture_agrees_with_procfs() {
    let text = std::fs::read(common::fixture("linux-6.18").join("proc/net/snmp")).unwrap();
    agree_with_procfs(&text);
}

#[test]
fn old_kernel_procfs_fails_where_ours_reads() {
    // The anti-example: procfs-core requires every column it knows of.
    let text = std::fs::read(common::fixture("linux-2.6.32").join("proc/net/snmp")).unwrap();
    assert!(procfs_core::net::Snmp::from_buf_read(&text[..]).is_err());
    assert_eq!(ours(&text).get(Counter::AttemptFails), Some(1001));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut v = Values::default();
        Table::new(Section::Tcp).read(&bytes, &mut v);
        Table::new(Section::TcpExt).read(&bytes, &mut v);
        let _ = parse_setting(&bytes);
    }

    #[test]
    fn tcp_like_lines_never_panic(
        header in proptest::collection::vec(
            prop_oneof![Just("AttemptFails".to_string()), Just("OutRsts".to_string()), "[A-Za-z]{1,12}"], 0..20),
        values in proptest::collection::vec("[-0-9a-z]{0,22}", 0..22),
        seps in "[ \t\r\n]{1,2}",
    ) {
        let text = format!("Tcp:{seps}{}\nTcp:{seps}{}\n", header.join(" "), values.join(" "));
        let mut v = Values::default();
        let o = Table::new(Section::Tcp).read(text.as_bytes(), &mut v);
        // Whatever comes out is either absent or the number a word of the
        // line spells (the standard library's parser as the oracle: "01"
        // is 1, as the fuzz target has it).
        if let Some(n) = v.get(Counter::AttemptFails) {
            prop_assert!(
                values.iter().any(|w| w.parse::<u64>() == Ok(n)),
                "{n} {o:?}"
            );
        }
    }

    #[test]
    fn columns_map_by_name_in_any_order(
        order in Just((0..12usize).collect::<Vec<_>>()).prop_shuffle(),
        vals in proptest::collection::vec(any::<u64>(), 12),
    ) {
        let names = ["RtoAlgorithm", "RtoMin", "RtoMax", "ActiveOpens", "PassiveOpens",
            "AttemptFails", "EstabResets", "CurrEstab", "InSegs", "OutSegs", "OutRsts", "InCsumErrors"];
        let header: Vec<&str> = order.iter().map(|&i| names[i]).collect();
        let values: Vec<String> = order.iter().map(|&i| vals[i].to_string()).collect();
        let text = format!("Ip: 1 2\nIp: 3 4\nTcp: {}\nTcp: {}\n", header.join(" "), values.join(" "));
        let v = ours(text.as_bytes());
        prop_assert_eq!(v.get(Counter::AttemptFails), Some(vals[5]));
        prop_assert_eq!(v.get(Counter::EstabResets), Some(vals[6]));
        prop_assert_eq!(v.get(Counter::OutRsts), Some(vals[10]));
    }
}
