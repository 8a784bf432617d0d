//! The netdata external-plugin protocol writer.
//!
//! A [`Writer`] owns a buffer sized once at start-up for the largest
//! output the charts can produce (`Charts::worst_case_len`: the chart
//! definitions and one sample, every value at its widest); each sample
//! clears it, formats every line into it (numbers through `itoa`) and the
//! caller sends it with one `write`. It never grows after start-up; the
//! zero-allocation tests check that its capacity stays the same.

/// `DISABLE`: netdata stops the plugin and does not restart it.
pub(crate) const DISABLE: &str = "DISABLE\n";

/// Netdata's parser (1.37) reads lines of at most this many bytes.
#[cfg(test)]
pub(crate) const MAX_LINE: usize = 15_360;

/// The words of a `CHART` line.
#[derive(Clone, Copy, Debug)]
pub struct Chart<'a> {
    /// `type.id`
    pub id: &'a str,
    pub title: &'a str,
    pub units: &'a str,
    pub family: &'a str,
    pub context: &'a str,
    /// `line`, `area` or `stacked`.
    pub chart_type: &'a str,
    pub priority: u64,
    pub update_every: u64,
    pub plugin: &'a str,
    pub module: &'a str,
}

/// An output buffer for protocol lines.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer whose buffer holds `capacity` bytes without growing.
    pub fn with_capacity(capacity: usize) -> Writer {
        Writer {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Empties the buffer, keeping its memory.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The bytes formatted since the last [`clear`](Writer::clear).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The bytes formatted, as text (for the tests).
    #[cfg(test)]
    pub(crate) fn text(&self) -> &str {
        std::str::from_utf8(&self.buf).unwrap()
    }

    /// How many bytes the buffer holds without growing.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes as they are (lines formatted earlier by this writer).
    pub(crate) fn raw(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
    }

    fn word(&mut self, s: &str) {
        self.buf.push(b' ');
        self.buf.extend_from_slice(s.as_bytes());
    }

    /// A word in single quotes (netdata's parser reads `''` as empty).
    fn quoted(&mut self, s: &str) {
        self.buf.extend_from_slice(b" '");
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'\'');
    }

    fn number(&mut self, n: u64) {
        self.buf.push(b' ');
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(n).as_bytes());
    }

    /// `CHART type.id '' 'title' 'units' 'family' 'context' charttype
    /// priority update_every '' 'plugin' 'module'`
    pub fn chart(&mut self, c: &Chart<'_>) {
        self.raw(b"CHART");
        self.word(c.id);
        self.quoted("");
        self.quoted(c.title);
        self.quoted(c.units);
        self.quoted(c.family);
        self.quoted(c.context);
        self.word(c.chart_type);
        self.number(c.priority);
        self.number(c.update_every);
        self.quoted("");
        self.quoted(c.plugin);
        self.quoted(c.module);
        self.raw(b"\n");
    }

    /// `DIMENSION id '' incremental 1 1`
    pub fn incremental_dimension(&mut self, id: &str) {
        self.raw(b"DIMENSION");
        self.word(id);
        self.raw(b" '' incremental 1 1\n");
    }

    /// `BEGIN type.id [microseconds]`
    pub fn begin(&mut self, id: &str, microseconds: Option<u64>) {
        self.raw(b"BEGIN");
        self.word(id);
        if let Some(us) = microseconds {
            self.number(us);
        }
        self.raw(b"\n");
    }

    /// `SET id = value`, or `SET id =` (no value this tick) for `None`.
    ///
    /// Netdata stores signed 64-bit values; see [`to_netdata`] for what
    /// happens to counters above `i64::MAX`.
    pub fn set(&mut self, id: &str, value: Option<u64>) {
        self.raw(b"SET");
        self.word(id);
        self.raw(b" =");
        if let Some(v) = value {
            self.number(to_netdata(v));
        }
        self.raw(b"\n");
    }

    /// `END`
    pub fn end(&mut self) {
        self.raw(b"END\n");
    }

    /// `VARIABLE CHART name = value`: a variable local to the chart being
    /// defined or collected.
    pub fn chart_variable(&mut self, name: &str, value: i64) {
        self.raw(b"VARIABLE CHART");
        self.word(name);
        self.raw(b" = ");
        let mut b = itoa::Buffer::new();
        self.raw(b.format(value).as_bytes());
        self.raw(b"\n");
    }
}

/// Maps a kernel counter onto netdata's signed 64-bit value.
///
/// Kernel counters are unsigned 64-bit; netdata reads values as `i64`
/// (1.37 with `strtoll`, which would clamp everything above `i64::MAX` and
/// freeze the rate at zero). The plugin sends the counter modulo 2^63, so
/// the value is never negative, every difference netdata takes between two
/// samples stays exact, and the single step where a counter crosses 2^63
/// looks to netdata like a counter wrap (which its incremental algorithm
/// already handles by skipping that one difference).
pub fn to_netdata(v: u64) -> u64 {
    v & i64::MAX as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_without_value_leaves_the_dimension_empty() {
        let mut w = Writer::with_capacity(64);
        w.set("OutRsts", None);
        assert_eq!(w.text(), "SET OutRsts =\n");
    }

    #[test]
    fn counters_above_i64_max_are_sent_modulo_2_pow_63() {
        assert_eq!(to_netdata(i64::MAX as u64), i64::MAX as u64);
        assert_eq!(to_netdata(1 << 63), 0);
        assert_eq!(to_netdata(u64::MAX), i64::MAX as u64);
        let mut w = Writer::with_capacity(64);
        w.set("OutRsts", Some((1 << 63) + 5));
        assert_eq!(w.text(), "SET OutRsts = 5\n");
    }

    #[test]
    fn begin_carries_microseconds_only_when_given() {
        let mut w = Writer::with_capacity(64);
        w.begin("tcp_resets.resets", None);
        w.begin("tcp_resets.resets", Some(1_000_123));
        assert_eq!(
            w.text(),
            "BEGIN tcp_resets.resets\nBEGIN tcp_resets.resets 1000123\n"
        );
    }

    #[test]
    fn chart_line_quotes_every_free_text_word() {
        let mut w = Writer::with_capacity(256);
        w.chart(&Chart {
            id: "tcp_resets.resets",
            title: "TCP resets",
            units: "events/s",
            family: "resets",
            context: "tcp_resets.resets",
            chart_type: "line",
            priority: 1000,
            update_every: 1,
            plugin: "tcp_resets.plugin",
            module: "proc_net_snmp",
        });
        assert_eq!(
            w.text(),
            "CHART tcp_resets.resets '' 'TCP resets' 'events/s' 'resets' 'tcp_resets.resets' line 1000 1 '' 'tcp_resets.plugin' 'proc_net_snmp'\n"
        );
    }

    #[test]
    fn variable_is_chart_scoped_and_signed() {
        let mut w = Writer::with_capacity(64);
        w.chart_variable("tcp_syncookies", -1);
        assert_eq!(w.text(), "VARIABLE CHART tcp_syncookies = -1\n");
    }
}
