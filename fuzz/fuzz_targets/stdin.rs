//! Fuzzes stdin's line protocol: any bytes, cut anywhere, never panic; a
//! call always has a transaction and a function; and how the bytes are cut
//! into reads changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcp_resets::functions::protocol::{Event, Input};

fn events(data: &[u8], chunk: usize) -> Vec<Event> {
    let mut input = Input::new();
    let mut v = Vec::new();
    for c in data.chunks(chunk.max(1)) {
        input.feed(c, &mut |e| v.push(e));
    }
    input.end(&mut |e| v.push(e));
    v
}

fuzz_target!(|data: &[u8]| {
    let (&cut, rest) = match data.split_first() {
        Some(x) => x,
        None => return,
    };
    let whole = events(rest, rest.len());
    for e in &whole {
        if let Event::Call(c) = e {
            assert!(!c.tx.is_empty() && !c.words.is_empty());
        }
    }
    // QUIT without a newline counts as soon as it is complete, so cutting
    // can only add QUITs; everything else is the same.
    let without_quit = |v: Vec<Event>| -> Vec<Event> {
        v.into_iter().filter(|e| *e != Event::Quit).collect()
    };
    let cut_up = events(rest, usize::from(cut % 16) + 1);
    if !rest.contains(&b'Q') {
        assert_eq!(without_quit(whole), without_quit(cut_up));
    }
});
