//! Every kind of answer the real binary gives to a Function call (info,
//! the table with and without the owners, each error) validates against
//! netdata 2.10.4's own `FUNCTION_UI_SCHEMA.json` (copied into
//! `tests/fixtures/netdata-2.10.4/` with its notice), and as the branch of
//! the schema it is meant to be. The validator is Python's `jsonschema`
//! (Debian's `python3-jsonschema`); without it the test skips loudly, or
//! fails under `REQUIRE_TOOLS=1`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::child::{Asker, Guard};
use common::{repo, skip, Need};

const SCHEMA: &str = "tests/fixtures/netdata-2.10.4/FUNCTION_UI_SCHEMA.json";
const SCHEMA_SHA256: &str = "f231d1eb4cdb2cabe79466e3bb6b06602eec28fc5ae7461f7358d1f0187a5b66";

/// A Python that has `jsonschema`: the one on PATH or Debian's.
fn python() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import jsonschema"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Validates `answers` ((expected branch, body)); panics with the
/// validator's complaints.
fn validate(python: &str, answers: &[(&str, serde_json::Value)]) {
    let mut c = Command::new(python);
    c.arg(repo().join("tests/schema/validate.py"))
        .arg(repo().join(SCHEMA))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("run the validator");
    {
        let mut stdin = child.stdin.take().unwrap();
        for (expect, body) in answers {
            let line = serde_json::json!({"expect": expect, "body": body});
            writeln!(stdin, "{line}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}{}",
        text,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.trim(), format!("{} answers valid", answers.len()));
}

#[test]
fn the_schema_is_netdatas_unmodified() {
    let out = Command::new("sha256sum")
        .arg(repo().join(SCHEMA))
        .output()
        .expect("sha256sum");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.split_whitespace().next(), Some(SCHEMA_SHA256));
}

#[test]
fn every_answer_validates_against_netdatas_schema() {
    let test = "every_answer_validates_against_netdatas_schema";
    let Some(python) = python() else {
        skip(
            Need::Tools,
            test,
            "no Python with jsonschema (apt-get install python3-jsonschema)",
        );
        return;
    };
    let mut answers = Vec::new();
    let mut a = Asker::start(None);
    let (_, info) = a.call("tcp-listeners info", Some("0x8"));
    answers.push(("info", info));
    for access in [None, Some("0x8"), Some("0x13")] {
        let (status, body) = a.call("tcp-listeners", access);
        assert_eq!(status, 200);
        answers.push(("data", body));
    }
    let (status, body) = a.call("processes", Some("0x8"));
    assert_eq!(status, 404);
    answers.push(("error", body));
    // tcp-resets: its table when the tracepoints are open (root, tracefs),
    // with and without the peers.
    let (_, info) = a.call("tcp-resets info", Some("0x8"));
    answers.push(("info", info));
    for access in [Some("0x8"), Some("0x13")] {
        let (status, body) = a.call("tcp-resets", access);
        answers.push((if status == 200 { "data" } else { "error" }, body));
    }
    a.stop();
    // ... and its 503 when they are not.
    let mut off = Asker::start_with(None, &["--no-trace"]);
    let (status, body) = off.call("tcp-resets", Some("0x13"));
    assert_eq!(status, 503);
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .contains("--no-trace"));
    answers.push(("error", body));
    off.stop();
    // 400, 499 and 503 from the real binary: a call without a timeout, a
    // cancelled call, and sock_diag failing (strace makes socket() fail).
    let calls = b"FUNCTION t400 x \"tcp-listeners\"\nFUNCTION t499 10 \"tcp-listeners\"\nFUNCTION_CANCEL t499\nFUNCTION t503 10 \"tcp-listeners\"\n";
    let Some(mut c) = common::under_strace(
        test,
        &[
            "-f",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "inject=socket:error=EAFNOSUPPORT:when=1+",
        ],
        &["1", "--iterations", "3"],
    ) else {
        return;
    };
    c.env("NETDATA_HOST_PREFIX", common::fixture("linux-6.18"));
    c.stdin(Stdio::piped());
    let mut child = Guard::spawn(c);
    child.0.stdin.take().unwrap().write_all(calls).unwrap();
    let out = run_guarded(child);
    for (tx, status) in [("t400", 400), ("t499", 499), ("t503", 503)] {
        let begin = format!("FUNCTION_RESULT_BEGIN {tx} {status} ");
        let mut lines = out.lines();
        lines
            .find(|l| l.starts_with(&begin))
            .unwrap_or_else(|| panic!("no {status} answer to {tx}:\n{out}"));
        let body: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
        answers.push(("error", body));
    }
    validate(python, &answers);
}

/// Everything the child wrote on stdout until it exits (within 20 s).
fn run_guarded(mut g: Guard) -> String {
    let lines = g.stdout_lines();
    let collected = lines.collect_for(std::time::Duration::from_secs(6));
    let _ = g.wait_for(std::time::Duration::from_secs(20));
    collected.into_iter().map(|(_, l)| l + "\n").collect()
}
