use super::*;

fn events(chunks: &[&[u8]], eof: bool) -> Vec<Event> {
    let mut input = Input::new();
    let mut v = Vec::new();
    for c in chunks {
        input.feed(c, &mut |e| v.push(e));
    }
    if eof {
        input.end(&mut |e| v.push(e));
    }
    v
}

fn call(tx: &str, timeout_s: u64, words: &[&str]) -> Event {
    Event::Call(Call::of(tx, timeout_s, words))
}

#[test]
fn netdata_2_call_with_access_and_source() {
    let e = events(
        &[b"FUNCTION cbf78ae1e3814d23bc69b6e530162ded 10 \"tcp-listeners port:22 info\" \"0x8\" \"method=none,role=any,permissions=0x8,ip=localhost\"\n"],
        false,
    );
    let mut want = Call::of(
        "cbf78ae1e3814d23bc69b6e530162ded",
        10,
        &["tcp-listeners", "port:22", "info"],
    );
    want.access = Some(0x8);
    assert_eq!(e, [Event::Call(want)]);
}

#[test]
fn the_access_word_is_read_as_netdata_reads_it() {
    assert_eq!(access("0x13"), 0x13);
    assert_eq!(access("0X1F"), 0x1f);
    assert_eq!(access("13"), 0x13);
    assert_eq!(access("0xffffffff"), 0x7ff);
    for nothing in ["", "0x", "any", "0x1g", "-1", "0x11111111111111111"] {
        assert_eq!(access(nothing), 0, "{nothing:?}");
    }
}

#[test]
fn netdata_1_37_call_split_across_reads() {
    let e = events(
        &[
            b"FUNCTION ffaa80ec-e8f2-11f1-82a4-02fc00000001 1",
            b"0 \"tcp-listeners\"",
            b"\n",
        ],
        false,
    );
    assert_eq!(
        e,
        [call(
            "ffaa80ec-e8f2-11f1-82a4-02fc00000001",
            10,
            &["tcp-listeners"]
        )]
    );
}

#[test]
fn quit_without_a_newline_counts_at_once() {
    assert_eq!(events(&[b"QUIT"], false), [Event::Quit]);
    assert_eq!(events(&[b"QU", b"IT"], false), [Event::Quit]);
    assert_eq!(events(&[b"QUIT\n"], false), [Event::Quit]);
    // ... but a line that only starts like it is something else.
    assert_eq!(
        events(&[b"QUITE\n"], false),
        [Event::Malformed {
            tx: None,
            why: "an unknown keyword"
        }]
    );
}

#[test]
fn eof_ends_with_quit_after_a_last_line_without_newline() {
    assert_eq!(
        events(&[b"FUNCTION_CANCEL abc"], true),
        [Event::Cancel("abc".into()), Event::Quit]
    );
    assert_eq!(events(&[], true), [Event::Quit]);
}

#[test]
fn payload_body_lines_are_not_commands() {
    let e = events(
        &[
            b"FUNCTION_PAYLOAD 3d6c 5 \"tcp-listeners\" \"0x8\" \"m\" \"application/json\"\n",
            b"{\"selections\":{\"x\":[\"y\"]},\nQUIT\nFUNCTION x 1 \"y\"\n",
            b"FUNCTION_PAYLOAD_END\n",
        ],
        false,
    );
    let mut want = Call::of("3d6c", 5, &["tcp-listeners"]);
    want.access = Some(0x8);
    want.payload = Some("{\"selections\":{\"x\":[\"y\"]},\nQUIT\nFUNCTION x 1 \"y\"".into());
    assert_eq!(e, [Event::Call(want)]);
}

#[test]
fn cancel_progress_and_garbage() {
    let e = events(
        &[b"FUNCTION_PROGRESS abc\nFUNCTION_CANCEL abc\n\nhello world\nFUNCTION\nFUNCTION t x \"f\"\nFUNCTION t 1 \"\"\n"],
        false,
    );
    assert_eq!(
        e,
        [
            Event::Cancel("abc".into()),
            Event::Malformed {
                tx: None,
                why: "an unknown keyword"
            },
            Event::Malformed {
                tx: None,
                why: "a function call without a transaction"
            },
            Event::Malformed {
                tx: Some("t".into()),
                why: "a function call without a timeout"
            },
            Event::Malformed {
                tx: Some("t".into()),
                why: "a function call without a function"
            },
        ]
    );
}

#[test]
fn an_oversized_line_is_dropped_whole_and_reported() {
    let long = vec![b'x'; MAX_LINE + 10];
    let e = events(&[&long, b"\nQUIT"], false);
    assert_eq!(e, [Event::Oversized, Event::Quit]);
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut input = Input::new();
    let mut n = 0u64;
    let mut x: u32 = 12345;
    for _ in 0..100_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let b = [(x >> 16) as u8, b'"', b'\n', b'Q', (x >> 8) as u8];
        input.feed(&b[..(x % 5) as usize + 1], &mut |_| n += 1);
    }
    input.end(&mut |_| n += 1);
    assert!(n > 0);
}

#[test]
fn words_split_like_netdata() {
    assert_eq!(words("a  'b c' \"d 'e'\" f"), ["a", "b c", "d 'e'", "f"]);
    assert_eq!(words("\"\" x"), ["", "x"]);
    assert_eq!(words("'unterminated"), ["unterminated"]);
}
