//! Pure parsing of the two-line tables of `/proc/net/snmp` and
//! `/proc/net/netstat`.
//!
//! Each section is a header line of column names and a line of values, both
//! starting with the same prefix:
//!
//! ```text
//! Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails ...
//! Tcp: 1 200 120000 -1 31 4 2 ...
//! ```
//!
//! Columns are found by name, never by position: kernels append columns over
//! the years and older ones lack some. Names are resolved once and again only
//! when the header line changes (netdata calls this idea ARL). A wanted
//! column missing from the header is absent, not an error. The column names
//! are the counters' own names ([`Counter::name`]).
//!
//! The one-number files of `/proc/sys` are parsed here too
//! ([`parse_setting`]).

use crate::counters::{Counter, CounterSet, Section, Values};

/// The most columns one [`Table`] can want.
const MAX_WANTED: usize = 16;

/// One section's two lines, each without its prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lines<'a> {
    /// The column names.
    pub header: &'a [u8],
    /// The values; `None` when the header is not followed by a values line.
    pub values: Option<&'a [u8]>,
}

/// Finds the first line starting with `prefix` and the line after it.
///
/// `prefix` includes the colon (`b"Tcp:"`), so `Tcp:` never matches
/// `TcpExt:`. A later, stray line with the same prefix is ignored.
pub(crate) fn find_section<'a>(text: &'a [u8], prefix: &[u8]) -> Option<Lines<'a>> {
    let mut lines = text.split(|&b| b == b'\n');
    while let Some(line) = lines.next() {
        if let Some(header) = labelled(line, prefix) {
            let values = lines.next().and_then(|l| labelled(l, prefix));
            return Some(Lines { header, values });
        }
    }
    None
}

/// The rest of `line` when its first word is exactly `prefix`: a glued
/// `TcpExt:0` is not the label `TcpExt:` followed by a value 0.
fn labelled<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let rest = line.strip_prefix(prefix)?;
    match rest.first() {
        None | Some(b' ' | b'\t' | b'\r') => Some(rest),
        Some(_) => None,
    }
}

/// The whitespace-separated words of a line.
pub fn words(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b' ' || b == b'\t' || b == b'\r')
        .filter(|w| !w.is_empty())
}

/// Parses an unsigned decimal counter: digits only, no sign, no padding
/// rules, `None` on anything else or on overflow past `u64::MAX`.
pub fn parse_u64(word: &[u8]) -> Option<u64> {
    if word.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in word {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// Parses a signed decimal value such as `Tcp: MaxConn` (`-1`).
pub fn parse_i64(word: &[u8]) -> Option<i64> {
    match word.split_first() {
        Some((b'-', rest)) => {
            let v = parse_u64(rest)?;
            if v <= i64::MAX as u64 {
                Some(-(v as i64))
            } else if v == i64::MAX as u64 + 1 {
                Some(i64::MIN)
            } else {
                None
            }
        }
        _ => i64::try_from(parse_u64(word)?).ok(),
    }
}

/// Parses a `/proc/sys` setting that holds one integer (`"1\n"`):
/// surrounding whitespace is fine, anything else is `None`.
pub fn parse_setting(text: &[u8]) -> Option<i64> {
    let mut words = words(text).flat_map(|w| w.split(|&b| b == b'\n'));
    let first = words.find(|w| !w.is_empty())?;
    if words.any(|w| !w.is_empty()) {
        return None;
    }
    parse_i64(first)
}

/// The values of the columns `names` of the section `label` of `text`,
/// found by name; `None` for a column the section does not have or whose
/// value is not a counter. For on-demand reads (it allocates).
pub fn named<const N: usize>(text: &[u8], label: &[u8], names: [&str; N]) -> [Option<u64>; N] {
    let mut out = [None; N];
    let Some(Lines {
        header,
        values: Some(values),
    }) = find_section(text, label)
    else {
        return out;
    };
    let header: Vec<&[u8]> = words(header).collect();
    let values: Vec<&[u8]> = words(values).collect();
    if header.len() != values.len() {
        return out;
    }
    for (o, name) in out.iter_mut().zip(names) {
        *o = header
            .iter()
            .position(|h| *h == name.as_bytes())
            .and_then(|i| parse_u64(values[i]));
    }
    out
}

/// Room kept for a copy of the header line, reserved at start-up. Linux
/// 6.x's `TcpExt:` header is about 2.2 KiB. A longer header (never seen) is
/// not stored and is then resolved again on every read: slower, still
/// correct, still no allocation.
const HEADER_CAPACITY: usize = 16 * 1024;

/// What one [`Table::read`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The section was found and its lines agree.
    Ok,
    /// No line starts with the prefix.
    NoSection,
    /// The header line is not followed by a values line.
    NoValues,
    /// The values line has a different number of words than the header, so
    /// no column can be trusted.
    CountMismatch,
}

/// The result of one [`Table::read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    /// Wanted columns present in the header whose value was not a number
    /// (garbage, a sign, or past `u64::MAX`).
    pub bad: CounterSet,
}

/// The label that starts a section's two lines.
pub const fn label(section: Section) -> &'static [u8] {
    match section {
        Section::Tcp => b"Tcp:",
        Section::TcpExt => b"TcpExt:",
    }
}

/// A section of a `/proc/net` table and the counters wanted from it: every
/// counter the counter table places there.
#[derive(Clone, Debug)]
pub struct Table {
    section: Section,
    /// Wanted columns found in the header: (column index, counter), sorted
    /// by column index.
    map: [(usize, Counter); MAX_WANTED],
    mapped: usize,
    /// How many words the header has.
    columns: usize,
    /// The header line last resolved, to notice a change with one
    /// comparison (no hashing) on every read.
    header: Vec<u8>,
    /// Whether `header` holds the last resolved header.
    stored: bool,
    /// How often the header was resolved (for the tests).
    #[cfg(test)]
    resolutions: u32,
}

impl Table {
    /// A table of the counters of `section`.
    ///
    /// # Panics
    /// When more than [`MAX_WANTED`] columns are wanted (a programming
    /// error, caught by the tests of every section).
    pub fn new(section: Section) -> Table {
        assert!(
            Counter::in_section(section).count() <= MAX_WANTED,
            "too many wanted columns"
        );
        Table {
            section,
            map: [(0, Counter::AttemptFails); MAX_WANTED],
            mapped: 0,
            columns: 0,
            header: Vec::with_capacity(HEADER_CAPACITY),
            stored: false,
            #[cfg(test)]
            resolutions: 0,
        }
    }

    /// The wanted counters found in the last header resolved.
    pub fn present(&self) -> CounterSet {
        let mut s = CounterSet::default();
        for &(_, c) in &self.map[..self.mapped] {
            s.insert(c);
        }
        s
    }

    fn resolve(&mut self, header: &[u8]) {
        #[cfg(test)]
        {
            self.resolutions += 1;
        }
        self.mapped = 0;
        self.columns = 0;
        for (i, name) in words(header).enumerate() {
            self.columns = i + 1;
            let found = Counter::in_section(self.section).find(|c| c.name().as_bytes() == name);
            if let Some(c) = found {
                let seen = self.map[..self.mapped].iter().any(|&(_, m)| m == c);
                if !seen && self.mapped < MAX_WANTED {
                    self.map[self.mapped] = (i, c);
                    self.mapped += 1;
                }
            }
        }
        self.header.clear();
        self.stored = header.len() <= self.header.capacity();
        if self.stored {
            self.header.extend_from_slice(header);
        }
    }

    /// Reads this table's counters from the text of the whole file into
    /// `values`: the counters found get their value, or `None` when it is
    /// not a counter; nothing else is written (the caller starts every
    /// sample with empty values).
    pub fn read(&mut self, text: &[u8], values: &mut Values) -> Outcome {
        let mut out = Outcome {
            status: Status::Ok,
            bad: CounterSet::default(),
        };
        let Some(section) = find_section(text, label(self.section)) else {
            out.status = Status::NoSection;
            return out;
        };
        if !self.stored || section.header != self.header.as_slice() {
            self.resolve(section.header);
        }
        let Some(line) = section.values else {
            out.status = Status::NoValues;
            return out;
        };
        let mut parsed: [Option<u64>; MAX_WANTED] = [None; MAX_WANTED];
        let mut next = 0; // index into self.map
        let mut count = 0;
        for (i, word) in words(line).enumerate() {
            count = i + 1;
            if next < self.mapped && self.map[next].0 == i {
                parsed[next] = parse_u64(word);
                if parsed[next].is_none() {
                    out.bad.insert(self.map[next].1);
                }
                next += 1;
            }
        }
        if count != self.columns {
            out.status = Status::CountMismatch;
            out.bad = CounterSet::default();
            return out;
        }
        for (k, &(_, c)) in self.map[..self.mapped].iter().enumerate() {
            values.set(c, parsed[k]);
        }
        out
    }
}

#[cfg(test)]
mod tests;
