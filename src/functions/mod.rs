//! netdata Functions: the table of the plugin's Functions ([`FUNCTIONS`]),
//! the lines that register them, and the one place that applies the
//! protocol's rules to what netdata asks on stdin ([`protocol`]): answer a
//! call, 499 for a call cancelled before it was answered, 504 past its
//! timeout, 400 for a malformed call, 404 for an unknown Function.
//!
//! An answer is framed as netdata's plugins.d protocol wants it
//! (`src/plugins.d/README.md`, `pluginsd_functions.c`):
//!
//! ```text
//! FUNCTION_RESULT_BEGIN <tx> <status> application/json <expires>
//! {"status":200,"type":"table",...}
//! FUNCTION_RESULT_END
//! ```
//!
//! The body is one line of JSON, so no line of it can be taken for
//! `FUNCTION_RESULT_END`. Errors are JSON too ([`json::error_body`]).
//!
//! Adding a Function is one module with a [`FunctionDef`] and a
//! [`Handler`], and one line in [`FUNCTIONS`].

pub mod protocol;
pub mod tcp_listeners;
pub mod tcp_resets;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::clock;
use crate::json;
use crate::log::Log;
use crate::resets::Resets;
use crate::stdio::{Halt, Stdio};
use protocol::{Call, Event};

/// A Function as netdata registers it, and how to answer it.
#[derive(Debug)]
pub struct FunctionDef {
    /// Its name (a contract).
    pub name: &'static str,
    /// The one-line help netdata shows.
    pub help: &'static str,
    /// Seconds netdata waits for an answer unless the caller says otherwise.
    pub timeout_s: u64,
    /// netdata's tags (`top`).
    pub tags: &'static str,
    /// The access bits a caller needs (`http-access.h`).
    pub access: u32,
    /// Its place among the Functions netdata lists.
    pub priority: u64,
    /// Makes its handler, once at start-up.
    pub handler: fn(&Context) -> Box<dyn Handler>,
}

/// What the plugin shares with the Functions' handlers at start-up.
#[derive(Debug, Default)]
pub struct Context {
    /// The reset tracepoints, or why they are not open.
    pub resets: Option<Result<Rc<RefCell<Resets>>, String>>,
}

/// Answers the calls of one Function.
pub trait Handler: std::fmt::Debug {
    /// The answer to `info` (the UI asks it before the data): what the
    /// Function is and takes, without reading anything or moving any
    /// state (`&self`).
    fn info(&self, request: &Request<'_>) -> String;

    /// The body of the answer to a call (JSON, one line), or why not.
    fn answer(&mut self, request: &Request<'_>) -> Result<String, Failure>;
}

/// netdata's access bits (`src/libnetdata/user-auth/http-access.h`).
pub mod access {
    /// Signed in to Netdata Cloud.
    pub const SIGNED_ID: u32 = 0x1;
    /// In the node's Cloud space.
    pub const SAME_SPACE: u32 = 0x2;
    /// Data any caller of the agent's API may see; what netdata gives an
    /// anonymous caller.
    pub const ANONYMOUS_DATA: u32 = 0x8;
    /// Sensitive data.
    pub const SENSITIVE_DATA: u32 = 0x10;
    /// What netdata's own Functions require before they show process
    /// names, PIDs, users or connections (`network-viewer.c`,
    /// `apps_plugin.c`): all three bits.
    pub const SENSITIVE: u32 = SIGNED_ID | SAME_SPACE | SENSITIVE_DATA;
}

/// What a handler is asked.
#[derive(Clone, Copy)]
#[allow(missing_debug_implementations)] // `stopped` is a closure.
pub struct Request<'a> {
    /// The words after the Function's name.
    pub args: &'a [String],
    /// The plugin's update interval, in seconds.
    pub update_every: u64,
    /// Asked while the answer is made: the plugin is stopping.
    pub stopped: &'a dyn Fn() -> bool,
    /// Whether the caller may see sensitive data: netdata says its access
    /// includes [`access::SENSITIVE`] (`http_access_user_has_enough_access_level_for_endpoint()`).
    /// Never when netdata sent no access (1.37).
    pub sensitive: bool,
}

/// A call that cannot be answered: the status, and a message for the
/// caller (which is also logged, once per Function and status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub message: String,
}

/// Every Function of the plugin.
pub const FUNCTIONS: &[FunctionDef] = &[tcp_listeners::DEF, tcp_resets::DEF];

/// Things logged once for the plugin's life, not once per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Once {
    Malformed = 1,
    Unknown = 2,
    Oversized = 4,
    Late = 8,
    Unechoable = 16,
    /// A handler's failure: shifted by the Function's index.
    Failed = 32,
}

/// Whether `tx` can be echoed back as one protocol word.
fn echoable(tx: &str) -> bool {
    !tx.is_empty()
        && tx.len() <= 64
        && tx
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `call` asks for `info`: the word among its arguments (a GET),
/// or `"info": true` in its JSON body (a POST, as 2.x's UI sends once an
/// info answer said `v: 3`).
fn asks_info(call: &Call) -> bool {
    call.words.iter().skip(1).any(|w| w == "info")
        || call.payload.as_deref().is_some_and(|body| {
            // The key, then its value: `true` after the colon.
            body.match_indices("\"info\"").any(|(at, key)| {
                let rest = body[at + key.len()..].trim_start();
                rest.strip_prefix(':')
                    .is_some_and(|v| v.trim_start().starts_with("true"))
            })
        })
}

/// A whole answer: the frame around `body`. The frame expires now (a
/// later time makes netdata 2.x let proxies cache it, `Cache-Control:
/// public`, and answers differ by caller); the body says how long its
/// data holds.
fn frame(tx: &str, status: u16, body: &str) -> Vec<u8> {
    let mut o = String::with_capacity(body.len() + 128);
    let _ = write!(
        o,
        "FUNCTION_RESULT_BEGIN {tx} {status} application/json {}\n{body}\nFUNCTION_RESULT_END\n",
        clock::now().wall_s()
    );
    o.into_bytes()
}

/// An error answer to `tx`, when `tx` can be echoed.
fn error(tx: &str, status: u16, message: &str) -> Option<Vec<u8>> {
    echoable(tx).then(|| frame(tx, status, &json::error_body(status, message)))
}

/// The Functions' handlers, and what was logged once.
#[derive(Debug)]
pub struct Dispatcher {
    defs: &'static [FunctionDef],
    handlers: Vec<Box<dyn Handler>>,
    logged: u64,
}

impl Dispatcher {
    /// Makes the handler of every Function of `defs`, sharing `context`.
    pub fn new(defs: &'static [FunctionDef], context: &Context) -> Dispatcher {
        Dispatcher {
            defs,
            handlers: defs.iter().map(|d| (d.handler)(context)).collect(),
            logged: 0,
        }
    }

    /// The lines that register every Function: global (not tied to a
    /// chart). Netdata 1.37 reads the first four words and ignores the
    /// rest.
    pub fn registration(&self) -> String {
        let mut o = String::new();
        for d in self.defs {
            let _ = writeln!(
                o,
                "FUNCTION GLOBAL \"{}\" {} \"{}\" \"{}\" \"0x{:x}\" {} 0",
                d.name, d.timeout_s, d.help, d.tags, d.access, d.priority
            );
        }
        o
    }

    /// Logs `parts` unless `what` (with `bits` beyond it) was logged
    /// before.
    fn log_once(&mut self, what: Once, shift: usize, log: &mut Log, parts: &[&str]) {
        let bit = (what as u64) << shift;
        if self.logged & bit == 0 {
            self.logged |= bit;
            log.error(parts);
        }
    }

    /// Answers what netdata asked on stdin since the last look: Function
    /// calls (a call whose caller went away in the meantime gets 499),
    /// malformed requests (400 when they name a transaction, else only
    /// logged). Each answer is written whole, between samples; a stop wins
    /// over answering what is still queued.
    pub fn serve(
        &mut self,
        stdio: &mut Stdio,
        update_every: u64,
        log: &mut Log,
    ) -> Result<(), Halt> {
        let events = stdio.take_events();
        let stdio: &Stdio = stdio;
        let stopped = || stdio.signalled();
        let cancelled = |tx: &str| {
            events
                .iter()
                .any(|(_, e)| matches!(e, Event::Cancel(c) if c == tx))
        };
        for (arrived, event) in &events {
            stdio.check_signal()?;
            let answer = match event {
                Event::Call(call) if cancelled(&call.tx) => {
                    error(&call.tx, 499, "the caller went away")
                }
                Event::Call(call) => self.answer(call, *arrived, update_every, log, &stopped),
                Event::Malformed { tx, why } => {
                    self.log_once(
                        Once::Malformed,
                        0,
                        log,
                        &["netdata sent ", why, " on stdin; ignored (said once)"],
                    );
                    tx.as_deref()
                        .and_then(|tx| error(tx, 400, &format!("malformed call: {why}")))
                }
                Event::Oversized => {
                    self.log_once(
                        Once::Oversized,
                        0,
                        log,
                        &["a line of more than 16 KiB arrived on stdin; dropped (said once)"],
                    );
                    None
                }
                Event::Cancel(_) | Event::Quit => None,
            };
            if let Some(bytes) = answer {
                stdio.write(&bytes)?;
            }
        }
        Ok(())
    }

    /// The answer to `call`, read at `arrived`: the handler's, or an error
    /// status (404 for an unknown Function, the handler's failure, 504
    /// when the answer could not be ready within the caller's timeout).
    /// `None` when the transaction cannot be echoed. `stopped` is asked
    /// while the answer is made.
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
                0,
                log,
                &["a function call with a transaction id netdata never sends; not answered"],
            );
            return None;
        }
        let name = call.words.first().map(String::as_str).unwrap_or("");
        let Some(i) = self.defs.iter().position(|d| d.name == name) else {
            self.log_once(
                Once::Unknown,
                0,
                log,
                &[
                    "netdata called the unknown function '",
                    name,
                    "'; answered 404",
                ],
            );
            return error(
                &call.tx,
                404,
                &format!("this plugin has no function '{name}'"),
            );
        };
        let def = &self.defs[i];
        let deadline = Duration::from_secs(call.timeout_s.max(1));
        let late = |me: &mut Self, log: &mut Log| {
            me.log_once(
                Once::Late,
                0,
                log,
                &[
                    "a ",
                    def.name,
                    " call could not be answered within its timeout; answered 504",
                ],
            );
            error(
                &call.tx,
                504,
                "the answer could not be ready within the timeout",
            )
        };
        if arrived.elapsed() >= deadline {
            return late(self, log);
        }
        let request = Request {
            args: &call.words[1..],
            update_every,
            stopped,
            sensitive: call
                .access
                .is_some_and(|a| a & access::SENSITIVE == access::SENSITIVE),
        };
        if asks_info(call) {
            return Some(frame(&call.tx, 200, &self.handlers[i].info(&request)));
        }
        let answer = self.handlers[i].answer(&request);
        if arrived.elapsed() >= deadline {
            return late(self, log);
        }
        match answer {
            Ok(body) => Some(frame(&call.tx, 200, &body)),
            Err(f) => {
                let status = f.status.to_string();
                self.log_once(
                    Once::Failed,
                    i,
                    log,
                    &[def.name, ": ", &f.message, "; calls are answered ", &status],
                );
                error(&call.tx, f.status, &f.message)
            }
        }
    }
}

#[cfg(test)]
mod tests;
