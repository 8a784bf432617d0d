//! Logging where and how netdata expects a plugin's messages.
//!
//! Netdata 2.x tells a plugin how to log with environment variables
//! (`src/libnetdata/log/nd_log-config.c`, `nd_log_set_user_settings()`):
//!
//! - `NETDATA_LOG_METHOD`: `journal` (systemd's native datagram protocol,
//!   the fields netdata's own plugins send), `syslog` (a datagram to
//!   `/dev/log`) or `stderr`. Without it, as libnetdata does, the journal
//!   when `JOURNAL_STREAM` says stderr is connected to it, else stderr.
//! - `NETDATA_LOG_FORMAT`: `logfmt` or `json` for stderr (`journal` means
//!   logfmt there). Netdata 1.37 sets none of these and copies stderr into
//!   its `error.log`: without a format, lines are plain text prefixed with
//!   the plugin's name, which also reads best in a terminal.
//! - `NETDATA_LOG_LEVEL`: messages below it are dropped (default `info`).
//!
//! Every message is formatted in fixed buffers on the stack and sent with
//! one `write` or `send`: logging never allocates. Callers log a condition
//! when it starts and ends, not on every sample (see [`crate::source`]).

mod render;
mod sink;

use std::io::Write;

use render::Buf;
pub(crate) use render::Format;
use sink::Sink;

/// Severity, in netdata's (syslog's) order, most severe first; the value
/// is the syslog priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Level {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Emergency => "emergency",
            Level::Alert => "alert",
            Level::Critical => "critical",
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// Reads a level name as netdata writes them (also the short syslog
    /// forms); `None` for anything else.
    pub fn parse(s: &str) -> Option<Level> {
        let l = s.trim();
        let is = |n: &str| l.eq_ignore_ascii_case(n);
        Some(if is("emergency") || is("emerg") {
            Level::Emergency
        } else if is("alert") {
            Level::Alert
        } else if is("critical") || is("crit") {
            Level::Critical
        } else if is("error") || is("err") {
            Level::Error
        } else if is("warning") || is("warn") {
            Level::Warning
        } else if is("notice") {
            Level::Notice
        } else if is("info") {
            Level::Info
        } else if is("debug") {
            Level::Debug
        } else {
            return None;
        })
    }
}

/// The longest message text kept; longer ones are cut.
const MESSAGE: usize = 1024;
/// Room for one rendered line or datagram: the message, escaped (up to six
/// bytes per byte in JSON), and the fields around it.
const LINE: usize = 8 * 1024;

/// The logger.
#[derive(Debug)]
pub struct Log {
    min: Level,
    format: Format,
    sink: Sink,
    /// `NETDATA_INVOCATION_ID`, compact lowercase hex (journal only).
    invocation: Option<[u8; 32]>,
}

impl Log {
    /// A logger configured from netdata's environment variables, looked up
    /// with `get`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Log {
        let min = get("NETDATA_LOG_LEVEL")
            .and_then(|v| Level::parse(&v))
            .unwrap_or(Level::Info);
        let format = match get("NETDATA_LOG_FORMAT").as_deref().map(str::trim) {
            Some("logfmt" | "journal") => Format::Logfmt,
            Some("json") => Format::Json,
            _ => Format::Plain,
        };
        let sink = Sink::from_env(&get);
        let invocation = get("NETDATA_INVOCATION_ID").and_then(|v| {
            let mut id = [0u8; 32];
            let mut n = 0;
            for b in v.bytes().filter(|b| *b != b'-') {
                if n == 32 || !b.is_ascii_hexdigit() {
                    return None;
                }
                id[n] = b.to_ascii_lowercase();
                n += 1;
            }
            (n == 32).then_some(id)
        });
        Log {
            min,
            // The journal fallback writes logfmt unless json was asked for.
            format: match (&sink, format) {
                (Sink::Journal(_), Format::Plain) => Format::Logfmt,
                _ => format,
            },
            sink,
            invocation,
        }
    }

    /// Whether messages go to the journal (its socket was found).
    #[cfg(test)]
    pub(crate) fn to_journal(&self) -> bool {
        matches!(self.sink, Sink::Journal(_))
    }

    /// Whether a message at `level` would be written.
    pub fn enabled(&self, level: Level) -> bool {
        level <= self.min
    }

    /// Logs the concatenation of `parts` at `level`, as one line (or one
    /// journal entry).
    pub fn log(&mut self, level: Level, parts: &[&str]) {
        if !self.enabled(level) {
            return;
        }
        let mut msg: Buf<MESSAGE> = Buf::new();
        for p in parts {
            msg.push_str(p);
        }
        self.emit(level, msg.as_bytes());
    }

    fn emit(&mut self, level: Level, msg: &[u8]) {
        let now = crate::clock::now().wall_us;
        let mut out: Buf<LINE> = Buf::new();
        match &self.sink {
            Sink::Journal(sock) => {
                render::journal_entry(&mut out, level, msg, self.invocation.as_ref());
                if sock.send(out.as_bytes()).is_ok() {
                    return;
                }
                // As libnetdata does: this message goes to stderr instead.
                out = Buf::new();
                render::line(&mut out, self.format, level, msg, now);
                write_stderr(out.as_bytes());
            }
            Sink::Syslog(sock, facility) => {
                render::syslog(&mut out, *facility, level, msg, now);
                // Like syslog(3): nowhere to report a failure.
                let _ = sock.send(out.as_bytes());
            }
            Sink::Stderr => {
                render::line(&mut out, self.format, level, msg, now);
                write_stderr(out.as_bytes());
            }
            #[cfg(test)]
            Sink::Memory(_) => {
                render::line(&mut out, self.format, level, msg, now);
                if let Sink::Memory(v) = &mut self.sink {
                    v.extend_from_slice(out.as_bytes());
                }
            }
        }
    }

    /// A logger that keeps its plain lines in memory, for unit tests.
    #[cfg(test)]
    pub(crate) fn memory_for_tests() -> Log {
        Log {
            min: Level::Info,
            format: Format::Plain,
            sink: Sink::Memory(Vec::new()),
            invocation: None,
        }
    }

    /// What a [`Log::memory_for_tests`] logger has written.
    #[cfg(test)]
    pub(crate) fn memory_text(&self) -> String {
        match &self.sink {
            Sink::Memory(v) => String::from_utf8(v.clone()).unwrap(),
            _ => String::new(),
        }
    }

    pub fn error(&mut self, parts: &[&str]) {
        self.log(Level::Error, parts);
    }

    pub fn warning(&mut self, parts: &[&str]) {
        self.log(Level::Warning, parts);
    }

    pub fn info(&mut self, parts: &[&str]) {
        self.log(Level::Info, parts);
    }

    /// A command-line mistake: for a person at a terminal (no netdata
    /// format asked for) `tcp_resets: <message>`, otherwise an error in the
    /// format and to the place netdata asked for.
    pub fn usage_error(&mut self, msg: &str) {
        if matches!(self.sink, Sink::Stderr) && self.format == Format::Plain {
            let mut out: Buf<LINE> = Buf::new();
            out.push(b"tcp_resets: ");
            out.push_visible(msg.as_bytes());
            out.push(b"\n");
            write_stderr(out.as_bytes());
        } else {
            self.emit(Level::Error, msg.as_bytes());
        }
    }
}

/// One `write` of a whole line; a failing stderr cannot be reported anywhere.
fn write_stderr(bytes: &[u8]) {
    let _ = std::io::stderr().lock().write_all(bytes);
}

#[cfg(test)]
mod tests;
