use super::*;

/// A record: header, then `body`, padded to a multiple of 8.
fn rec(ty: u32, body: &[u8]) -> Vec<u8> {
    let len = (HEADER_LEN + body.len()).next_multiple_of(8);
    let mut r = vec![0u8; len];
    r[0..4].copy_from_slice(&ty.to_ne_bytes());
    r[6..8].copy_from_slice(&(len as u16).to_ne_bytes());
    r[8..8 + body.len()].copy_from_slice(body);
    r
}

fn sample(raw: &[u8]) -> Vec<u8> {
    let mut body = (raw.len() as u32).to_ne_bytes().to_vec();
    body.extend_from_slice(raw);
    rec(PERF_RECORD_SAMPLE, &body)
}

fn lost(id: u64, n: u64) -> Vec<u8> {
    let mut body = id.to_ne_bytes().to_vec();
    body.extend_from_slice(&n.to_ne_bytes());
    rec(PERF_RECORD_LOST, &body)
}

/// Writes `records` into `data` from the free-running position `at` on,
/// wrapping at the end; returns the new head.
fn put(data: &mut [u8], mut at: u64, records: &[Vec<u8>]) -> u64 {
    let mask = data.len() as u64 - 1;
    for r in records {
        for &b in r {
            data[(at & mask) as usize] = b;
            at = at.wrapping_add(1);
        }
    }
    at
}

fn collect(data: &[u8], tail: u64, head: u64) -> (Vec<String>, Walk) {
    let mut seen = Vec::new();
    let w = walk(data, tail, head, |r| {
        seen.push(match r {
            Record::Sample(raw) => format!("sample {}", String::from_utf8_lossy(raw)),
            Record::Lost { id, lost } => format!("lost {id} {lost}"),
        })
    });
    assert_eq!(w.tail, head, "the tail always moves to the head");
    (seen, w)
}

#[test]
fn nothing_pending_is_nothing() {
    let data = [0u8; 64];
    let (seen, w) = collect(&data, 40, 40);
    assert!(seen.is_empty());
    assert_eq!(
        w,
        Walk {
            tail: 40,
            ..Walk::default()
        }
    );
}

#[test]
fn samples_and_lost_in_order() {
    let mut data = vec![0u8; 256];
    let head = put(
        &mut data,
        0,
        &[
            sample(b"one"),
            lost(7, 3),
            sample(b"second"),
            rec(3, b"comm"),
        ],
    );
    let (seen, w) = collect(&data, 0, head);
    assert_eq!(seen, ["sample one", "lost 7 3", "sample second"]);
    assert_eq!((w.samples, w.lost, w.other, w.corrupt), (2, 3, 1, 0));
}

#[test]
fn a_record_wrapping_around_the_end_is_whole() {
    // Every split point of the second record across the end, the header's
    // too, and counters near u64::MAX.
    for start in [0u64, u64::MAX - 200] {
        for shift in 0..40u64 {
            let mut data = vec![0u8; 64];
            let tail = start.wrapping_add(24 + shift);
            let head = put(
                &mut data,
                tail,
                &[sample(b"abc"), sample(b"wrapped-record!")],
            );
            let (seen, w) = collect(&data, tail, head);
            assert_eq!(
                seen,
                ["sample abc", "sample wrapped-record!"],
                "shift {shift}"
            );
            assert_eq!(w.corrupt, 0);
        }
    }
}

#[test]
fn a_wrapped_record_longer_than_the_stack_buffer_is_skipped() {
    let mut data = vec![0u8; 2048];
    let big = sample(&[b'x'; WRAP_BUF]);
    let tail = 2048 - 16;
    let head = put(&mut data, tail, &[big, sample(b"after")]);
    let (seen, w) = collect(&data, tail, head);
    assert_eq!(seen, ["sample after"]);
    assert_eq!(w.too_long, 1);
}

#[test]
fn corrupt_sizes_end_the_walk() {
    let mut data = vec![0u8; 128];
    // A zero-sized header would loop for ever if trusted.
    let head = put(&mut data, 0, &[sample(b"ok"), vec![0u8; 16]]);
    let (seen, w) = collect(&data, 0, head);
    assert_eq!((seen.len(), w.corrupt), (1, 1));
    // A record that runs past the head.
    let mut r = sample(b"x");
    r[6..8].copy_from_slice(&64u16.to_ne_bytes());
    let head = put(&mut data, 0, &[r]);
    assert_eq!(collect(&data, 0, head).1.corrupt, 1);
    // A head more than the area ahead of the tail.
    assert_eq!(collect(&data, 0, 129).1.corrupt, 1);
    // A head behind the tail.
    assert_eq!(collect(&data, 64, 8).1.corrupt, 1);
    // Fewer pending bytes than a header.
    assert_eq!(collect(&data, 0, 4).1.corrupt, 1);
    // A raw size past its record; a lost record too short.
    let mut s = sample(b"abcd");
    s[8..12].copy_from_slice(&1000u32.to_ne_bytes());
    let head = put(&mut data, 0, &[s, rec(PERF_RECORD_LOST, &[0; 4])]);
    let (seen, w) = collect(&data, 0, head);
    assert_eq!((seen.len(), w.corrupt), (0, 2));
    // An area that is not a power of two.
    assert_eq!(collect(&[0u8; 100], 0, 8).1.corrupt, 1);
}

#[test]
fn the_control_page_gives_the_area() {
    let mut page = vec![0u8; 4096];
    page[1040..1048].copy_from_slice(&4096u64.to_ne_bytes());
    page[1048..1056].copy_from_slice(&8192u64.to_ne_bytes());
    assert_eq!(
        area(&page),
        Some(Area {
            offset: 4096,
            size: 8192
        })
    );
    page[1048..1056].copy_from_slice(&8000u64.to_ne_bytes());
    assert_eq!(area(&page), None);
    assert_eq!(area(&page[..1050]), None);
}
