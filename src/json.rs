//! JSON as netdata writes it: one string escaper (`buffer_json_strcat`'s
//! rules) for every JSON the plugin makes, the Function answers and the
//! log lines alike, and a builder for netdata's Function tables.
//!
//! ```
//! use tcp_resets::json;
//!
//! let mut s = String::new();
//! json::string(&mut s, "say \"hi\"\n");
//! assert_eq!(s, r#""say \"hi\"\n""#);
//! ```

use std::fmt::Write as _;

/// Calls `out` with the pieces of `s` escaped for a double-quoted JSON
/// string, as netdata escapes: `\\`, `\"`, `\n`, `\r`, `\t`, `\b`, `\f`,
/// other control bytes as `\u00XX`; every other byte as it is. Each piece
/// is whole: a caller that must cut never cuts inside an escape.
pub fn escape(s: &[u8], mut out: impl FnMut(&[u8])) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut plain = 0;
    for (i, &b) in s.iter().enumerate() {
        let mut u = [b'\\', b'u', b'0', b'0', 0, 0];
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b if b < 0x20 => {
                u[4] = HEX[usize::from(b >> 4)];
                u[5] = HEX[usize::from(b & 0xf)];
                &u
            }
            _ => continue,
        };
        if plain < i {
            out(&s[plain..i]);
        }
        out(esc);
        plain = i + 1;
    }
    if plain < s.len() {
        out(&s[plain..]);
    }
}

/// Appends `s` to `o` as a JSON string, quotes included.
pub fn string(o: &mut String, s: &str) {
    o.push('"');
    escape(s.as_bytes(), |piece| {
        // Escaping only replaces ASCII bytes, so every piece ends on a
        // character boundary.
        o.push_str(std::str::from_utf8(piece).unwrap_or("?"));
    });
    o.push('"');
}

/// A cell of a table row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell<'a> {
    Str(&'a str),
    Num(u64),
    Null,
    /// A row's options: `{"severity":"..."}`.
    Severity(&'a str),
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Cell<'a> {
        Cell::Str(s)
    }
}

impl From<u64> for Cell<'_> {
    fn from(n: u64) -> Self {
        Cell::Num(n)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Cell<'a> {
        v.map_or(Cell::Null, Into::into)
    }
}

/// Appends a JSON array of `cells` to `o`.
pub fn row<'a>(o: &mut String, cells: impl IntoIterator<Item = Cell<'a>>) {
    o.push('[');
    for (i, c) in cells.into_iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        match c {
            Cell::Str(s) => string(o, s),
            Cell::Num(n) => {
                let _ = write!(o, "{n}");
            }
            Cell::Null => o.push_str("null"),
            Cell::Severity(s) => {
                o.push_str("{\"severity\":");
                string(o, s);
                o.push('}');
            }
        }
    }
    o.push(']');
}

/// A column of a netdata Function table, as `FUNCTION_UI_REFERENCE.md`
/// describes its keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    /// The header.
    pub name: &'static str,
    /// What the column holds, in the kernel's words (a key of its own,
    /// which the UI does not read; the help repeats it).
    pub description: Option<&'static str>,
    /// `string`, `integer`, `bar-with-integer`, `none`, ...
    pub kind: &'static str,
    /// `value`, `bar`, `pill` or `rowOptions`.
    pub visual: &'static str,
    /// `number` for quantities, `none` for text and ids.
    pub transform: &'static str,
    pub units: Option<&'static str>,
    /// `ascending` or `descending`.
    pub sort: &'static str,
    /// `sum`, `count`, `max`, ...
    pub summary: &'static str,
    /// `range`, `multiselect`, ...
    pub filter: &'static str,
    pub visible: bool,
    pub sticky: bool,
    pub unique: bool,
    /// The bar's scale, for `bar` columns.
    pub max: Option<u64>,
    /// Whether its filter starts open.
    pub expanded_filter: bool,
    /// A column that holds no value of its own (`rowOptions`).
    pub dummy: bool,
}

impl Column {
    /// A column of `kind` with netdata's usual options for it: numbers sort
    /// descending, sum and filter by range, strings ascending, count and
    /// multiselect.
    pub const fn new(
        key: &'static str,
        name: &'static str,
        kind: &'static str,
        units: Option<&'static str>,
    ) -> Column {
        let number = matches!(kind.as_bytes(), b"integer" | b"bar-with-integer");
        Column {
            key,
            name,
            description: None,
            kind,
            visual: if matches!(kind.as_bytes(), b"bar-with-integer") {
                "bar"
            } else {
                "value"
            },
            transform: if number { "number" } else { "none" },
            units,
            sort: if number { "descending" } else { "ascending" },
            summary: if number { "sum" } else { "count" },
            filter: if number { "range" } else { "multiselect" },
            visible: true,
            sticky: false,
            unique: false,
            max: None,
            expanded_filter: false,
            dummy: false,
        }
    }

    /// An id (a port, a PID, a uid): a number that is not a quantity, as
    /// netdata's own tables type them: sorted ascending, counted, picked
    /// from a list.
    pub const fn id(key: &'static str, name: &'static str) -> Column {
        Column {
            transform: "none",
            sort: "ascending",
            summary: "count",
            filter: "multiselect",
            ..Column::new(key, name, "integer", None)
        }
    }

    /// The hidden column whose cells hold each row's options
    /// (`{"severity": ...}`), as netdata's own tables carry them.
    pub const fn row_options() -> Column {
        Column {
            kind: "none",
            visual: "rowOptions",
            sort: "ascending",
            summary: "count",
            filter: "none",
            visible: false,
            dummy: true,
            ..Column::new("rowOptions", "rowOptions", "none", None)
        }
    }

    /// The same column with `description`.
    pub const fn described(self, description: &'static str) -> Column {
        Column {
            description: Some(description),
            ..self
        }
    }

    /// Appends `"key":{...}` for this column at `index`.
    fn write(&self, o: &mut String, index: usize) {
        string(o, self.key);
        let _ = write!(
            o,
            ":{{\"index\":{index},\"unique_key\":{},\"name\":",
            self.unique
        );
        string(o, self.name);
        let _ = write!(
            o,
            ",\"visible\":{},\"type\":\"{}\",\"visualization\":\"{}\"",
            self.visible, self.kind, self.visual
        );
        if let Some(u) = self.units {
            o.push_str(",\"units\":");
            string(o, u);
        }
        o.push_str(",\"value_options\":{");
        if let Some(u) = self.units {
            o.push_str("\"units\":");
            string(o, u);
            o.push(',');
        }
        let _ = write!(
            o,
            "\"transform\":\"{}\",\"decimal_points\":0,\"default_value\":null}}",
            self.transform
        );
        if let Some(m) = self.max {
            let _ = write!(o, ",\"max\":{m}");
        }
        let _ = write!(
            o,
            ",\"sort\":\"{}\",\"sortable\":{},\"sticky\":{},\"summary\":\"{}\",\"filter\":\"{}\",\"full_width\":false,\"wrap\":false,\"default_expanded_filter\":{}",
            self.sort, !self.dummy, self.sticky, self.summary, self.filter, self.expanded_filter
        );
        if self.dummy {
            o.push_str(",\"dummy\":true");
        }
        o.push('}');
    }
}

/// Appends `"columns":{...}` of `columns`, indexed in their order.
pub fn columns(o: &mut String, columns: &[Column]) {
    o.push_str("\"columns\":{");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        c.write(o, i);
    }
    o.push('}');
}

/// Appends the opening of a table answer, every key an `info` answer has
/// (`FUNCTION_UI_SCHEMA.json`'s `info_response`): version 3 of the
/// protocol (the UI then asks for data with a JSON body), no parameters,
/// the help, how often the UI should ask again and until when the answer
/// holds. The caller closes it (`}`), or adds the data first.
pub fn table_head(o: &mut String, help: &str, update_every: u64, expires: u64) {
    o.push_str("{\"v\":3,\"status\":200,\"type\":\"table\",\"has_history\":false,\"help\":");
    string(o, help);
    let _ = write!(
        o,
        ",\"accepted_params\":[],\"required_params\":[],\"update_every\":{update_every},\"expires\":{expires}"
    );
}

/// A chart of a table answer: `key`, its name, its type (`bar`,
/// `stacked-bar`) and the columns it draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chart {
    pub key: &'static str,
    pub name: &'static str,
    pub kind: &'static str,
    pub columns: &'static [&'static str],
}

/// A way to group the rows: `key`, its name and the columns it groups by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupBy {
    pub key: &'static str,
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

fn strings(o: &mut String, items: &[&str]) {
    o.push('[');
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        string(o, s);
    }
    o.push(']');
}

/// Appends `,"charts":{...},"default_charts":[...],"group_by":{...}`;
/// `default_charts` pairs a chart's key with a group-by key.
pub fn charts(
    o: &mut String,
    charts: &[Chart],
    default_charts: &[(&str, &str)],
    group_by: &[GroupBy],
) {
    o.push_str(",\"charts\":{");
    for (i, c) in charts.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        string(o, c.key);
        o.push_str(":{\"name\":");
        string(o, c.name);
        o.push_str(",\"type\":");
        string(o, c.kind);
        o.push_str(",\"columns\":");
        strings(o, c.columns);
        o.push('}');
    }
    o.push_str("},\"default_charts\":[");
    for (i, (chart, group)) in default_charts.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        strings(o, &[chart, group]);
    }
    o.push_str("],\"group_by\":{");
    for (i, g) in group_by.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        string(o, g.key);
        o.push_str(":{\"name\":");
        string(o, g.name);
        o.push_str(",\"columns\":");
        strings(o, g.columns);
        o.push('}');
    }
    o.push('}');
}

/// An error answer's body: the status and the message under both keys
/// netdata reads (1.37 `error_message`, 2.x `errorMessage`).
pub fn error_body(status: u16, message: &str) -> String {
    let mut o = format!("{{\"status\":{status},\"error_message\":");
    string(&mut o, message);
    o.push_str(",\"errorMessage\":");
    string(&mut o, message);
    o.push('}');
    o
}

#[cfg(test)]
mod tests;
