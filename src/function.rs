//! The netdata Function `tcp-listeners`: the line that registers it, and
//! the answer to a call, framed as netdata's plugins.d protocol wants it
//! (`src/plugins.d/README.md`, `pluginsd_functions.c`):
//!
//! ```text
//! FUNCTION_RESULT_BEGIN <tx> <status> application/json <expires>
//! {"status":200,"type":"table",...}
//! FUNCTION_RESULT_END
//! ```
//!
//! The body is one line of JSON, so no line of it can be taken for
//! `FUNCTION_RESULT_END`. Errors are JSON too, with both spellings of the
//! message key (1.37 writes `error_message`, 2.x `errorMessage`).

use std::fmt::Write as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::input::Call;
use crate::listeners::{table, Listeners};
use crate::log::Log;

/// The Function's name (a contract).
pub const NAME: &str = "tcp-listeners";

/// Seconds netdata waits for an answer unless the caller says otherwise.
const TIMEOUT_S: u64 = 10;

/// What the Function shows, as its registration says: FreeBSD keeps no
/// drop counter per listening socket.
const HELP: &str = if cfg!(target_os = "freebsd") {
    "Listening TCP sockets: accept queue and its limit, half-open handshakes and owner, worst first"
} else {
    "Listening TCP sockets: accept queue and its limit, drops, half-open handshakes and owner, worst first"
};

/// Registers the Function, global (not tied to a chart), tagged `top`,
/// callable without a Netdata Cloud login (access `0x0`). Netdata 1.37
/// reads the first four words and ignores the rest.
pub fn registration() -> String {
    format!("FUNCTION GLOBAL \"{NAME}\" {TIMEOUT_S} \"{HELP}\" \"top\" \"0x0\" 100 0\n")
}

/// Things logged once for the plugin's life, not once per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Once {
    Malformed = 1,
    Unknown = 2,
    Oversized = 4,
    Unavailable = 8,
    Late = 16,
    Unechoable = 32,
}

/// Answers calls.
#[derive(Debug, Default)]
pub struct Functions {
    listeners: Listeners,
    logged: u32,
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether `tx` can be echoed back as one protocol word.
fn echoable(tx: &str) -> bool {
    !tx.is_empty()
        && tx.len() <= 64
        && tx
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A whole answer: the frame around `body`.
fn frame(tx: &str, status: u16, body: &str) -> Vec<u8> {
    let mut o = String::with_capacity(body.len() + 128);
    let _ = write!(
        o,
        "FUNCTION_RESULT_BEGIN {tx} {status} application/json {}\n{body}\nFUNCTION_RESULT_END\n",
        now_s()
    );
    o.into_bytes()
}

/// An error answer's JSON body.
fn error_body(status: u16, message: &str) -> String {
    let mut m = String::new();
    for c in message.chars() {
        match c {
            '"' => m.push_str("\\\""),
            '\\' => m.push_str("\\\\"),
            c if (c as u32) < 0x20 => m.push(' '),
            c => m.push(c),
        }
    }
    format!("{{\"status\":{status},\"error_message\":\"{m}\",\"errorMessage\":\"{m}\"}}")
}

impl Functions {
    /// Logs `parts` unless `what` was logged before.
    pub fn log_once(&mut self, what: Once, log: &mut Log, parts: &[&str]) {
        if self.logged & what as u32 == 0 {
            self.logged |= what as u32;
            log.error(parts);
        }
    }

    /// An error answer to `tx`, when `tx` can be echoed.
    pub fn error(tx: &str, status: u16, message: &str) -> Option<Vec<u8>> {
        echoable(tx).then(|| frame(tx, status, &error_body(status, message)))
    }

    /// The answer to `call`, read at `arrived`: the table, or an error
    /// status (404 for another function, 503 when the sockets cannot be
    /// read here or the plugin is stopping, 504 when the answer could not
    /// be ready within the caller's timeout). `None` when the transaction
    /// cannot be echoed. `stopped` is asked while the sockets are read.
    pub fn answer(
        &mut self,
        call: &Call,
        arrived: Instant,
        update_every: u64,
        log: &mut Log,
        stopped: &dyn Fn() -> bool,
    ) -> Option<Vec<u8>> {
        if !echoable(&call.tx) {
            self.log_once(
                Once::Unechoable,
                log,
                &["a function call with a transaction id netdata never sends; not answered"],
            );
            return None;
        }
        let name = call.words.first().map(String::as_str).unwrap_or("");
        if name != NAME {
            self.log_once(
                Once::Unknown,
                log,
                &[
                    "netdata called the unknown function '",
                    name,
                    "'; answered 404",
                ],
            );
            return Self::error(
                &call.tx,
                404,
                &format!("this plugin has no function '{name}'"),
            );
        }
        let deadline = Duration::from_secs(call.timeout_s.max(1));
        let late = |log: &mut Log, me: &mut Self| {
            me.log_once(
                Once::Late,
                log,
                &["a tcp-listeners call could not be answered within its timeout; answered 504"],
            );
            Self::error(
                &call.tx,
                504,
                "the listeners could not be read within the timeout",
            )
        };
        if arrived.elapsed() >= deadline {
            return late(log, self);
        }
        // Arguments (the UI may send "info") change nothing: there is one
        // table.
        let table = match self.listeners.table(stopped) {
            Ok(t) => t,
            Err(why) => {
                self.log_once(
                    Once::Unavailable,
                    log,
                    &["tcp-listeners: ", &why, "; calls are answered 503"],
                );
                return Self::error(&call.tx, 503, &why);
            }
        };
        if arrived.elapsed() >= deadline {
            return late(log, self);
        }
        let body = table::json(&table, update_every, now_s());
        Some(frame(&call.tx, 200, &body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tx: &str, words: &[&str]) -> Call {
        Call {
            tx: tx.into(),
            timeout_s: 10,
            words: words.iter().map(|w| w.to_string()).collect(),
        }
    }

    fn parts(answer: &[u8]) -> (Vec<String>, serde_json::Value, String) {
        let s = std::str::from_utf8(answer).unwrap();
        let lines: Vec<&str> = s.split_inclusive('\n').collect();
        assert_eq!(lines.len(), 3, "{s}");
        let head = lines[0].split_whitespace().map(str::to_string).collect();
        let body = serde_json::from_str(lines[1].trim_end()).unwrap();
        (head, body, lines[2].to_string())
    }

    #[test]
    fn registration_is_one_line_that_both_agents_read() {
        let r = registration();
        assert!(r.starts_with("FUNCTION GLOBAL \"tcp-listeners\" 10 \""));
        assert!(r.ends_with("\" \"top\" \"0x0\" 100 0\n"));
        assert_eq!(r.matches('\n').count(), 1);
        // 1.37 reads at most 20 words a line.
        assert!(crate::input::words(&r).len() <= 20);
    }

    #[test]
    fn unknown_function_is_404_and_logged_once() {
        let mut f = Functions::default();
        let mut log = Log::memory_for_tests();
        for _ in 0..3 {
            let a = f
                .answer(
                    &call("abc", &["processes"]),
                    Instant::now(),
                    1,
                    &mut log,
                    &|| false,
                )
                .unwrap();
            let (head, body, end) = parts(&a);
            assert_eq!(
                head[..4],
                ["FUNCTION_RESULT_BEGIN", "abc", "404", "application/json"]
            );
            assert_eq!(body["status"], 404);
            assert_eq!(body["errorMessage"], body["error_message"]);
            assert_eq!(end, "FUNCTION_RESULT_END\n");
        }
        assert_eq!(log.memory_text().lines().count(), 1);
    }

    #[test]
    fn a_call_past_its_timeout_is_answered_504() {
        let mut f = Functions::default();
        let mut log = Log::memory_for_tests();
        let mut c = call("t1", &["tcp-listeners"]);
        c.timeout_s = 1;
        let arrived = Instant::now() - Duration::from_secs(2);
        let (head, body, _) = parts(&f.answer(&c, arrived, 1, &mut log, &|| false).unwrap());
        assert_eq!(head[2], "504");
        assert_eq!(body["status"], 504);
    }

    #[test]
    fn a_transaction_that_cannot_be_echoed_is_not_answered() {
        let mut f = Functions::default();
        let mut log = Log::memory_for_tests();
        assert!(f
            .answer(
                &call("a b", &["tcp-listeners"]),
                Instant::now(),
                1,
                &mut log,
                &|| false
            )
            .is_none());
        assert!(Functions::error("x\ny", 400, "m").is_none());
        assert!(Functions::error("", 400, "m").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_table_of_this_host() {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        let mut f = Functions::default();
        let mut log = Log::memory_for_tests();
        let c = call(
            "ffaa80ec-e8f2-11f1-82a4-02fc00000001",
            &["tcp-listeners", "info"],
        );
        let (head, body, _) = parts(
            &f.answer(&c, Instant::now(), 1, &mut log, &|| false)
                .unwrap(),
        );
        assert_eq!(head[2], "200");
        let data = body["data"].as_array().unwrap();
        let ours = format!("127.0.0.1:{port}");
        assert!(data.iter().any(|r| r[0] == ours.as_str()), "{body}");
        // The second call knows the drops since the first.
        let (_, body, _) = parts(
            &f.answer(&c, Instant::now(), 1, &mut log, &|| false)
                .unwrap(),
        );
        let row = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == ours.as_str())
            .unwrap()
            .clone();
        assert_eq!(row[6], 0, "{row}");
    }
}
