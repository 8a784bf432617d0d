//! A validator of netdata's external-plugin protocol, as netdata 1.37 and
//! 2.x parse it: words split on whitespace and `=`, quotes group words,
//! at most 20 words and 15360 bytes a line, known keywords only, BEGIN/SET/END
//! nesting, dimensions and charts defined before use, and values that
//! `strtoll(v, NULL, 0)` reads as the decimal number meant (no leading 0).
#![allow(dead_code)]

use std::collections::BTreeMap;

/// Splits a line the way netdata's parser does.
pub fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if c.is_whitespace() || *c == '=') {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut w = String::new();
        if c == '\'' || c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some(x) if x == c => break,
                    Some(x) => w.push(x),
                    None => return Err(format!("unterminated quote in {line:?}")),
                }
            }
        } else {
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() || x == '=' {
                    break;
                }
                w.push(x);
                chars.next();
            }
        }
        out.push(w);
    }
    Ok(out)
}

#[derive(Debug, Default, Clone)]
pub struct Chart {
    pub title: String,
    pub units: String,
    pub family: String,
    pub context: String,
    pub chart_type: String,
    pub update_every: u64,
    pub plugin: String,
    pub module: String,
    /// Dimension ids in definition order, with their algorithm.
    pub dims: Vec<(String, String)>,
}

/// One BEGIN..END block.
#[derive(Debug, Clone)]
pub struct Block {
    pub chart: String,
    pub microseconds: Option<u64>,
    /// dimension id -> value (None = `SET id =`).
    pub sets: BTreeMap<String, Option<i64>>,
    pub variables: BTreeMap<String, i64>,
}

#[derive(Debug, Default)]
pub struct Stream {
    pub charts: BTreeMap<String, Chart>,
    pub chart_order: Vec<String>,
    pub blocks: Vec<Block>,
    /// Variables set outside a BEGIN block (after CHART): chart -> name -> value.
    pub definition_variables: BTreeMap<String, BTreeMap<String, i64>>,
    pub disabled: bool,
    pub empty_lines: usize,
    /// `FUNCTION GLOBAL` registrations: (name, timeout, help, the words after).
    pub functions: Vec<(String, u64, String, Vec<String>)>,
    /// Function answers: (transaction, status, content type, body).
    pub results: Vec<(String, u16, String, String)>,
}

impl Stream {
    /// The blocks of `chart`, in order.
    pub fn samples(&self, chart: &str) -> Vec<&Block> {
        self.blocks.iter().filter(|b| b.chart == chart).collect()
    }

    pub fn dim_ids(&self, chart: &str) -> Vec<&str> {
        self.charts[chart]
            .dims
            .iter()
            .map(|(d, _)| d.as_str())
            .collect()
    }
}

fn int(w: &str, what: &str) -> Result<i64, String> {
    let digits = w.strip_prefix('-').unwrap_or(w);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what}: {w:?} is not a decimal integer"));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(format!(
            "{what}: {w:?} has a leading zero (strtoll reads octal)"
        ));
    }
    w.parse::<i64>()
        .map_err(|_| format!("{what}: {w:?} does not fit i64"))
}

/// Validates a whole stdout capture. Fails on the first violation.
pub fn validate(out: &str) -> Result<Stream, String> {
    let mut s = Stream::default();
    if !out.is_empty() && !out.ends_with('\n') {
        return Err("output ends with a partial line".into());
    }
    let mut current_def: Option<String> = None;
    let mut open: Option<Block> = None;
    let mut collected: BTreeMap<String, usize> = BTreeMap::new();
    // A function answer in progress: its header and the body so far.
    let mut result: Option<(String, u16, String, String)> = None;
    for (n, line) in out.lines().enumerate() {
        let ctx = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if let Some(r) = result.as_mut() {
            // Netdata ends a body at the first line whose first word is
            // FUNCTION_RESULT_END; nothing in it is parsed as protocol.
            if line.split_whitespace().next() == Some("FUNCTION_RESULT_END") {
                s.results.push(result.take().unwrap());
            } else {
                if !r.3.is_empty() {
                    r.3.push('\n');
                }
                r.3.push_str(line);
            }
            continue;
        }
        if line.len() >= 15360 {
            return Err(ctx("longer than netdata's line buffer".into()));
        }
        let w = words(line).map_err(ctx)?;
        if w.len() > 20 {
            return Err(ctx("more than 20 words".into()));
        }
        if s.disabled {
            return Err(ctx("output after DISABLE".into()));
        }
        let Some(kw) = w.first() else {
            s.empty_lines += 1;
            continue;
        };
        match kw.as_str() {
            "CHART" => {
                if open.is_some() {
                    return Err(ctx("CHART inside BEGIN..END".into()));
                }
                if w.len() < 13 {
                    return Err(ctx(format!("CHART with {} words, expected 13", w.len())));
                }
                let id = &w[1];
                if !id.contains('.') {
                    return Err(ctx("chart id without a dot".into()));
                }
                if !["line", "area", "stacked"].contains(&w[7].as_str()) {
                    return Err(ctx("unknown chart type".into()));
                }
                int(&w[8], "priority").map_err(ctx)?;
                let ue = int(&w[9], "update_every").map_err(ctx)?;
                if ue < 1 {
                    return Err(ctx("update_every below 1".into()));
                }
                if s.charts.contains_key(id) {
                    return Err(ctx("chart defined twice".into()));
                }
                s.charts.insert(
                    id.clone(),
                    Chart {
                        title: w[3].clone(),
                        units: w[4].clone(),
                        family: w[5].clone(),
                        context: w[6].clone(),
                        chart_type: w[7].clone(),
                        update_every: ue as u64,
                        plugin: w[11].clone(),
                        module: w[12].clone(),
                        dims: Vec::new(),
                    },
                );
                s.chart_order.push(id.clone());
                current_def = Some(id.clone());
            }
            "DIMENSION" => {
                let Some(chart) = current_def.clone() else {
                    return Err(ctx("DIMENSION without CHART".into()));
                };
                if open.is_some() {
                    return Err(ctx("DIMENSION inside BEGIN..END".into()));
                }
                if w.len() < 6 {
                    return Err(ctx(
                        "DIMENSION needs id name algorithm multiplier divisor".into()
                    ));
                }
                let algo = &w[3];
                if ![
                    "absolute",
                    "incremental",
                    "percentage-of-absolute-row",
                    "percentage-of-incremental-row",
                ]
                .contains(&algo.as_str())
                {
                    return Err(ctx("unknown algorithm".into()));
                }
                for (i, what) in [(4, "multiplier"), (5, "divisor")] {
                    if int(&w[i], what).map_err(ctx)? == 0 {
                        return Err(ctx(format!("{what} of 0")));
                    }
                }
                let c = s.charts.get_mut(&chart).unwrap();
                if c.dims.iter().any(|(d, _)| d == &w[1]) {
                    return Err(ctx("dimension defined twice".into()));
                }
                c.dims.push((w[1].clone(), algo.clone()));
            }
            "BEGIN" => {
                if open.is_some() {
                    return Err(ctx("BEGIN inside BEGIN..END".into()));
                }
                let Some(id) = w.get(1) else {
                    return Err(ctx("BEGIN without chart".into()));
                };
                if !s.charts.contains_key(id) {
                    return Err(ctx("BEGIN of an undefined chart".into()));
                }
                let seen = collected.entry(id.clone()).or_default();
                let us = match w.get(2) {
                    Some(v) => {
                        let v = int(v, "microseconds").map_err(ctx)?;
                        if v < 0 {
                            return Err(ctx("negative microseconds".into()));
                        }
                        Some(v as u64)
                    }
                    None => None,
                };
                if *seen == 0 && us.is_some() {
                    return Err(ctx("first BEGIN of a chart carries microseconds".into()));
                }
                if *seen > 0 && us.is_none() {
                    return Err(ctx("later BEGIN without microseconds".into()));
                }
                *seen += 1;
                current_def = None;
                open = Some(Block {
                    chart: id.clone(),
                    microseconds: us,
                    sets: BTreeMap::new(),
                    variables: BTreeMap::new(),
                });
            }
            "SET" => {
                let Some(b) = open.as_mut() else {
                    return Err(ctx("SET outside BEGIN..END".into()));
                };
                let Some(dim) = w.get(1) else {
                    return Err(ctx("SET without dimension".into()));
                };
                if !s.charts[&b.chart].dims.iter().any(|(d, _)| d == dim) {
                    return Err(ctx("SET of an undefined dimension".into()));
                }
                if !line.starts_with(&format!("SET {dim} =")) {
                    return Err(ctx("SET is not written as 'SET id = value'".into()));
                }
                let v = match w.get(2) {
                    Some(v) => {
                        let v = int(v, "value").map_err(ctx)?;
                        if v < 0 {
                            return Err(ctx("negative counter".into()));
                        }
                        Some(v)
                    }
                    None => None,
                };
                if w.len() > 3 {
                    return Err(ctx("SET with extra words".into()));
                }
                if b.sets.insert(dim.clone(), v).is_some() {
                    return Err(ctx("dimension set twice in one block".into()));
                }
            }
            "VARIABLE" => {
                let rest = &w[1..];
                let (scope, rest) = match rest.first().map(String::as_str) {
                    Some("LOCAL" | "CHART" | "GLOBAL" | "HOST") => (rest[0].as_str(), &rest[1..]),
                    _ => ("", rest),
                };
                if rest.len() != 2 {
                    return Err(ctx("VARIABLE needs name = value".into()));
                }
                let v = int(&rest[1], "variable").map_err(ctx)?;
                let chart_scope = matches!(scope, "LOCAL" | "CHART" | "");
                if let Some(b) = open.as_mut() {
                    b.variables.insert(rest[0].clone(), v);
                } else if let (true, Some(c)) = (chart_scope, current_def.as_ref()) {
                    s.definition_variables
                        .entry(c.clone())
                        .or_default()
                        .insert(rest[0].clone(), v);
                } else if scope == "CHART" || scope == "LOCAL" {
                    return Err(ctx("chart VARIABLE without a current chart".into()));
                }
            }
            "END" => {
                let Some(b) = open.take() else {
                    return Err(ctx("END without BEGIN".into()));
                };
                s.blocks.push(b);
            }
            "DISABLE" => s.disabled = true,
            "FUNCTION" => {
                if open.is_some() {
                    return Err(ctx("FUNCTION inside BEGIN..END".into()));
                }
                let rest = if w.get(1).map(String::as_str) == Some("GLOBAL") {
                    &w[2..]
                } else {
                    return Err(ctx(
                        "FUNCTION without GLOBAL would attach to the last chart".into(),
                    ));
                };
                if rest.len() < 3 || rest[0].is_empty() {
                    return Err(ctx("FUNCTION needs name, timeout and help".into()));
                }
                let timeout = int(&rest[1], "function timeout").map_err(ctx)?;
                if timeout <= 0 {
                    return Err(ctx("function timeout must be positive".into()));
                }
                s.functions.push((
                    rest[0].clone(),
                    timeout as u64,
                    rest[2].clone(),
                    rest[3..].to_vec(),
                ));
            }
            "FUNCTION_RESULT_BEGIN" => {
                if open.is_some() {
                    return Err(ctx("FUNCTION_RESULT_BEGIN inside BEGIN..END".into()));
                }
                if w.len() != 5 {
                    return Err(ctx(
                        "FUNCTION_RESULT_BEGIN needs tx status type expires".into()
                    ));
                }
                let status = int(&w[2], "status").map_err(ctx)?;
                int(&w[4], "expires").map_err(ctx)?;
                result = Some((w[1].clone(), status as u16, w[3].clone(), String::new()));
            }
            other => return Err(ctx(format!("unknown keyword {other:?}"))),
        }
    }
    if open.is_some() {
        return Err("output ends inside BEGIN..END".into());
    }
    if result.is_some() {
        return Err("output ends inside a function answer".into());
    }
    Ok(s)
}
