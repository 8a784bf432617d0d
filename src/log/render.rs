//! Rendering one message: a plain, logfmt or JSON line for stderr (as
//! netdata's `nd_log` writes them, `nd_log-format-logfmt.c`,
//! `nd_log-format-json.c`), a journal entry in systemd's native protocol,
//! or a syslog datagram. Everything goes into a fixed buffer ([`Buf`]).

use super::Level;
use crate::PLUGIN;

/// A fixed-size byte buffer that silently cuts what does not fit.
pub(super) struct Buf<const N: usize> {
    bytes: [u8; N],
    pub(super) len: usize,
}

impl<const N: usize> Buf<N> {
    pub(super) fn new() -> Self {
        Buf {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(super) fn push(&mut self, s: &[u8]) {
        let n = s.len().min(N - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    /// `n` in decimal, zero-padded to `width`.
    pub(super) fn num(&mut self, n: u64, width: usize) {
        let mut b = itoa::Buffer::new();
        let s = b.format(n).as_bytes();
        for _ in s.len()..width {
            self.push(b"0");
        }
        self.push(s);
    }

    /// As much of `s` as fits, cut at a character boundary: the buffer
    /// never ends in half a UTF-8 character.
    pub(super) fn push_str(&mut self, s: &str) {
        let mut n = s.len().min(N - self.len);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.push(&s.as_bytes()[..n]);
    }

    /// `s` with every control byte as `?`: one line, whatever it holds.
    pub(super) fn push_visible(&mut self, s: &[u8]) {
        for &b in s {
            self.push(if b < 0x20 || b == 0x7f {
                b"?"
            } else {
                std::slice::from_ref(&b)
            });
        }
    }

    /// Whether `more` bytes still fit.
    pub(super) fn fits(&self, more: usize) -> bool {
        self.len + more <= N
    }

    /// `s` escaped for a double-quoted logfmt or JSON string, as netdata
    /// escapes (`buffer_json_strcat`): `\\`, `\"`, `\n`, `\r`, `\t`, `\b`,
    /// `\f`, other control bytes as `\u00XX`. What does not fit is cut, never
    /// mid-escape, and `keep` bytes are left for what closes the line.
    pub(super) fn escaped(&mut self, s: &[u8], keep: usize) {
        let mut full = false;
        crate::json::escape(s, |piece| {
            if full {
                return;
            }
            if self.fits(piece.len() + keep) {
                self.push(piece);
                return;
            }
            full = true;
            // A run of plain bytes (an escape starts with a backslash, which
            // plain runs never hold) is cut at a character boundary.
            if piece.first() != Some(&b'\\') {
                let room = (N - self.len).saturating_sub(keep).min(piece.len());
                let cut = (0..=room)
                    .rev()
                    .find(|&n| n == piece.len() || (piece[n] & 0xc0) != 0x80)
                    .unwrap_or(0);
                self.push(&piece[..cut]);
            }
        });
    }

    /// One field of systemd's native journal protocol: `KEY=value\n`, or,
    /// for a value with a newline, `KEY\n`, its length as a little-endian
    /// 64-bit number, the value and `\n`. A field that does not fit whole is
    /// left out.
    pub(super) fn journal_field(&mut self, key: &[u8], value: &[u8]) {
        if value.contains(&b'\n') {
            if self.fits(key.len() + 1 + 8 + value.len() + 1) {
                self.push(key);
                self.push(b"\n");
                self.push(&(value.len() as u64).to_le_bytes());
                self.push(value);
                self.push(b"\n");
            }
        } else if self.fits(key.len() + 1 + value.len() + 1) {
            self.push(key);
            self.push(b"=");
            self.push(value);
            self.push(b"\n");
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

/// `2026-11-25T02:40:00.123Z`, as netdata's logfmt writes UTC times.
pub(super) fn push_time<const N: usize>(b: &mut Buf<N>, us: u64) {
    let secs = us / 1_000_000;
    let (y, mo, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    b.num(y.max(0) as u64, 4);
    b.push(b"-");
    b.num(mo, 2);
    b.push(b"-");
    b.num(d, 2);
    b.push(b"T");
    b.num(s / 3600, 2);
    b.push(b":");
    b.num(s / 60 % 60, 2);
    b.push(b":");
    b.num(s % 60, 2);
    b.push(b".");
    b.num(us / 1000 % 1000, 3);
    b.push(b"Z");
}

/// How lines on stderr look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `tcp_resets.plugin: error: message` (netdata 1.37, a terminal).
    Plain,
    /// `time=… comm=tcp_resets.plugin source=collector level=error msg="…"`
    Logfmt,
    /// `{"time":1795626202829502,"comm":"tcp_resets.plugin",…,"level":3,…}`
    Json,
}

/// One stderr line in `format`, newline included.
pub(super) fn line<const N: usize>(
    out: &mut Buf<N>,
    format: Format,
    level: Level,
    msg: &[u8],
    now: u64,
) {
    match format {
        Format::Plain => {
            out.push(PLUGIN.as_bytes());
            out.push(b": ");
            out.push(level.name().as_bytes());
            out.push(b": ");
            out.push_visible(msg);
        }
        Format::Logfmt => logfmt(out, level, msg, now),
        Format::Json => {
            out.push(b"{\"time\":");
            out.num(now, 0);
            out.push(b",\"comm\":\"");
            out.push(PLUGIN.as_bytes());
            out.push(b"\",\"source\":\"collector\",\"level\":");
            out.num(level as u64, 0);
            out.push(b",\"tid\":");
            out.num(u64::from(std::process::id()), 0);
            out.push(b",\"msg\":\"");
            out.escaped(msg, 3);
            out.push(b"\"}");
        }
    }
    // Room for the newline is always kept: cut the line if needed.
    if out.len == N {
        out.len -= 1;
    }
    out.push(b"\n");
}

/// `time=… comm=… source=collector level=… tid=… msg="…"` (no newline).
pub(super) fn logfmt<const N: usize>(out: &mut Buf<N>, level: Level, msg: &[u8], now: u64) {
    out.push(b"time=");
    push_time(out, now);
    out.push(b" comm=");
    out.push(PLUGIN.as_bytes());
    out.push(b" source=collector level=");
    out.push(level.name().as_bytes());
    out.push(b" tid=");
    out.num(u64::from(std::process::id()), 0);
    out.push(b" msg=\"");
    out.escaped(msg, 2);
    out.push(b"\"");
}

/// The fields netdata's plugins send to the journal
/// (`nd_logger_journal_direct()`), in its order.
pub(super) fn journal_entry<const N: usize>(
    out: &mut Buf<N>,
    level: Level,
    msg: &[u8],
    invocation: Option<&[u8; 32]>,
) {
    let mut n = itoa::Buffer::new();
    out.journal_field(b"SYSLOG_IDENTIFIER", PLUGIN.as_bytes());
    out.journal_field(b"ND_LOG_SOURCE", b"collector");
    out.journal_field(b"PRIORITY", n.format(level as u8).as_bytes());
    if let Some(id) = invocation {
        out.journal_field(b"INVOCATION_ID", id);
    }
    out.journal_field(b"TID", n.format(std::process::id()).as_bytes());
    out.journal_field(b"MESSAGE", msg);
}

/// A datagram for `/dev/log`: `<PRI>ident[pid]: ` and a logfmt line, as
/// syslog(3) sends netdata's; the receiver stamps the time.
pub(super) fn syslog<const N: usize>(
    out: &mut Buf<N>,
    facility: u8,
    level: Level,
    msg: &[u8],
    now: u64,
) {
    out.push(b"<");
    out.num(u64::from(facility) * 8 + level as u64, 0);
    out.push(b">");
    out.push(PLUGIN.as_bytes());
    out.push(b"[");
    out.num(u64::from(std::process::id()), 0);
    out.push(b"]: ");
    logfmt(out, level, msg, now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(format: Format, level: Level, msg: &str) -> String {
        let mut b: Buf<8192> = Buf::new();
        line(&mut b, format, level, msg.as_bytes(), 1_795_626_156_078_123);
        String::from_utf8(b.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(11_016), (2000, 2, 29));
        assert_eq!(civil(20_782), (2026, 11, 25));
        assert_eq!(civil(-1), (1969, 12, 31));
    }

    #[test]
    fn time_as_netdata_writes_utc() {
        let mut b: Buf<64> = Buf::new();
        push_time(&mut b, 1_795_626_156_078_123);
        assert_eq!(b.as_bytes(), b"2026-11-25T17:02:36.078Z");
    }

    #[test]
    fn plain_lines_are_prefixed_with_the_plugin_name() {
        assert_eq!(
            rendered(Format::Plain, Level::Error, "cannot read x: gone\nnow"),
            "tcp_resets.plugin: error: cannot read x: gone?now\n"
        );
    }

    #[test]
    fn logfmt_uses_netdata_keys_and_escapes() {
        let s = rendered(Format::Logfmt, Level::Warning, "bad \"value\"\nhere\u{1}");
        let pid = std::process::id();
        assert_eq!(
            s,
            format!(
                "time=2026-11-25T17:02:36.078Z comm=tcp_resets.plugin source=collector level=warning tid={pid} msg=\"bad \\\"value\\\"\\nhere\\u0001\"\n"
            )
        );
    }

    #[test]
    fn json_is_one_object_per_line_with_numeric_time_and_level() {
        let s = rendered(Format::Json, Level::Info, "a\u{1f}b");
        let v: serde_json::Value = serde_json::from_str(s.trim_end()).unwrap();
        assert_eq!(v["time"], 1_795_626_156_078_123u64);
        assert_eq!(v["comm"], "tcp_resets.plugin");
        assert_eq!(v["source"], "collector");
        assert_eq!(v["level"], 6);
        assert_eq!(v["msg"], "a\u{1f}b");
        assert!(s.contains("a\\u001Fb"), "{s}");
    }

    #[test]
    fn a_line_that_does_not_fit_is_cut_but_stays_one_line() {
        let long = "\u{1}".repeat(5000);
        let mut b: Buf<256> = Buf::new();
        line(&mut b, Format::Json, Level::Error, long.as_bytes(), 0);
        let s = std::str::from_utf8(b.as_bytes()).unwrap();
        assert!(s.len() > 240 && s.len() <= 256, "{}", s.len());
        assert!(s.ends_with("\\u0001\"}\n") && s.matches('\n').count() == 1);
        // Still one JSON object: escapes are never cut in half and the
        // closing quote and brace always fit.
        let v: serde_json::Value = serde_json::from_str(s.trim_end()).unwrap();
        assert!(v["msg"].as_str().unwrap().chars().all(|c| c == '\u{1}'));
        let mut b: Buf<256> = Buf::new();
        line(&mut b, Format::Logfmt, Level::Error, long.as_bytes(), 0);
        let s = std::str::from_utf8(b.as_bytes()).unwrap();
        assert!(s.ends_with("\\u0001\"\n"), "{s}");
    }

    #[test]
    fn a_cut_never_splits_a_character() {
        let mut b: Buf<5> = Buf::new();
        b.push_str("ab\u{e9}\u{e9}");
        assert_eq!(b.as_bytes(), "ab\u{e9}".as_bytes());
        let mut b: Buf<4> = Buf::new();
        b.push_str("\u{1f600}x");
        assert_eq!(b.as_bytes(), "\u{1f600}".as_bytes());
        let mut b: Buf<3> = Buf::new();
        b.push_str("\u{1f600}");
        assert_eq!(b.as_bytes(), b"");
    }

    #[test]
    fn journal_fields_with_a_newline_use_the_binary_form() {
        let mut b: Buf<256> = Buf::new();
        b.journal_field(b"MESSAGE", b"a\nb");
        assert_eq!(b.as_bytes(), b"MESSAGE\n\x03\0\0\0\0\0\0\0a\nb\n");
        let mut b: Buf<256> = Buf::new();
        b.journal_field(b"PRIORITY", b"3");
        assert_eq!(b.as_bytes(), b"PRIORITY=3\n");
        // A field that does not fit is left out whole.
        let mut b: Buf<8> = Buf::new();
        b.journal_field(b"MESSAGE", b"too long");
        assert_eq!(b.as_bytes(), b"");
    }
}
