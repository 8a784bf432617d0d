use super::*;
use crate::resets::Reason;
use std::collections::HashMap;

const T0: u64 = 1_800_000_000; // a multiple of 60

fn sent(local: &str, remote: &str, reason: u32) -> Event {
    Event {
        direction: Direction::Sent,
        local: Some(local.parse().unwrap()),
        remote: Some(remote.parse().unwrap()),
        state: 0,
        reason: Some(Reason {
            value: reason,
            index: None,
        }),
        cookie: None,
    }
}

fn peer(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))
}

fn key(i: u32) -> Key {
    Key {
        remote: peer(i),
        local_port: Some(80),
        ..NO_KEY
    }
}

/// The index holds exactly the rows in use, each found by its key.
fn check_index(t: &Top) {
    assert_eq!(t.index.iter().filter(|&&r| r != EMPTY).count(), t.used);
    for (row, s) in t.slots[..t.used].iter().enumerate() {
        assert_eq!(t.find(&s.key, s.hash), Some(row));
        assert_eq!(t.heap[s.heap_at as usize] as usize, row);
    }
    for i in 1..t.heap.len() {
        assert!(t.count((i - 1) / 2) <= t.count(i), "heap order at {i}");
    }
}

#[test]
fn port_range_setting_parses() {
    assert_eq!(
        PortRule::parse(b"32768\t60999\n"),
        Some(PortRule::default())
    );
    assert_eq!(
        PortRule::parse(b"1024 65535"),
        Some(PortRule {
            low: 1024,
            high: 65535
        })
    );
    for bad in [&b""[..], b"1", b"5 4", b"1 2 3", b"a b", b"1 70000"] {
        assert_eq!(PortRule::parse(bad), None);
    }
}

#[test]
fn the_service_port_is_kept_and_the_ephemeral_one_is_any() {
    let r = PortRule::default();
    // Inbound: a peer's ephemeral port against a listener or a closed port.
    assert_eq!(r.apply(80, 51000), (Some(80), None));
    assert_eq!(r.apply(9, 1025), (Some(9), None));
    // Outbound: our ephemeral port against the service we called.
    assert_eq!(r.apply(40000, 443), (None, Some(443)));
    // Both in the range (a listener inside it): the local one names it.
    assert_eq!(r.apply(40000, 50000), (Some(40000), None));
    let t = Top::new(4, r);
    let k = t.key_of(&sent("127.0.0.1:9", "127.0.0.7:45000", 1));
    assert_eq!((k.local_port, k.remote_port), (Some(9), None));
    assert_eq!((k.reason, k.state), (Some(1), 0));
    let k = t.key_of(&sent("127.0.0.1:45000", "127.0.0.8:443", 12));
    assert_eq!((k.local_port, k.remote_port), (None, Some(443)));
    let mut no_addr = sent("127.0.0.1:1", "127.0.0.1:2", 0);
    no_addr.local = None;
    no_addr.remote = None;
    let k = t.key_of(&no_addr);
    assert_eq!(
        (k.local, k.local_port, k.remote_port),
        (NO_KEY.local, None, None)
    );
}

#[test]
fn counts_are_exact_while_keys_fit() {
    let mut t = Top::new(1024, PortRule::default());
    let mut exact: HashMap<Key, u64> = HashMap::new();
    let mut x: u32 = 12345;
    for i in 0..200_000u64 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let k = key((x >> 8) % 1000);
        t.add(k, T0 + i / 1000); // 200 s
        *exact.entry(k).or_default() += 1;
    }
    assert_eq!(t.len(), 1000);
    assert_eq!(t.evictions(), 0);
    for r in t.rows() {
        assert_eq!(r.ten_minutes, exact[&r.key]);
        assert_eq!((r.ten_minutes_error, r.minute_error), (0, 0));
    }
    check_index(&t);
}

#[test]
fn a_scan_of_a_million_addresses_does_not_hide_the_top_talker() {
    let mut t = Top::new(DEFAULT_CAPACITY, PortRule::default());
    let memory = t.memory();
    let talker = Key {
        remote: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 7)),
        local_port: Some(22),
        ..NO_KEY
    };
    let mut talker_true = 0;
    for i in 0..1_000_000u32 {
        let now = T0 + u64::from(i) / 4000; // 250 s
        t.add(key(i), now);
        if i % 100 == 0 {
            t.add(talker, now);
            talker_true += 1;
        }
    }
    assert_eq!(t.memory(), memory, "the table grew");
    assert_eq!(t.len(), DEFAULT_CAPACITY);
    check_index(&t);
    let top = t.top(3);
    assert_eq!(top[0].key, talker);
    // Space-Saving: true count in [count - error, count].
    let r = top[0];
    assert!(r.ten_minutes - r.ten_minutes_error <= talker_true && talker_true <= r.ten_minutes);
    // Present from its first event and never evicted: exact.
    assert_eq!((r.ten_minutes, r.ten_minutes_error), (talker_true, 0));
    // Everyone else is one reset with a large over-estimate.
    assert!(top[1].ten_minutes - top[1].ten_minutes_error <= 1);
}

#[test]
fn a_new_key_inherits_the_smallest_count_as_its_error() {
    let mut t = Top::new(2, PortRule::default());
    for _ in 0..5 {
        t.add(key(1), T0);
    }
    for _ in 0..3 {
        t.add(key(2), T0);
    }
    t.add(key(3), T0);
    check_index(&t);
    let mut rows: Vec<Row> = t.rows().collect();
    rows.sort_by_key(|r| r.ten_minutes);
    assert_eq!(rows[0].key, key(3));
    assert_eq!((rows[0].ten_minutes, rows[0].ten_minutes_error), (4, 3));
    assert_eq!((rows[0].minute, rows[0].minute_error), (4, 3));
    assert_eq!(rows[1].key, key(1));
    assert_eq!(t.evictions(), 1);
    // Once the admission's buckets leave the windows, so does the error.
    t.advance(T0 + 60);
    let r = t.rows().find(|r| r.key == key(3)).unwrap();
    assert_eq!(
        (r.minute, r.minute_error, r.ten_minutes, r.ten_minutes_error),
        (0, 0, 4, 3)
    );
    t.advance(T0 + 600);
    let r = t.rows().find(|r| r.key == key(3)).unwrap();
    assert_eq!((r.ten_minutes, r.ten_minutes_error), (0, 0));
}

#[test]
fn the_minute_and_ten_minute_windows_roll_over() {
    let mut t = Top::new(8, PortRule::default());
    t.add(key(1), T0 + 5);
    t.add(key(1), T0 + 65);
    let at = |t: &mut Top, now: u64| {
        t.advance(now);
        let r = t.rows().next().unwrap();
        (r.minute, r.ten_minutes)
    };
    assert_eq!(at(&mut t, T0 + 65), (1, 2));
    // The last minute is the current 10-s bucket and the five before it.
    assert_eq!(at(&mut t, T0 + 119), (1, 2));
    assert_eq!(at(&mut t, T0 + 120), (0, 2));
    // The first minute leaves the ten-minute window at minute 10.
    assert_eq!(at(&mut t, T0 + 599), (0, 2));
    assert_eq!(at(&mut t, T0 + 600), (0, 1));
    assert_eq!(at(&mut t, T0 + 660), (0, 0));
    // A clock going back changes nothing; a jump of hours clears all.
    t.add(key(1), T0 + 700);
    assert_eq!(at(&mut t, T0 + 10), (1, 1));
    assert_eq!(at(&mut t, T0 + 99_999), (0, 0));
    let r = t.rows().next().unwrap();
    assert_eq!((r.first_seen, r.last_seen), (T0 + 5, T0 + 700));
    assert!(t.top(5).is_empty());
}

#[test]
fn eviction_churn_keeps_index_and_heap_consistent() {
    let mut t = Top::new(16, PortRule::default());
    let mut x: u32 = 7;
    for i in 0..20_000u64 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        t.add(key((x >> 16) % 64), T0 + i / 10);
        if i % 997 == 0 {
            check_index(&t);
        }
    }
    check_index(&t);
    assert!(t.evictions() > 0);
}
