//! The parser of a tracefs event `format` file
//! (`/sys/kernel/tracing/events/<system>/<event>/format`), as the kernel
//! prints it in `kernel/trace/trace_events.c` (`f_show`, `f_start`):
//!
//! ```text
//! name: tcp_send_reset
//! ID: 2280
//! format:
//!     field:unsigned short common_type;    offset:0;    size:2;    signed:0;
//!     ...
//!     field:__u8 saddr[28];    offset:32;    size:28;    signed:0;
//!
//! print fmt: "... reason=%s", ..., __print_symbolic(REC->reason, { 0, "NOT_SPECIFIED" }, { 1, "NO_SOCKET" }, ...)
//! ```
//!
//! (tabs shown as spaces: the kernel separates with tabs.)
//!
//! Pure: bytes in, a [`Format`] out. It runs once at start-up, so it may
//! allocate; it never panics, whatever the bytes, and bounds what it keeps
//! ([`MAX_FIELDS`], [`MAX_SYMBOLS`]).
//!
//! The keys of a `__print_symbolic` table are numbers once the kernel has
//! replaced enum names by their values (`TRACE_DEFINE_ENUM`); those it has
//! not replaced stay names (`{ TCP_ESTABLISHED, "TCP_ESTABLISHED" }` in
//! `tcp_send_reset`'s state table on 6.1 and 6.18): they are kept as
//! [`Key::Name`], for the caller to resolve.

use std::fmt;

/// The most fields a format may have (tracepoints have a few dozen).
pub const MAX_FIELDS: usize = 256;
/// The most entries a symbol table may have.
pub const MAX_SYMBOLS: usize = 4096;
/// The most symbol tables kept from one `print fmt`.
pub const MAX_TABLES: usize = 64;

/// One field of the event's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// The C type as printed (`const void *`, `__u8`, `enum sk_rst_reason`).
    pub c_type: String,
    /// The field's name, without its `[N]`.
    pub name: String,
    /// `N` of a `name[N]` array.
    pub array_len: Option<u32>,
    /// Offset from the start of the record (the `common_type` field is at 0).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    pub signed: bool,
}

/// The key of one `{ key, "NAME" }` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A number (decimal, or hexadecimal with `0x`; may be negative).
    Value(i64),
    /// An expression the kernel left as text, usually an enum constant.
    Name(String),
}

/// One `{ key, "NAME" }` pair of a `__print_symbolic` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub key: Key,
    pub name: String,
}

/// `__print_symbolic(REC->field, { key, "NAME" }, ...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolTable {
    /// The field it prints (`REC->` removed), or the whole expression.
    pub field: String,
    pub entries: Vec<Symbol>,
}

impl SymbolTable {
    /// The position and name of the entry whose key is `value`; names are
    /// turned into values by `resolve`.
    pub fn find(&self, value: i64, resolve: impl Fn(&str) -> Option<i64>) -> Option<(usize, &str)> {
        self.entries.iter().enumerate().find_map(|(i, s)| {
            let v = match &s.key {
                Key::Value(v) => Some(*v),
                Key::Name(n) => resolve(n),
            };
            (v == Some(value)).then_some((i, s.name.as_str()))
        })
    }
}

/// A parsed `format` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    /// `name:` — the event's name.
    pub name: String,
    /// `ID:` — the event's type: `attr.config` for `PERF_TYPE_TRACEPOINT`,
    /// and the value of each record's `common_type`.
    pub id: u32,
    /// The fields in the order printed, `common_*` first.
    pub fields: Vec<FieldDesc>,
    /// The `__print_symbolic` tables of `print fmt`, in order.
    pub symbols: Vec<SymbolTable>,
}

impl Format {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDesc> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The first symbol table that prints the field `name`.
    pub fn symbols_of(&self, name: &str) -> Option<&SymbolTable> {
        self.symbols.iter().find(|t| t.field == name)
    }
}

/// Why bytes are not a format file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Not UTF-8 text.
    NotText,
    /// A line the format needs is missing (`name:`, `ID:`, `format:`).
    Missing(&'static str),
    /// A line (1-based) is not what its start says it is.
    Line { line: usize, what: &'static str },
    /// Over [`MAX_FIELDS`], [`MAX_SYMBOLS`] or [`MAX_TABLES`].
    TooMany(&'static str),
    /// A `__print_symbolic(...)` of `print fmt` does not parse.
    Symbolic(&'static str),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FormatError::NotText => f.write_str("not UTF-8 text"),
            FormatError::Missing(what) => write!(f, "no {what} line"),
            FormatError::Line { line, what } => write!(f, "line {line}: {what}"),
            FormatError::TooMany(what) => write!(f, "too many {what}"),
            FormatError::Symbolic(what) => write!(f, "print fmt: __print_symbolic: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// Parses a `format` file.
pub fn parse(bytes: &[u8]) -> Result<Format, FormatError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FormatError::NotText)?;
    let (mut name, mut id, mut in_format) = (None, None, false);
    let mut fields = Vec::new();
    let mut symbols = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let bad = |what| FormatError::Line { line: n, what };
        let t = line.trim();
        if let Some(v) = line.strip_prefix("name:") {
            let v = v.trim();
            if v.is_empty() {
                return Err(bad("empty name"));
            }
            name = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("ID:") {
            id = Some(
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| bad("ID is not a number"))?,
            );
        } else if t == "format:" {
            in_format = true;
        } else if let Some(v) = t
            .strip_prefix("field:")
            .or_else(|| t.strip_prefix("field special:"))
        {
            if !in_format {
                return Err(bad("field before format:"));
            }
            if fields.len() == MAX_FIELDS {
                return Err(FormatError::TooMany("fields"));
            }
            let f = field(v).map_err(bad)?;
            if fields.iter().any(|g: &FieldDesc| g.name == f.name) {
                return Err(bad("field named twice"));
            }
            fields.push(f);
        } else if let Some(v) = line.strip_prefix("print fmt:") {
            symbols = symbolic_tables(v)?;
        } else if !t.is_empty() && !in_format {
            return Err(bad("unknown line"));
        }
    }
    if !in_format {
        return Err(FormatError::Missing("format:"));
    }
    Ok(Format {
        name: name.ok_or(FormatError::Missing("name:"))?,
        id: id.ok_or(FormatError::Missing("ID:"))?,
        fields,
        symbols,
    })
}

/// `TYPE NAME[N];\toffset:N;\tsize:N;\tsigned:N;` (after `field:`).
fn field(v: &str) -> Result<FieldDesc, &'static str> {
    let mut parts = v.split(';').map(str::trim);
    let decl = parts.next().unwrap_or("");
    let (mut offset, mut size, mut signed) = (None, None, false);
    for p in parts {
        if let Some(x) = p.strip_prefix("offset:") {
            offset = Some(x.parse::<u32>().map_err(|_| "offset is not a number")?);
        } else if let Some(x) = p.strip_prefix("size:") {
            size = Some(x.parse::<u32>().map_err(|_| "size is not a number")?);
        } else if let Some(x) = p.strip_prefix("signed:") {
            signed = match x {
                "0" => false,
                "1" => true,
                _ => return Err("signed is neither 0 nor 1"),
            };
        } else if !p.is_empty() {
            return Err("unknown attribute of a field");
        }
    }
    // The type ends with the last space or `*`, which may be a character
    // of more than one byte (U+00A0 is whitespace too).
    let (split, sep) = decl
        .char_indices()
        .rev()
        .find(|&(_, c)| c.is_whitespace() || c == '*')
        .ok_or("field has no type")?;
    let end = split + sep.len_utf8();
    let (c_type, name) = (decl[..end].trim(), decl[end..].trim());
    let (name, array_len) = match name.split_once('[') {
        Some((n, rest)) => {
            let len = rest.strip_suffix(']').ok_or("unclosed [ in a field name")?;
            (
                n,
                Some(
                    len.parse::<u32>()
                        .map_err(|_| "array length is not a number")?,
                ),
            )
        }
        None => (name, None),
    };
    let ident =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if c_type.is_empty() || !ident(name) {
        return Err("field declaration is not TYPE NAME");
    }
    Ok(FieldDesc {
        c_type: c_type.to_string(),
        name: name.to_string(),
        array_len,
        offset: offset.ok_or("field has no offset")?,
        size: size.ok_or("field has no size")?,
        signed,
    })
}

const SYMBOLIC: &str = "__print_symbolic(";

/// Every `__print_symbolic(EXPR, { KEY, "NAME" }, ...)` of a print fmt.
fn symbolic_tables(fmt: &str) -> Result<Vec<SymbolTable>, FormatError> {
    let mut tables = Vec::new();
    let mut rest = fmt;
    while let Some(at) = rest.find(SYMBOLIC) {
        if tables.len() == MAX_TABLES {
            return Err(FormatError::TooMany("symbol tables"));
        }
        let mut p = Cursor(&rest[at + SYMBOLIC.len()..]);
        tables.push(table(&mut p).map_err(FormatError::Symbolic)?);
        rest = p.0;
    }
    Ok(tables)
}

/// What is left of the text being parsed.
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn skip_space(&mut self) {
        self.0 = self.0.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.0.strip_prefix(c) {
            Some(r) => {
                self.0 = r;
                true
            }
            None => false,
        }
    }

    /// Text up to (not including) the first `stop` outside parentheses.
    fn until(&mut self, stop: char) -> Option<&'a str> {
        let mut depth = 0u32;
        for (i, c) in self.0.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                c if c == stop && depth == 0 => {
                    let s = &self.0[..i];
                    self.0 = &self.0[i..];
                    return Some(s.trim());
                }
                ')' | '"' | '{' | '}' => return None,
                _ => {}
            }
        }
        None
    }

    /// A C string literal; `\"` and `\\` are unescaped.
    fn string(&mut self) -> Option<String> {
        self.skip_space();
        let body = self.0.strip_prefix('"')?;
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.0 = &body[i + 1..];
                    return Some(out);
                }
                '\\' => out.push(chars.next()?.1),
                c => out.push(c),
            }
        }
        None
    }
}

/// The inside of one `__print_symbolic(`, up to its `)`.
fn table(p: &mut Cursor<'_>) -> Result<SymbolTable, &'static str> {
    let expr = p.until(',').ok_or("no value expression")?;
    let field = expr.strip_prefix("REC->").unwrap_or(expr).to_string();
    let mut entries = Vec::new();
    while p.eat(',') {
        if !p.eat('{') {
            return Err("an entry does not start with {");
        }
        let key = p.until(',').ok_or("an entry has no key")?;
        if !p.eat(',') {
            return Err("an entry has no name");
        }
        let name = p.string().ok_or("an entry's name is not a string")?;
        if !p.eat('}') {
            return Err("an entry does not end with }");
        }
        if entries.len() == MAX_SYMBOLS {
            return Err("too many entries");
        }
        entries.push(Symbol {
            key: key_of(key),
            name,
        });
    }
    if !p.eat(')') {
        return Err("no closing )");
    }
    Ok(SymbolTable { field, entries })
}

fn key_of(k: &str) -> Key {
    let (neg, digits) = match k.strip_prefix('-') {
        Some(d) => (true, d.trim_start()),
        None => (false, k),
    };
    let v = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(h) => i64::from_str_radix(h, 16).ok(),
        None => digits.parse::<i64>().ok(),
    };
    match v {
        Some(v) if neg => v
            .checked_neg()
            .map_or_else(|| Key::Name(k.to_string()), Key::Value),
        Some(v) => Key::Value(v),
        None => Key::Name(k.to_string()),
    }
}

#[cfg(test)]
mod tests;
