//! Logging to stderr, where netdata files a plugin's messages (1.37: its
//! `error.log`; 2.x: the collector log).
//!
//! Honours `NETDATA_LOG_LEVEL` (messages below it are dropped) and
//! `NETDATA_LOG_FORMAT` (`logfmt` with netdata's keys, or `json`); with
//! neither set, plain lines prefixed with the plugin's name. A message equal
//! to the previous one within a minute is counted, not printed, and the
//! count is reported with the next different message. Formatting uses a
//! fixed buffer on the stack: logging never allocates.

use crate::charts::PLUGIN;
use crate::sys;

/// Severity, in netdata's (syslog's) order, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
}

impl Level {
    fn name(self) -> &'static str {
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
        let l = s.trim().to_ascii_lowercase();
        Some(match l.as_str() {
            "emergency" | "emerg" => Level::Emergency,
            "alert" => Level::Alert,
            "critical" | "crit" => Level::Critical,
            "error" | "err" => Level::Error,
            "warning" | "warn" => Level::Warning,
            "notice" => Level::Notice,
            "info" => Level::Info,
            "debug" => Level::Debug,
            _ => return None,
        })
    }
}

/// How lines look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `tcp_resets.plugin: error: message`
    Plain,
    /// `time=… comm=tcp_resets.plugin source=collector level=error msg="…"`
    Logfmt,
    /// `{"time":"…","comm":"tcp_resets.plugin",…}`
    Json,
}

/// Where lines go.
#[derive(Debug)]
enum Sink {
    Fd(i32),
    #[cfg(test)]
    Memory(Vec<u8>),
}

const LINE: usize = 1024;
const REPEAT_WINDOW_US: u64 = 60_000_000;

/// The logger.
#[derive(Debug)]
pub struct Log {
    min: Level,
    format: Format,
    sink: Sink,
    last_hash: u64,
    last_time: u64,
    repeats: u64,
}

/// A fixed-size line buffer that silently truncates.
struct Line {
    buf: [u8; LINE],
    len: usize,
}

impl Line {
    fn push(&mut self, s: &[u8]) {
        let n = s.len().min(LINE - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    fn num(&mut self, n: u64, width: usize) {
        let mut b = itoa::Buffer::new();
        let s = b.format(n).as_bytes();
        for _ in s.len()..width {
            self.push(b"0");
        }
        self.push(s);
    }

    /// Pushes `s` escaped for a double-quoted logfmt or JSON string.
    fn escaped(&mut self, s: &[u8], json: bool) {
        for &b in s {
            match b {
                b'"' => self.push(b"\\\""),
                b'\\' => self.push(b"\\\\"),
                b'\n' => self.push(b"\\n"),
                b'\t' => self.push(b"\\t"),
                0..=0x1f | 0x7f => {
                    if json {
                        const HEX: &[u8; 16] = b"0123456789abcdef";
                        self.push(b"\\u00");
                        self.push(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
                    } else {
                        self.push(b"?");
                    }
                }
                _ => self.push(&[b]),
            }
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil(days: i64) -> (i64, u64, u64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u64;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Log {
    /// A logger configured from netdata's environment variables.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Log {
        let min = get("NETDATA_LOG_LEVEL")
            .and_then(|v| Level::parse(&v))
            .unwrap_or(Level::Info);
        let format = match get("NETDATA_LOG_FORMAT").as_deref().map(str::trim) {
            Some("logfmt") => Format::Logfmt,
            Some("json") => Format::Json,
            _ => Format::Plain,
        };
        Log::new(min, format, 2)
    }

    fn new(min: Level, format: Format, fd: i32) -> Log {
        Log {
            min,
            format,
            sink: Sink::Fd(fd),
            last_hash: 0,
            last_time: 0,
            repeats: 0,
        }
    }

    /// Whether a message at `level` would be written.
    pub fn enabled(&self, level: Level) -> bool {
        level <= self.min
    }

    /// Logs the concatenation of `parts` at `level`, as one line.
    pub fn log(&mut self, level: Level, parts: &[&str]) {
        if !self.enabled(level) {
            return;
        }
        let now = sys::realtime_us();
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ level as u64;
        for p in parts {
            for &b in p.as_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        if h == self.last_hash && now.saturating_sub(self.last_time) < REPEAT_WINDOW_US {
            self.repeats += 1;
            return;
        }
        let repeats = std::mem::take(&mut self.repeats);
        self.last_hash = h;
        self.last_time = now;

        let mut msg = Line {
            buf: [0; LINE],
            len: 0,
        };
        for p in parts {
            msg.push(p.as_bytes());
        }
        if repeats > 0 {
            msg.push(b" (the previous message repeated ");
            msg.num(repeats, 0);
            msg.push(b" more times)");
        }
        let msg = &msg.buf[..msg.len];

        let mut line = Line {
            buf: [0; LINE],
            len: 0,
        };
        match self.format {
            Format::Plain => {
                line.push(PLUGIN.as_bytes());
                line.push(b": ");
                line.push(level.name().as_bytes());
                line.push(b": ");
                line.escaped(msg, false);
            }
            Format::Logfmt => {
                line.push(b"time=");
                push_time(&mut line, now);
                line.push(b" comm=");
                line.push(PLUGIN.as_bytes());
                line.push(b" source=collector level=");
                line.push(level.name().as_bytes());
                line.push(b" msg=\"");
                line.escaped(msg, false);
                line.push(b"\"");
            }
            Format::Json => {
                line.push(b"{\"time\":\"");
                push_time(&mut line, now);
                line.push(b"\",\"comm\":\"");
                line.push(PLUGIN.as_bytes());
                line.push(b"\",\"source\":\"collector\",\"level\":\"");
                line.push(level.name().as_bytes());
                line.push(b"\",\"msg\":\"");
                line.escaped(msg, true);
                line.push(b"\"}");
            }
        }
        line.buf[line.len] = b'\n';
        let bytes = &line.buf[..line.len + 1];
        match &mut self.sink {
            // A failing stderr cannot be reported anywhere.
            Sink::Fd(fd) => drop(sys::write_all(*fd, bytes)),
            #[cfg(test)]
            Sink::Memory(v) => v.extend_from_slice(bytes),
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
}

/// `2026-11-25T02:40:00.123+00:00`
fn push_time(line: &mut Line, us: u64) {
    let secs = us / 1_000_000;
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    line.num(y.max(0) as u64, 4);
    line.push(b"-");
    line.num(mo, 2);
    line.push(b"-");
    line.num(d, 2);
    line.push(b"T");
    line.num(s / 3600, 2);
    line.push(b":");
    line.num(s / 60 % 60, 2);
    line.push(b":");
    line.num(s % 60, 2);
    line.push(b".");
    line.num(us / 1000 % 1000, 3);
    line.push(b"+00:00");
}

/// How the last read of a source went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Good,
    Unreadable,
    Broken,
}

/// Logs a source's trouble once when it starts and once when it ends,
/// never on every sample.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    path: &'static str,
    health: Health,
}

impl Watch {
    /// A source named `path`, assumed good.
    pub fn new(path: &'static str) -> Watch {
        Watch {
            path,
            health: Health::Good,
        }
    }

    /// Notes how this read went, logging only changes of state: an error
    /// naming the path and `detail` (at most five parts), or that values
    /// resume.
    pub fn report(&mut self, log: &mut Log, health: Health, detail: &[&str]) {
        if health == self.health {
            return;
        }
        self.health = health;
        if health == Health::Good {
            log.info(&[self.path, ": readable again; values resume"]);
            return;
        }
        let mut parts: [&str; 8] = [""; 8];
        parts[0] = self.path;
        parts[1] = ": ";
        for (p, d) in parts[2..7].iter_mut().zip(detail) {
            *p = d;
        }
        parts[7] = "; values left empty until it recovers";
        log.error(&parts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(min: Level, format: Format) -> Log {
        let mut l = Log::new(min, format, -1);
        l.sink = Sink::Memory(Vec::new());
        l
    }

    fn out(l: &Log) -> String {
        match &l.sink {
            Sink::Memory(v) => String::from_utf8(v.clone()).unwrap(),
            Sink::Fd(_) => unreachable!(),
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_782), (2026, 11, 25));
        assert_eq!(civil(-1), (1969, 12, 31));
    }

    #[test]
    fn plain_lines_are_prefixed_with_the_plugin_name() {
        let mut l = memory(Level::Info, Format::Plain);
        l.error(&["cannot read ", "/proc/net/snmp", ": gone"]);
        assert_eq!(
            out(&l),
            "tcp_resets.plugin: error: cannot read /proc/net/snmp: gone\n"
        );
    }

    #[test]
    fn messages_below_the_level_are_dropped() {
        let mut l = memory(Level::Error, Format::Plain);
        l.info(&["hidden"]);
        l.warning(&["hidden"]);
        l.error(&["shown"]);
        assert_eq!(out(&l), "tcp_resets.plugin: error: shown\n");
    }

    #[test]
    fn repeats_are_counted_not_printed() {
        let mut l = memory(Level::Info, Format::Plain);
        for _ in 0..5 {
            l.error(&["same"]);
        }
        l.error(&["other"]);
        assert_eq!(
            out(&l),
            "tcp_resets.plugin: error: same\n\
             tcp_resets.plugin: error: other (the previous message repeated 4 more times)\n"
        );
    }

    #[test]
    fn logfmt_uses_netdata_keys_and_escapes() {
        let mut l = memory(Level::Info, Format::Logfmt);
        l.warning(&["bad \"value\"\nhere"]);
        let s = out(&l);
        assert!(s.starts_with("time=20"), "{s}");
        assert!(
            s.ends_with(
                " comm=tcp_resets.plugin source=collector level=warning msg=\"bad \\\"value\\\"\\nhere\"\n"
            ),
            "{s}"
        );
        assert_eq!(s.matches('\n').count(), 1);
    }

    #[test]
    fn json_is_one_object_per_line() {
        let mut l = memory(Level::Info, Format::Json);
        l.info(&["a\u{1}b"]);
        let s = out(&l);
        assert!(s.starts_with("{\"time\":\"20"), "{s}");
        assert!(
            s.ends_with(
                "\"comm\":\"tcp_resets.plugin\",\"source\":\"collector\",\"level\":\"info\",\"msg\":\"a\\u0001b\"}\n"
            ),
            "{s}"
        );
    }

    #[test]
    fn level_names_as_netdata_writes_them() {
        assert_eq!(Level::parse("ERROR"), Some(Level::Error));
        assert_eq!(Level::parse("warn"), Some(Level::Warning));
        assert_eq!(Level::parse("debug"), Some(Level::Debug));
        assert_eq!(Level::parse("loud"), None);
    }

    #[test]
    fn overlong_messages_are_cut_to_one_line() {
        let mut l = memory(Level::Info, Format::Plain);
        let long = "x".repeat(5000);
        l.error(&[&long]);
        let s = out(&l);
        assert_eq!(s.len(), LINE);
        assert!(s.ends_with('\n'));
    }
}
