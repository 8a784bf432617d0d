//! What netdata writes to a plugin's stdin, as a line protocol.
//!
//! Netdata 2.x (`src/plugins.d/pluginsd_functions.c`,
//! `pluginsd_parser.c`) writes:
//!
//! ```text
//! FUNCTION <tx> <timeout> "<name args>" "<access>" "<source>"
//! FUNCTION_PAYLOAD <tx> <timeout> "<name args>" "<access>" "<source>" "<content type>"
//! <body lines>
//! FUNCTION_PAYLOAD_END
//! FUNCTION_CANCEL <tx>
//! FUNCTION_PROGRESS <tx>
//! QUIT
//! ```
//!
//! `<access>` is the caller's access (`http-access.h`'s bits, hex): what
//! netdata lets this caller see; `<source>` says who calls and is not read.
//! `QUIT` comes without a newline; netdata 1.37 writes only
//! `FUNCTION <tx> <timeout> "<name args>"`, with no access. Words are split as netdata's
//! parser splits them: on whitespace, with `"…"` or `'…'` grouping a word.
//!
//! Pure: bytes in, [`Event`]s out. Lines are gathered in a buffer reserved
//! at start-up, so bytes that arrive cost no allocation until a line is
//! complete.

/// The longest line kept; a longer one is dropped whole and reported once.
pub const MAX_LINE: usize = 16 * 1024;
/// The largest payload body accepted; a larger one is dropped.
const MAX_BODY: usize = 1024 * 1024;

/// A call of a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The transaction id, echoed in the answer.
    pub tx: String,
    /// Seconds netdata waits for the answer.
    pub timeout_s: u64,
    /// The function's name and its arguments, split into words.
    pub words: Vec<String>,
    /// The caller's access bits; `None` when netdata sent none (1.37).
    pub access: Option<u32>,
    /// The body of a `FUNCTION_PAYLOAD` (JSON from 2.x's UI), whole lines
    /// joined by `\n`.
    pub payload: Option<String>,
}

/// Every access bit netdata defines (`HTTP_ACCESS_ALL`).
const ACCESS_ALL: u32 = 0x7ff;

/// The access word as netdata's own plugins read it
/// (`http_access_from_hex()`: hex, an optional `0x`, masked with
/// `HTTP_ACCESS_ALL`); a word that is not hex grants nothing.
pub fn access(word: &str) -> u32 {
    let hex = word
        .strip_prefix("0x")
        .or_else(|| word.strip_prefix("0X"))
        .unwrap_or(word);
    let ok = !hex.is_empty() && hex.len() <= 16 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return 0;
    }
    (u64::from_str_radix(hex, 16).unwrap_or(0) & u64::from(ACCESS_ALL)) as u32
}

impl Call {
    /// A call of the Function and arguments `words`, for the tests.
    #[cfg(test)]
    pub(crate) fn of(tx: &str, timeout_s: u64, words: &[&str]) -> Call {
        Call {
            tx: tx.into(),
            timeout_s,
            words: words.iter().map(|w| w.to_string()).collect(),
            access: None,
            payload: None,
        }
    }
}

/// Something netdata asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Stop now.
    Quit,
    /// Call a function.
    Call(Call),
    /// The caller of `tx` went away.
    Cancel(String),
    /// A line that is not understood: what is wrong with it. Answered when
    /// it carries a transaction, else only logged.
    Malformed {
        tx: Option<String>,
        why: &'static str,
    },
    /// A line longer than [`MAX_LINE`] was dropped.
    Oversized,
}

/// The words of a line, split as netdata's parser splits them.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else {
            return out;
        };
        let mut w = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            for x in chars.by_ref() {
                if x == c {
                    break;
                }
                w.push(x);
            }
        } else {
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() {
                    break;
                }
                w.push(x);
                chars.next();
            }
        }
        out.push(w);
    }
}

/// A payload being received: the call it belongs to and its body so far.
#[derive(Debug)]
struct Payload {
    call: Option<Call>,
    body: String,
}

/// The stdin parser.
#[derive(Debug)]
pub struct Input {
    line: Vec<u8>,
    /// The current line is longer than [`MAX_LINE`]; skip to its end.
    skipping: bool,
    payload: Option<Payload>,
}

impl Default for Input {
    fn default() -> Self {
        Input::new()
    }
}

impl Input {
    /// A parser whose line buffer is reserved now.
    pub fn new() -> Input {
        Input {
            line: Vec::with_capacity(MAX_LINE),
            skipping: false,
            payload: None,
        }
    }

    /// Takes the bytes just read; calls `out` for every event they complete.
    /// A `QUIT` waiting for its newline counts at once: netdata 2.x sends
    /// none.
    pub fn feed(&mut self, bytes: &[u8], out: &mut impl FnMut(Event)) {
        for &b in bytes {
            if b == b'\n' {
                if self.skipping {
                    self.skipping = false;
                    out(Event::Oversized);
                } else {
                    self.end_line(out);
                }
                self.line.clear();
            } else if self.skipping {
            } else if self.line.len() == MAX_LINE {
                self.skipping = true;
                self.line.clear();
            } else {
                self.line.push(b);
            }
        }
        if self.payload.is_none() && self.line == b"QUIT" {
            self.line.clear();
            out(Event::Quit);
        }
    }

    /// Stdin reached its end: a last line without a newline counts, then
    /// the plugin stops.
    pub fn end(&mut self, out: &mut impl FnMut(Event)) {
        if !self.line.is_empty() && !self.skipping {
            self.end_line(out);
        }
        self.line.clear();
        out(Event::Quit);
    }

    fn end_line(&mut self, out: &mut impl FnMut(Event)) {
        let text = String::from_utf8_lossy(&self.line);
        let line = text.trim_end_matches('\r');
        if let Some(p) = self.payload.as_mut() {
            if line.trim() == "FUNCTION_PAYLOAD_END" {
                let p = self.payload.take().expect("payload in progress");
                if let Some(mut call) = p.call {
                    call.payload = Some(p.body);
                    out(Event::Call(call));
                }
            } else if p.call.is_some() {
                if p.body.len() + line.len() + 1 > MAX_BODY {
                    let call = p.call.take().expect("a call");
                    p.body = String::new();
                    out(Event::Malformed {
                        tx: Some(call.tx),
                        why: "the payload is larger than 1 MiB",
                    });
                } else {
                    if !p.body.is_empty() {
                        p.body.push('\n');
                    }
                    p.body.push_str(line);
                }
            }
            return;
        }
        let w = words(line);
        let Some(keyword) = w.first() else {
            return;
        };
        match keyword.as_str() {
            "QUIT" => out(Event::Quit),
            "FUNCTION" => out(call(&w)),
            "FUNCTION_PAYLOAD" => {
                let event = call(&w);
                let call = match event {
                    Event::Call(c) => Some(c),
                    other => {
                        out(other);
                        None
                    }
                };
                self.payload = Some(Payload {
                    call,
                    body: String::new(),
                });
            }
            "FUNCTION_CANCEL" => match w.get(1) {
                Some(tx) => out(Event::Cancel(tx.clone())),
                None => out(Event::Malformed {
                    tx: None,
                    why: "FUNCTION_CANCEL without a transaction",
                }),
            },
            // Progress requests need no answer.
            "FUNCTION_PROGRESS" => {}
            _ => out(Event::Malformed {
                tx: None,
                why: "an unknown keyword",
            }),
        }
    }
}

/// A `FUNCTION` (or `FUNCTION_PAYLOAD`) line as a call.
fn call(w: &[String]) -> Event {
    let tx = w.get(1).filter(|t| !t.is_empty()).cloned();
    let Some(tx) = tx else {
        return Event::Malformed {
            tx: None,
            why: "a function call without a transaction",
        };
    };
    let Some(timeout_s) = w.get(2).and_then(|t| t.parse::<u64>().ok()) else {
        return Event::Malformed {
            tx: Some(tx),
            why: "a function call without a timeout",
        };
    };
    let words = w.get(3).map(|f| words(f)).unwrap_or_default();
    if words.is_empty() {
        return Event::Malformed {
            tx: Some(tx),
            why: "a function call without a function",
        };
    }
    Event::Call(Call {
        tx,
        timeout_s,
        words,
        access: w.get(4).map(|a| access(a)),
        payload: None,
    })
}

#[cfg(test)]
mod tests;
