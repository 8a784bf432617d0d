use super::*;

fn call(tx: &str, words: &[&str]) -> Call {
    Call::of(tx, 10, words)
}

/// The head words, the JSON body and the closing line of an answer.
pub(crate) fn parts(answer: &[u8]) -> (Vec<String>, serde_json::Value, String) {
    let s = std::str::from_utf8(answer).unwrap();
    let lines: Vec<&str> = s.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 3, "{s}");
    let head = lines[0].split_whitespace().map(str::to_string).collect();
    let body = serde_json::from_str(lines[1].trim_end()).unwrap();
    (head, body, lines[2].to_string())
}

/// A Function that answers its arguments, or fails with status 418.
#[derive(Debug)]
struct Echo;

impl Handler for Echo {
    fn info(&self, r: &Request<'_>) -> String {
        format!("{{\"info\":true,\"sensitive\":{}}}", r.sensitive)
    }

    fn answer(&mut self, r: &Request<'_>) -> Result<String, Failure> {
        match r.args.first().map(String::as_str) {
            Some("fail") => Err(Failure {
                status: 418,
                message: "no \"tea\"".into(),
            }),
            _ => Ok(format!(
                "{{\"args\":{},\"sensitive\":{}}}",
                r.args.len(),
                r.sensitive
            )),
        }
    }
}

const ECHO: &[FunctionDef] = &[FunctionDef {
    name: "echo",
    help: "Echoes",
    timeout_s: 7,
    tags: "top",
    access: 0,
    priority: 100,
    handler: |_| Box::new(Echo),
}];

fn answer(d: &mut Dispatcher, c: &Call, log: &mut Log) -> Option<Vec<u8>> {
    d.answer(c, Instant::now(), 1, log, &|| false)
}

#[test]
fn registration_is_one_line_per_function_that_both_agents_read() {
    let r = Dispatcher::new(FUNCTIONS, &Context::default()).registration();
    let lines: Vec<&str> = r.lines().collect();
    assert_eq!(r.matches('\n').count(), FUNCTIONS.len());
    assert!(lines[0].starts_with("FUNCTION GLOBAL \"tcp-listeners\" 10 \""));
    assert!(lines[0].ends_with("\" \"top\" \"0x8\" 100 0"));
    assert!(lines[1].starts_with("FUNCTION GLOBAL \"tcp-resets\" 10 \""));
    assert!(lines[1].ends_with("\" \"top\" \"0x8\" 101 0"));
    // 1.37 reads at most 20 words a line.
    for line in r.lines() {
        assert!(protocol::words(line).len() <= 20);
    }
    assert_eq!(
        Dispatcher::new(ECHO, &Context::default()).registration(),
        "FUNCTION GLOBAL \"echo\" 7 \"Echoes\" \"top\" \"0x0\" 100 0\n"
    );
}

#[test]
fn a_call_reaches_its_handler_with_its_arguments() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    let (head, body, end) =
        parts(&answer(&mut d, &call("t1", &["echo", "a", "b"]), &mut log).unwrap());
    assert_eq!(
        head[..4],
        ["FUNCTION_RESULT_BEGIN", "t1", "200", "application/json"]
    );
    assert_eq!(body["args"], 2);
    assert_eq!(end, "FUNCTION_RESULT_END\n");
}

#[test]
fn info_is_answered_by_the_info_handler_asked_either_way() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    let (_, body, _) = parts(&answer(&mut d, &call("t", &["echo", "info"]), &mut log).unwrap());
    assert_eq!(body["info"], true);
    let mut post = call("t", &["echo"]);
    post.payload = Some("{\n  \"selections\": {},\n  \"info\" :\n true\n}".into());
    let (_, body, _) = parts(&answer(&mut d, &post, &mut log).unwrap());
    assert_eq!(body["info"], true);
    // "info" as a value, or false, is no info request.
    post.payload = Some("{\"q\":\"info\",\"info\":false}".into());
    let (_, body, _) = parts(&answer(&mut d, &post, &mut log).unwrap());
    assert_eq!(body["args"], 0);
}

#[test]
fn sensitive_data_only_for_callers_with_all_three_access_bits() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    for (access, sensitive) in [
        (None, false),
        (Some(0x8), false),
        (Some(0x10), false),
        (Some(0x12), false),
        (Some(0x13), true),
        (Some(0x7ff), true),
    ] {
        let mut c = call("t", &["echo"]);
        c.access = access;
        let (_, body, _) = parts(&answer(&mut d, &c, &mut log).unwrap());
        assert_eq!(body["sensitive"], sensitive, "{access:?}");
    }
}

#[test]
fn a_handler_failure_is_answered_with_its_status_and_logged_once() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    for _ in 0..3 {
        let (head, body, _) =
            parts(&answer(&mut d, &call("t", &["echo", "fail"]), &mut log).unwrap());
        assert_eq!(head[2], "418");
        assert_eq!(body["errorMessage"], "no \"tea\"");
    }
    assert_eq!(
        log.memory_text(),
        "tcp_resets.plugin: error: echo: no \"tea\"; calls are answered 418\n"
    );
}

#[test]
fn unknown_function_is_404_and_logged_once() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    for _ in 0..3 {
        let a = answer(&mut d, &call("abc", &["processes"]), &mut log).unwrap();
        let (head, body, end) = parts(&a);
        assert_eq!(
            head[..4],
            ["FUNCTION_RESULT_BEGIN", "abc", "404", "application/json"]
        );
        assert_eq!(body["status"], 404);
        assert_eq!(body["errorMessage"], body["error_message"]);
        assert_eq!(end, "FUNCTION_RESULT_END\n");
    }
    assert_eq!(log.memory_text().lines().count(), 1);
}

#[test]
fn a_call_past_its_timeout_is_answered_504() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    let mut c = call("t1", &["echo"]);
    c.timeout_s = 1;
    let arrived = Instant::now() - Duration::from_secs(2);
    let (head, body, _) = parts(&d.answer(&c, arrived, 1, &mut log, &|| false).unwrap());
    assert_eq!(head[2], "504");
    assert_eq!(body["status"], 504);
}

#[test]
fn a_transaction_that_cannot_be_echoed_is_not_answered() {
    let mut d = Dispatcher::new(ECHO, &Context::default());
    let mut log = Log::memory_for_tests();
    assert!(answer(&mut d, &call("a b", &["echo"]), &mut log).is_none());
    assert!(error("x\ny", 400, "m").is_none());
    assert!(error("", 400, "m").is_none());
}

#[cfg(target_os = "linux")]
#[test]
fn tcp_listeners_answers_info_without_reading_then_the_table_and_its_new_drops() {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let mut d = Dispatcher::new(FUNCTIONS, &Context::default());
    let mut log = Log::memory_for_tests();
    let tx = "ffaa80ec-e8f2-11f1-82a4-02fc00000001";
    let (head, info, _) =
        parts(&answer(&mut d, &call(tx, &["tcp-listeners", "info"]), &mut log).unwrap());
    assert_eq!(head[2], "200");
    assert_eq!((&info["v"], info.get("data")), (&3.into(), None));
    let row_of = |body: &serde_json::Value| {
        let ours = format!("127.0.0.1:{port}");
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == ours.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("{ours} not in {body}"))
    };
    let c = call(tx, &["tcp-listeners"]);
    let (_, first, _) = parts(&answer(&mut d, &c, &mut log).unwrap());
    // The info call moved no baseline: this is the first call.
    assert!(
        first["help"].as_str().unwrap().contains("First call"),
        "{first}"
    );
    let new_drops = first["columns"]["NewDrops"]["index"].as_u64().unwrap() as usize;
    assert_eq!(row_of(&first)[new_drops], serde_json::Value::Null);
    // The second call knows the drops since the first.
    let (_, second, _) = parts(&answer(&mut d, &c, &mut log).unwrap());
    assert_eq!(row_of(&second)[new_drops], 0, "{second}");
}
