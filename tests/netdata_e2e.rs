//! The plugin and its alarms inside real netdata agents: the same suite on
//! netdata 1.x (Debian's 1.37.1) and 2.x (2.10.4), one test per version,
//! the two tests running side by side. Each runs three scenarios at once,
//! each on agents of its own:
//!
//! - `streaming` (private network namespace): a child agent running the
//!   plugin streams to a parent agent. The four charts and their dimension
//!   ids; all seven alarms loaded, with no health-configuration error (1.x:
//!   exactly one known `unknown key 'summary'` message per alarm, 2.x:
//!   none, and the summaries shown in the alarms API); every variable of
//!   every alarm resolved by the agent (and one that is known not to be,
//!   not); 1,000 refused connections against the kernel's own counter deltas
//!   on the child and on the parent; nothing raised in netdata's first
//!   minute despite that burst; every alarm evaluating to a number after
//!   it; nothing raised for 30 s after a restart of the plugin; a reset
//!   storm raising both 10 s reset alarms on the child and on the parent,
//!   and SYNs injected into an established connection raising the
//!   challenge-ACK alarm.
//! - `syn_cookies` (private network namespace, iptables): the SYN-cookie
//!   alarm stays CLEAR through a SYN-queue overflow with SYN cookies on and
//!   an accept-queue overflow with them off (each for two evaluations of its
//!   one-minute lookup, with the kernel's counters showing which queue
//!   overflowed), then a SYN-queue overflow with cookies off raises it; the
//!   chart values of each phase against the kernel's deltas.
//!   Before that, the `tcp-listeners` Function: listed by both agents,
//!   called on 2.x (a listener with a backlog of 3 and ten connections it
//!   never accepts, and an idle one, against `ss -ltnm`), refused (403) by
//!   1.x's local API.
//! - `keepalive` (host network): at a 600 s interval the plugin's empty
//!   keepalive line is taken without a restart and without a complaint.
//!
//! The namespaces are per thread (`unshare(CLONE_NEWNET)` on the scenario's
//! thread), so the two versions' scenarios cannot move each other's
//! counters, nor can anything else on the host; `tcp_syncookies` and the
//! challenge-ACK limits are changed in them only.
//!
//! Without an agent the test of that version says SKIPPED, without root (or
//! `unshare`, `ip`, `iptables`) a scenario does; REQUIRE_NETDATA=1 makes
//! either a failure, REQUIRE_TOOLS=1 the second. Finding the agents:
//! tests/netdata/mod.rs.

mod common;
mod netdata;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::traffic::{self, Counters, Flood, SynInjection};
use netdata::*;
use serde_json::Value;

#[test]
fn suite_on_netdata_1() {
    suite(Flavor::V1, "suite_on_netdata_1");
}

#[test]
fn suite_on_netdata_2() {
    suite(Flavor::V2, "suite_on_netdata_2");
}

type Scenario = fn(&Agent);

fn suite(flavor: Flavor, test: &str) {
    let Some(agent) = agent_or_skip(flavor, test) else {
        return;
    };
    if flavor == Flavor::V2 && common::sys::euid() != 0 {
        // See Netdata::start: each 2.x agent needs a /run of its own.
        skip_tool(
            test,
            "netdata 2.x agents run here with a private /run (a mount namespace), which needs root",
        );
        return;
    }
    eprintln!("{test}: {} ({})", agent.name(), agent.bin.display());
    // The settings the scenarios change in their own namespaces, as the
    // host has them.
    const SETTINGS: [&str; 3] = [
        "tcp_syncookies",
        "tcp_invalid_ratelimit",
        "tcp_challenge_ack_limit",
    ];
    let host_settings = SETTINGS.map(traffic::ipv4_setting);
    let t0 = Instant::now();
    let scenarios: [(&str, Scenario); 3] = [
        ("streaming", streaming),
        ("syn_cookies", syn_cookies),
        ("keepalive", keepalive),
    ];
    let running: Vec<_> = scenarios
        .iter()
        .map(|&(name, f)| {
            let a = agent.clone();
            std::thread::Builder::new()
                .name(format!("{} {name}", agent.name()))
                .spawn(move || {
                    let t = Instant::now();
                    f(&a);
                    t.elapsed()
                })
                .unwrap()
        })
        .collect();
    let mut failed = Vec::new();
    for ((name, _), h) in scenarios.iter().zip(running) {
        match h.join() {
            Ok(d) => eprintln!("{}: {name} done in {:.1} s", agent.name(), d.as_secs_f64()),
            Err(e) => failed.push(format!("{name}: {}", panic_text(&e))),
        }
    }
    eprintln!(
        "{test}: {} scenarios took {:.1} s",
        agent.name(),
        t0.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "{}: {failed:#?}", agent.name());
    assert_eq!(
        SETTINGS.map(traffic::ipv4_setting),
        host_settings,
        "the host's {SETTINGS:?} changed"
    );
}

fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(a panic without a message)".into())
}

// ---------------------------------------------------------------------------
// Checks shared by the scenarios

/// The contract's list of charts is the one the counter and chart tables
/// define on Linux: a chart or dimension added to the code fails here
/// until the contract (and with it what the agents are checked for) says
/// so too.
#[test]
fn linux_charts_are_those_the_code_defines() {
    let derived = tcp_resets::charts::defined_where(|c| c.linux().is_some());
    let contract: Vec<(&str, Vec<&str>)> =
        LINUX_CHARTS.iter().map(|(c, d)| (*c, d.to_vec())).collect();
    assert_eq!(derived, contract);
}

/// Whether a charts answer has the plugin's four charts with exactly the
/// dimension ids it defines on Linux.
fn has_linux_charts(charts: &Value) -> bool {
    LINUX_CHARTS.iter().all(|(chart, want)| {
        let got: Option<BTreeSet<&str>> = charts
            .get("charts")
            .and_then(|c| c.get(chart))
            .and_then(|c| c.get("dimensions"))
            .and_then(Value::as_object)
            .map(|d| d.keys().map(String::as_str).collect());
        got == Some(want.iter().copied().collect())
    })
}

fn all_alarms_listed(nd: &Netdata, host: Option<&str>) -> Option<()> {
    let a = nd.alarms(host)?;
    ALARMS
        .iter()
        .all(|(c, n)| a.contains_key(&format!("{c}.{n}")))
        .then_some(())
}

fn raised(status: &str) -> bool {
    status == "WARNING" || status == "CRITICAL"
}

/// The health file defines exactly [`ALARMS`], each with a summary (no
/// agent needed: checked once, everywhere).
#[test]
fn health_file_defines_exactly_our_alarms() {
    let defs = health_file();
    let got: Vec<(&str, &str)> = defs
        .iter()
        .map(|d| (d.on.as_str(), d.name.as_str()))
        .collect();
    assert_eq!(got, ALARMS, "the health file's alarms");
    for d in &defs {
        assert!(d.summary_line > 0, "{} has no summary:", d.name);
        if d.warns {
            // netdata.uptime.uptime: the first-minute guard the file's
            // header promises for every warning.
            for v in ["this", "status", "WARNING", "netdata.uptime.uptime"] {
                assert!(
                    d.variables.contains(v),
                    "{}: no ${v} in {:?}",
                    d.name,
                    d.variables
                );
            }
        }
    }
    // The expression reader sees both spellings, dots and leading digits.
    assert_eq!(
        variables("$netdata.uptime.uptime > 60 AND ${a.b} * ($1m_x < 5)"),
        ["netdata.uptime.uptime", "a.b", "1m_x"]
    );
}

/// Netdata read our health file without an error. 1.x does not know
/// `summary:` and logs, for each alarm, exactly
/// `Health configuration at line N of file 'PATH' for alarm 'NAME' has
/// unknown key 'summary'.` (sometimes followed by an errno); that message
/// and no other. 2.x logs nothing about the file. On either, no other
/// error line names our file, an alarm or the plugin, except messages
/// ending in one of `expected`, and the streaming subsystem's own
/// (`STREAM ...`, logged on whatever thread collected the data).
fn check_health_log(nd: &Netdata, expected: &[String]) {
    let defs = health_file();
    let file = nd.dir().join("stock-health/tcp_resets_plugin.conf");
    let known: Vec<String> = defs
        .iter()
        .map(|d| {
            format!(
                "Health configuration at line {} of file '{}' for alarm '{}' has unknown key 'summary'.",
                d.summary_line,
                file.display(),
                d.name
            )
        })
        .collect();
    let is_known = |l: &str| known.iter().any(|k| says(l, k));
    let lines = nd.log_lines();
    let about_health: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("Health configuration"))
        .collect();
    match nd.agent.flavor {
        Flavor::V1 => {
            let unexpected: Vec<&&String> = about_health.iter().filter(|l| !is_known(l)).collect();
            assert!(
                unexpected.is_empty(),
                "{}: health-configuration messages other than the known summary one: {unexpected:#?}",
                nd.who()
            );
            for (d, k) in defs.iter().zip(&known) {
                assert!(
                    about_health.iter().any(|l| l.contains(k.as_str())),
                    "{}: 1.x did not say that {}'s summary: is unknown (is it still 1.x?)",
                    nd.who(),
                    d.name
                );
            }
        }
        Flavor::V2 => assert!(
            about_health.is_empty(),
            "{}: health-configuration messages: {about_health:#?}",
            nd.who()
        ),
    }
    let ours = |l: &str| {
        l.contains("tcp_resets_plugin.conf")
            || l.contains("tcp_resets.plugin")
            || l.contains("[tcp_resets]")
            || ALARMS.iter().any(|(_, a)| l.contains(a))
    };
    // 1.x may read its health files twice at start-up (the main thread
    // and the host's health thread) and then says, of every alarm in them,
    // ours and its own alike, `RRDCALC: from config 'NAME' on chart 'CHART'
    // failed to be added to host 'HOST'. It already exists.`: the alarm is
    // there once, as the alarms API shows.
    let loaded_twice = |l: &str| {
        nd.agent.flavor == Flavor::V1
            && l.contains("RRDCALC: from config '")
            && (l.ends_with("It already exists.") || l.contains("It already exists. (errno"))
    };
    let errors: Vec<String> = nd
        .error_lines()
        .into_iter()
        .filter(|l| ours(l) && !is_known(l) && !is_stream_line(l) && !loaded_twice(l))
        .filter(|l| !expected.iter().any(|e| says(l, e)))
        .collect();
    assert!(
        errors.is_empty(),
        "{}: errors about our files: {errors:#?}",
        nd.who()
    );
}

/// Whether log line `l` ends with `message`, or with `message` and the
/// ` (errno N, text)` that 1.x appends when errno happened to be set.
fn says(l: &str, message: &str) -> bool {
    let l = match l.rfind(" (errno ") {
        Some(i) if l.ends_with(')') => &l[..i],
        _ => l,
    };
    l.ends_with(message)
}

/// Whether a log line is the streaming subsystem's (1.x logs some on the
/// thread that collected the data, the plugin's).
fn is_stream_line(l: &str) -> bool {
    l.contains(": STREAM ") || l.contains("msg=\"STREAM ")
}

/// Error lines about the plugin (its thread is PLUGINSD[tcp_resets] in
/// 1.x, PD[tcp_resets] in 2.x), the streaming subsystem's aside.
fn plugin_errors(nd: &Netdata) -> Vec<String> {
    nd.error_lines()
        .into_iter()
        .filter(|l| l.contains("tcp_resets.plugin") || l.contains("[tcp_resets]"))
        .filter(|l| !is_stream_line(l))
        .collect()
}

/// Whether `l` is one of the messages netdata logs when the plugin it runs
/// as `pid` ends (a restart): 1.x `read failed: end of file` and `'PATH'
/// (pid N) disconnected after M successful data collections (ENDs).`; 2.x
/// `PARSER: read failed: POLLHUP.`
fn is_restart_message(nd: &Netdata, pid: u32, l: &str) -> bool {
    match nd.agent.flavor {
        Flavor::V1 => {
            let path = nd.dir().join("plugins/tcp_resets.plugin");
            says(l, "read failed: end of file")
                || (l.contains(&format!(
                    ": '{}' (pid {pid}) disconnected after ",
                    path.display()
                )) && says(l, " successful data collections (ENDs)."))
        }
        Flavor::V2 => l.ends_with("msg=\"PARSER: read failed: POLLHUP.\""),
    }
}

/// The alarms API shows our summaries on 2.x; 1.x has no summary field.
fn check_summaries(nd: &Netdata, host: Option<&str>) {
    let all = nd.alarms_retry(host);
    for d in health_file() {
        let a = &all[&format!("{}.{}", d.on, d.name)];
        match nd.agent.flavor {
            Flavor::V1 => assert!(
                a.get("summary").is_none(),
                "{}: 1.x shows a summary for {}: {a}",
                nd.who(),
                d.name
            ),
            Flavor::V2 => assert_eq!(
                a.get("summary").and_then(Value::as_str),
                Some(d.summary.as_str()),
                "{}: the summary of {}",
                nd.who(),
                d.name
            ),
        }
    }
}

/// Every `$variable` of every alarm resolves on its chart, as this agent
/// looks variables up; a name that does not exist does not, and neither,
/// on 2.x only, does another chart's variable (which 1.x reaches as a host
/// variable): the reason the SYN-cookie alarm lives on the syncookies chart.
fn check_variables(nd: &Netdata, host: Option<&str>) {
    let mut unresolved = Vec::new();
    let mut checked = 0;
    for d in health_file() {
        for v in &d.variables {
            let ok = nd.resolves(host, &d.on, v);
            checked += 1;
            if !ok {
                unresolved.push(format!("{}: ${v} on {}", d.name, d.on));
            }
        }
    }
    assert!(
        unresolved.is_empty(),
        "{} (host {host:?}): variables that do not resolve: {unresolved:#?}",
        nd.who()
    );
    assert!(
        !nd.resolves(host, "tcp_resets.resets", "no_such_variable"),
        "{}: a variable that does not exist resolves",
        nd.who()
    );
    let across = nd.resolves(
        host,
        "tcp_resets.resets",
        "tcp_resets.syncookies.tcp_syncookies",
    );
    assert_eq!(
        across,
        nd.agent.flavor == Flavor::V1,
        "{}: ${{tcp_resets.syncookies.tcp_syncookies}} from tcp_resets.resets",
        nd.who()
    );
    eprintln!(
        "{} host {host:?}: {checked} alarm variables resolve; another chart's variable {}",
        nd.who(),
        if nd.agent.flavor == Flavor::V1 {
            "resolves too (1.x host variable)"
        } else {
            "does not (2.x)"
        }
    );
}

/// Asserts that netdata's events per dimension match the kernel's deltas:
/// within 1 % plus 5 events (netdata interpolates onto its second
/// boundaries and stores values as compact floats).
fn assert_close(who: &str, what: &str, netdata: f64, kernel: u64) {
    let tol = kernel as f64 * 0.01 + 5.0;
    assert!(
        (netdata - kernel as f64).abs() <= tol,
        "{who}: {what}: netdata shows {netdata} events, the kernel counted {kernel}"
    );
}

/// Waits until every `(agent, host, alarm)` is WARNING; returns how long
/// each took from `since`.
fn until_raised(
    watched: &[(&Netdata, Option<&str>, &str)],
    since: Instant,
    limit: Duration,
) -> Vec<Duration> {
    let mut when: Vec<Option<Duration>> = vec![None; watched.len()];
    let end = Instant::now() + limit;
    while when.iter().any(Option::is_none) {
        for (i, (nd, host, alarm)) in watched.iter().enumerate() {
            if when[i].is_none() && nd.status(*host, alarm).as_deref() == Some("WARNING") {
                when[i] = Some(since.elapsed());
            }
        }
        if Instant::now() >= end {
            let missing: Vec<String> = watched
                .iter()
                .zip(&when)
                .filter(|(_, w)| w.is_none())
                .map(|((nd, host, alarm), _)| {
                    format!(
                        "{} {host:?} {alarm}: {:?}",
                        nd.who(),
                        nd.status(*host, alarm)
                    )
                })
                .collect();
            panic!("not raised within {limit:?}: {missing:#?}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    when.into_iter().map(Option::unwrap).collect()
}

/// Watches the agent for `d`, once a second: none of our alarms may be
/// raised, and `clear` must be evaluated and CLEAR. A busy agent may miss
/// an answer now and then; at least a third of the looks must get one.
///
/// An alarm of `clear` may be listed as not yet evaluated (MISSING,
/// UNINITIALIZED) until it is first CLEAR: netdata 2.x relinks a chart's
/// alarms a moment after a restarted plugin defines the chart again, and
/// 1.x lists them uninitialized until their first evaluation. Once CLEAR,
/// it must stay CLEAR, and it must be CLEAR by the end.
fn stays_quiet(nd: &Netdata, d: Duration, clear: &[&str], when: &str) {
    let end = Instant::now() + d;
    let (mut looks, mut answers) = (0, 0);
    let mut cleared = vec![false; clear.len()];
    while Instant::now() < end {
        looks += 1;
        if let Some(a) = nd.alarms(None) {
            answers += 1;
            let status = |name: &str| status_in(&a, name);
            for (_, name) in ALARMS {
                let s = status(name);
                assert!(!raised(&s), "{}: {name} is {s} {when}", nd.who());
            }
            for (name, was) in clear.iter().zip(&mut cleared) {
                let s = status(name);
                if *was || !matches!(s.as_str(), "MISSING" | "UNINITIALIZED") {
                    assert_eq!(s, "CLEAR", "{}: {name} {when}", nd.who());
                    *was = true;
                }
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(
        answers * 3 >= looks,
        "{}: only {answers} answers in {looks} looks {when}",
        nd.who()
    );
    for (name, was) in clear.iter().zip(&cleared) {
        assert!(*was, "{}: {name} never evaluated CLEAR {when}", nd.who());
    }
}

// ---------------------------------------------------------------------------
// Scenario: a child streaming to a parent

const CHILD: &str = "tcp-resets-child";
const REFUSED: u64 = 1000;

fn streaming(agent: &Agent) {
    let test = format!("{} streaming", agent.name());
    if let Err(why) = traffic::private_network() {
        skip_tool(&test, &why);
        return;
    }
    // Challenge ACKs without a per-socket or per-namespace rate limit, in
    // this namespace only.
    traffic::set_ipv4_setting("tcp_invalid_ratelimit", "0");
    let _ = std::fs::write("/proc/sys/net/ipv4/tcp_challenge_ack_limit", "2147483647");

    let key = "5f0c2a8e-6b1d-4f27-9d3a-7c41e2b9a001".to_string();
    let mut parent = Netdata::start(
        agent,
        Config {
            accept_key: Some(key.clone()),
            plugin: false,
            ..Config::node("tcp-resets-parent")
        },
    );
    parent.wait("the parent's API", Duration::from_secs(60), |p| {
        p.json("/api/v1/info")
    });
    let mut child = Netdata::start(
        agent,
        Config {
            stream_to: Some((parent.port, key)),
            ..Config::node(CHILD)
        },
    );

    // 1. Charts, dimensions, alarms, the health file, variables.
    child.wait(
        "the four charts with their dimensions",
        Duration::from_secs(60),
        |c| c.charts(None).filter(has_linux_charts),
    );
    child.wait("our seven alarms", Duration::from_secs(60), |c| {
        all_alarms_listed(c, None)
    });
    eprintln!(
        "{}: charts and alarms after {:.1} s",
        child.who(),
        child.started.elapsed().as_secs_f64()
    );
    check_health_log(&child, &[]);
    check_summaries(&child, None);
    check_variables(&child, None);

    // 2. Values: refused connections against the kernel's deltas, in this
    // namespace, where nothing else moves them.
    let closed = traffic::closed_port();
    std::thread::sleep(Duration::from_secs(2));
    let after = now() - 1;
    let k0 = Counters::read();
    traffic::refused_connections(closed, REFUSED);
    std::thread::sleep(Duration::from_secs(4));
    let k1 = Counters::read();
    let before = now();
    let kernel: BTreeMap<&str, u64> = ["AttemptFails", "EstabResets", "OutRsts"]
        .iter()
        .map(|d| (*d, k1.since(&k0, &format!("Tcp:{d}"))))
        .collect();
    assert_eq!(
        (kernel["AttemptFails"], kernel["OutRsts"]),
        (REFUSED, REFUSED),
        "{}: the kernel's deltas in a private namespace",
        child.who()
    );
    let on_child = child.events(None, "tcp_resets.resets", after, before);
    parent.wait(
        "the child's tcp_resets.resets on the parent",
        Duration::from_secs(30),
        |p| p.charts(Some(CHILD)).filter(has_linux_charts),
    );
    let on_parent = parent.events(Some(CHILD), "tcp_resets.resets", after, before);
    eprintln!(
        "{}: {REFUSED} refused connections; kernel {kernel:?}; child {on_child:?}; parent {on_parent:?}",
        child.who()
    );
    for (dim, k) in &kernel {
        assert_close(&child.who(), dim, on_child[*dim], *k);
        assert_close(&parent.who(), dim, on_parent[*dim], *k);
    }
    resets_who_and_why(&child, agent.flavor, closed, after, before);

    // 3a. The first minute: the burst above would raise the 10 s alarms
    // without the uptime guard; nothing may be raised until it ends, and
    // the 10 s alarms must be evaluated (CLEAR), not merely absent.
    const TEN_S: [&str; 2] = ["10s_ipv4_tcp_resets_received", "10s_ipv4_tcp_resets_sent"];
    stays_quiet(
        &child,
        (child.started + Duration::from_secs(75)).saturating_duration_since(Instant::now()),
        &TEN_S,
        "in netdata's first minute",
    );
    // Every alarm evaluates to a number once its lookup has data (the
    // baselines look a minute back from 10 s ago).
    let numbers = child.wait(
        "every alarm evaluated to a number",
        Duration::from_secs(40),
        |c| {
            let a = c.alarms(None)?;
            let v: Vec<(String, String, f64)> = ALARMS
                .iter()
                .map(|(chart, n)| {
                    let x = &a[&format!("{chart}.{n}")];
                    Some((
                        n.to_string(),
                        x["status"].as_str()?.to_string(),
                        x["value"].as_f64()?,
                    ))
                })
                .collect::<Option<_>>()?;
            Some(v)
        },
    );
    eprintln!(
        "{}: evaluated at {:.0} s: {numbers:?}",
        child.who(),
        child.started.elapsed().as_secs_f64()
    );
    for (n, status, _) in &numbers {
        let want = if n.starts_with("1m_") {
            "UNDEFINED"
        } else {
            "CLEAR"
        };
        assert_eq!(status, want, "{}: {n}", child.who());
    }

    // 3b. A restart of the plugin: SIGTERM (exit 0), netdata starts it
    // again; nothing is raised for three evaluations after.
    let quiet = plugin_errors(&child);
    assert!(
        quiet.is_empty(),
        "{}: errors about the plugin: {quiet:#?}",
        child.who()
    );
    let old = child.plugin_pids("tcp_resets.plugin");
    assert_eq!(old.len(), 1, "{}: plugin processes {old:?}", child.who());
    common::sys::kill(old[0], libc::SIGTERM);
    let new = child.wait(
        "netdata to restart the plugin",
        Duration::from_secs(60),
        |c| {
            let p = c.plugin_pids("tcp_resets.plugin");
            (p.len() == 1 && p[0] != old[0]).then(|| p[0])
        },
    );
    eprintln!("{}: plugin restarted, pid {} -> {new}", child.who(), old[0]);
    stays_quiet(
        &child,
        Duration::from_secs(30),
        &TEN_S,
        "after a plugin restart",
    );

    // 3c. A reset storm and SYNs into an established connection, at once:
    // both 10 s reset alarms on the child and on the parent, and the
    // challenge-ACK alarm on the child.
    parent.wait(
        "our alarms for the child on the parent",
        Duration::from_secs(30),
        |p| all_alarms_listed(p, Some(CHILD)),
    );
    check_summaries(&parent, Some(CHILD));
    check_variables(&parent, Some(CHILD));
    let k0 = Counters::read();
    let stop = Arc::new(AtomicBool::new(false));
    const STORM_RATE: u64 = 2000;
    let storm = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let n = traffic::reset_storm(closed, STORM_RATE, Duration::from_secs(120), &stop);
            (n, t.elapsed())
        })
    };
    let injection = SynInjection::start();
    let t = Instant::now();
    let took = until_raised(
        &[
            (&child, None, "10s_ipv4_tcp_resets_received"),
            (&child, None, "10s_ipv4_tcp_resets_sent"),
            (&child, None, "10s_tcp_challenge_acks"),
            (&parent, Some(CHILD), "10s_ipv4_tcp_resets_received"),
            (&parent, Some(CHILD), "10s_ipv4_tcp_resets_sent"),
        ],
        t,
        Duration::from_secs(90),
    );
    stop.store(true, Ordering::Relaxed);
    let syns = injection.stop();
    let (made, storm_time) = storm.join().unwrap();
    let k1 = Counters::read();
    let acks = k1.since(&k0, "TcpExt:TCPChallengeACK");
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    eprintln!(
        "{}: storm of {made} refused connections in {:.1} s ({:.0}/s); raised after: child received {}, sent {}; parent received {}, sent {}",
        child.who(),
        storm_time.as_secs_f64(),
        made as f64 / storm_time.as_secs_f64(),
        secs(took[0]),
        secs(took[1]),
        secs(took[3]),
        secs(took[4]),
    );
    eprintln!(
        "{}: {syns} injected SYNs, {acks} challenge ACKs; 10s_tcp_challenge_acks raised after {}",
        child.who(),
        secs(took[2])
    );
    assert!(acks > 0, "{}: no challenge ACK counted", child.who());
    // Since the restart, the agent has said that the old plugin ended (in
    // its own words), once, and nothing else about the plugin.
    let since: Vec<String> = plugin_errors(&child);
    let (restart, other): (Vec<&String>, Vec<&String>) = since
        .iter()
        .partition(|l| is_restart_message(&child, old[0], l));
    assert!(
        other.is_empty(),
        "{}: errors about the plugin: {other:#?}",
        child.who()
    );
    let want = match agent.flavor {
        Flavor::V1 => 2,
        Flavor::V2 => 1,
    };
    assert_eq!(
        restart.len(),
        want,
        "{}: the agent's messages about the restart: {restart:#?}",
        child.who()
    );
}

/// The reset tracepoints under a real agent (root, tracefs): the chart of
/// sent resets by reason counts the refused connections as `no_socket`
/// (at least them: the tracepoint sees every namespace, the other
/// scenarios' too), and on 2.x the Function `tcp-resets`, called by an
/// anonymous caller, has the row of the closed port with exactly them and
/// no peer; 1.x lists it (only Netdata Cloud may call it there).
fn resets_who_and_why(nd: &Netdata, flavor: Flavor, closed: u16, after: u64, before: u64) {
    let who = nd.who();
    let info = nd.json_retry("/api/v1/info", "the agent's info");
    assert!(
        info["functions"]["tcp-resets"].is_object(),
        "{who}: tcp-resets is not in /api/v1/info: {}",
        info["functions"]
    );
    let charts = nd.json_retry("/api/v1/charts", "the charts");
    let Some(dims) = charts["charts"]["tcp_resets.sent_reasons"]["dimensions"].as_object() else {
        skip_tool(
            &format!("{who} sent_reasons"),
            "no tcp_resets.sent_reasons: the plugin could not open the reset tracepoints under this agent (root and tracefs at /sys/kernel/tracing are needed)",
        );
        return;
    };
    assert!(
        dims.contains_key("no_socket") && dims.contains_key("lost"),
        "{who}: {dims:?}"
    );
    let by_reason = nd.events(None, "tcp_resets.sent_reasons", after, before);
    eprintln!("{who}: sent_reasons around {REFUSED} refused connections: {by_reason:?}");
    assert!(
        by_reason["no_socket"] >= REFUSED as f64 * 0.999,
        "{who}: no_socket {} < {REFUSED}",
        by_reason["no_socket"]
    );
    if flavor == Flavor::V1 {
        return;
    }
    let t = nd.json_retry(
        "/api/v1/function?function=tcp-resets&timeout=10",
        "the tcp-resets table",
    );
    let cols = t["columns"].as_object().unwrap();
    assert!(
        cols.get("Remote").is_none(),
        "{who}: an anonymous caller sees peers"
    );
    let cell = |r: &Value, k: &str| r[cols[k]["index"].as_u64().unwrap() as usize].clone();
    let rows: Vec<&Value> = t["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            cell(r, "Direction") == "sent" && cell(r, "LocalPort") == closed.to_string().as_str()
        })
        .collect();
    eprintln!("{who}: tcp-resets rows of port {closed}: {rows:?}");
    assert_eq!(rows.len(), 1, "{who}: {t}");
    assert_eq!(cell(rows[0], "Reason"), "NO_SOCKET", "{who}");
    assert_eq!(cell(rows[0], "Last10Minutes"), REFUSED, "{who}");
}

// ---------------------------------------------------------------------------
// Scenario: the SYN-cookie alarm

/// The `tcp-listeners` Function, in the scenario's private namespace: both
/// agents list it in `/api/v1/info`; 2.x calls it from its own API (1.x
/// lets only Netdata Cloud call functions and answers 403). The anonymous
/// caller of 2.x's API gets the table without owners; `info` gets
/// metadata only; a listener with a backlog of 3 that never accepts, and
/// an idle one, match `ss -ltnm`; then, between two calls, a
/// `TCP_DEFER_ACCEPT` listener serving 1,000 connections, handshakes ended
/// by resets and the listener that never accepts: it is first and
/// critical, the others are not called overflowing.
fn tcp_listeners(nd: &Netdata, flavor: Flavor) {
    use std::net::{Ipv4Addr, TcpListener};
    let who = nd.who();
    let info = nd.json_retry("/api/v1/info", "the agent's info");
    assert!(
        info["functions"]["tcp-listeners"].is_object(),
        "{who}: tcp-listeners is not in /api/v1/info: {}",
        info["functions"]
    );
    let path = "/api/v1/function?function=tcp-listeners&timeout=10";
    if flavor == Flavor::V1 {
        let code = nd.get(path).map(|(code, _)| code);
        assert_eq!(
            code,
            Some(403),
            "{who}: 1.37 lets only Netdata Cloud call functions"
        );
        return;
    }
    let meta = nd.json_retry(
        "/api/v1/function?function=tcp-listeners%20info&timeout=10",
        "tcp-listeners info",
    );
    assert_eq!(meta["v"], 3, "{who}: {meta}");
    assert!(
        meta.get("data").is_none(),
        "{who}: info carries data: {meta}"
    );
    let (busy, clients, busy_port) = common::traffic::overflowing(3, 10);
    let idle = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let idle_port = idle.local_addr().unwrap().port();
    std::thread::sleep(Duration::from_millis(500));
    let before = common::ss_listener(busy_port).expect("ss sees the listener");
    let table = nd.json_retry(path, "the tcp-listeners table");
    let after = common::ss_listener(busy_port).unwrap();
    let idle_ss = common::ss_listener(idle_port).unwrap();
    let busy_row = common::listener_row(&table, busy_port);
    let idle_row = common::listener_row(&table, idle_port);
    eprintln!(
        "{who}: tcp-listeners: busy {} queue {} limit {} drops {} (ss {before:?} -> {after:?}); idle queue {} limit {} drops {} (ss {idle_ss:?})",
        busy_row("Status"), busy_row("Queue"), busy_row("Limit"), busy_row("Drops"),
        idle_row("Queue"), idle_row("Limit"), idle_row("Drops"),
    );
    assert_eq!((before.0, before.1, after.0), (4, 3, 4), "{who}: ss");
    assert_eq!(busy_row("Queue"), 4, "{who}");
    assert_eq!(busy_row("Limit"), 3, "{who}");
    assert_eq!(busy_row("Status"), "refusing", "{who}");
    let drops = busy_row("Drops").as_u64().unwrap();
    assert!(
        before.2 > 0 && (before.2..=after.2).contains(&drops),
        "{who}: drops {drops}, ss {before:?} -> {after:?}"
    );
    assert_eq!(
        (idle_row("Queue"), idle_row("Drops")),
        (0.into(), 0.into()),
        "{who}"
    );
    assert_eq!(idle_row("Limit"), idle_ss.1, "{who}");
    assert_eq!(table["status"], 200);
    // The anonymous caller sees no owner: not this test's PID, no user.
    let columns = table["columns"].as_object().unwrap();
    for owner in ["PID", "Process", "User", "UID"] {
        assert!(
            !columns.contains_key(owner),
            "{who}: anonymous sees {owner}"
        );
    }
    let text = table.to_string();
    assert!(!text.contains("\"root\""), "{who}: a user name in {text}");
    assert!(
        table["help"]
            .as_str()
            .unwrap()
            .contains("shown only to callers"),
        "{who}: {}",
        table["help"]
    );
    drop((clients, busy, idle));

    // Between two calls: deferred accept, resets, and a listener that
    // never accepts.
    let (deferred, deferred_port) = common::traffic::deferred_listener();
    nd.json_retry(path, "the tcp-listeners table");
    let (_never, _clients, never_port) = common::traffic::overflowing(3, 20);
    let (_resets, resets_port) = common::traffic::reset_handshakes(10).expect("iptables");
    common::traffic::serve_deferred(&deferred, 1000);
    let t = nd.json_retry(path, "the tcp-listeners table");
    let port_index = t["columns"]["Port"]["index"].as_u64().unwrap() as usize;
    let order: Vec<u64> = t["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[port_index].as_u64().unwrap())
        .collect();
    let severity = |port: u16| {
        common::listener_row(&t, port)("rowOptions")["severity"]
            .as_str()
            .unwrap()
            .to_string()
    };
    eprintln!(
        "{who}: tcp-listeners after deferred accept, resets and overflows: order {order:?} (never accepts {never_port}, deferred {deferred_port}, resets {resets_port}); {}",
        t["help"]
    );
    assert_eq!(order[0], u64::from(never_port), "{who}: {t}");
    assert_eq!(severity(never_port), "critical", "{who}");
    for port in [deferred_port, resets_port] {
        let status = common::listener_row(&t, port)("Status");
        assert!(
            !matches!(status.as_str().unwrap(), "refusing" | "overflowed"),
            "{who}: {port} is {status}"
        );
        assert!(
            !matches!(severity(port).as_str(), "warning" | "critical"),
            "{who}: {port}"
        );
    }
}

const SYN_ALARM: &str = "tcp_resets_queue_full_without_syncookies";

/// One evaluation of the SYN-cookie alarm: when, its value, and the end of
/// the minute it looked at.
#[derive(Debug)]
struct Evaluation {
    at: u64,
    value: f64,
    window_end: u64,
}

fn evaluation(nd: &Netdata) -> Option<(String, Option<Evaluation>)> {
    let a = nd.alarm(None, SYN_ALARM)?;
    let status = a["status"].as_str()?.to_string();
    let e = Some(Evaluation {
        at: a["last_updated"].as_u64()?,
        value: a["value"].as_f64()?,
        window_end: a["db_before"].as_u64()?,
    });
    Some((status, e.filter(|e| e.at > 0)))
}

/// Watches the SYN-cookie alarm while a phase runs: it must never be
/// raised, and must be evaluated to a number (CLEAR) twice with a lookup
/// window that ends at least 15 s into the phase (when its overflow would
/// already weigh over one drop a second in a one-minute average).
fn stays_clear(nd: &mut Netdata, phase: &str, began: u64) -> Vec<Evaluation> {
    let mut seen: Vec<Evaluation> = Vec::new();
    let end = Instant::now() + Duration::from_secs(150);
    while seen.len() < 2 {
        assert!(nd.running(), "{}: netdata exited in {phase}", nd.who());
        if let Some((status, e)) = evaluation(nd) {
            assert!(
                !raised(&status),
                "{}: {SYN_ALARM} is {status} {phase}",
                nd.who()
            );
            if let Some(e) = e {
                if e.window_end >= began + 15 && seen.iter().all(|s| s.at != e.at) {
                    assert_eq!(status, "CLEAR", "{}: {phase}: {e:?}", nd.who());
                    assert_eq!(e.value, 0.0, "{}: {phase}: drops/s {e:?}", nd.who());
                    seen.push(e);
                }
            }
        }
        assert!(
            Instant::now() < end,
            "{}: {SYN_ALARM} was not evaluated twice {phase} within 150 s (seen {seen:?})",
            nd.who()
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    seen
}

/// A phase's chart values and kernel deltas, compared after the traffic
/// stopped and 3 s more.
struct Window {
    after: u64,
    k0: Counters,
}

impl Window {
    fn open() -> Window {
        Window {
            after: now() - 1,
            k0: Counters::read(),
        }
    }

    /// Events per `chart.dimension` and the kernel's deltas per counter.
    fn close(self, nd: &Netdata) -> (BTreeMap<String, f64>, Counters, Counters) {
        std::thread::sleep(Duration::from_secs(3));
        let k1 = Counters::read();
        let before = now();
        let mut ev = BTreeMap::new();
        for chart in ["tcp_resets.causes", "tcp_resets.syncookies"] {
            for (d, v) in nd.events(None, chart, self.after, before) {
                ev.insert(format!("{chart}.{d}"), v);
            }
        }
        (ev, self.k0, k1)
    }
}

fn syn_cookies(agent: &Agent) {
    let test = format!("{} syn_cookies", agent.name());
    if let Err(why) = traffic::private_network() {
        skip_tool(&test, &why);
        return;
    }
    if let Err(why) = traffic::have_iptables() {
        skip_tool(&test, &why);
        return;
    }
    traffic::set_ipv4_setting("tcp_syncookies", "1");
    let mut nd = Netdata::start(agent, Config::node("tcp-resets-syncookies"));
    nd.wait("our seven alarms", Duration::from_secs(60), |n| {
        all_alarms_listed(n, None)
    });
    check_health_log(&nd, &[]);
    tcp_listeners(&nd, agent.flavor);
    nd.wait(
        "the chart variable tcp_syncookies = 1",
        Duration::from_secs(30),
        |n| (n.chart_variable("tcp_resets.syncookies", "tcp_syncookies")? == 1.0).then_some(()),
    );
    let who = nd.who();
    let drop_key = "TcpExt:TCPReqQFullDrop";

    // A. SYN cookies on, the SYN queue overflowing: cookies are sent, no
    // request is dropped for want of them; the alarm stays CLEAR.
    let w = Window::open();
    let began = now();
    let flood = Flood::syn_queue().unwrap_or_else(|e| panic!("{who}: {e}"));
    let evals = stays_clear(&mut nd, "with SYN cookies on and the SYN queue full", began);
    let made = flood.stop();
    let (ev, k0, k1) = w.close(&nd);
    eprintln!(
        "{who}: A (cookies on, SYN queue): {made} connects, kernel TCPReqQFullDoCookies +{}, SyncookiesSent +{}, TCPReqQFullDrop +{}; chart {ev:?}; evaluations {evals:?}",
        k1.since(&k0, "TcpExt:TCPReqQFullDoCookies"),
        k1.since(&k0, "TcpExt:SyncookiesSent"),
        k1.since(&k0, drop_key),
    );
    assert!(
        k1.since(&k0, "TcpExt:SyncookiesSent") > 0,
        "{who}: A: no cookie sent"
    );
    assert_eq!(k1.since(&k0, drop_key), 0, "{who}: A: SYN-queue drops");
    assert_close(
        &who,
        "A: sent",
        ev["tcp_resets.syncookies.sent"],
        k1.since(&k0, "TcpExt:SyncookiesSent"),
    );
    assert_close(
        &who,
        "A: syn_queue_drops",
        ev["tcp_resets.syncookies.syn_queue_drops"],
        0,
    );

    // B. SYN cookies off, the accept queue overflowing (not the SYN queue):
    // ListenOverflows, no TCPReqQFullDrop; the alarm stays CLEAR.
    traffic::set_ipv4_setting("tcp_syncookies", "0");
    nd.wait(
        "the chart variable tcp_syncookies = 0",
        Duration::from_secs(30),
        |n| (n.chart_variable("tcp_resets.syncookies", "tcp_syncookies")? == 0.0).then_some(()),
    );
    let w = Window::open();
    let began = now();
    let flood = Flood::accept_queue();
    let evals = stays_clear(
        &mut nd,
        "with SYN cookies off and the accept queue full",
        began,
    );
    let made = flood.stop();
    let (ev, k0, k1) = w.close(&nd);
    let overflows = k1.since(&k0, "TcpExt:ListenOverflows");
    eprintln!(
        "{who}: B (cookies off, accept queue): {made} connects, kernel ListenOverflows +{overflows}, TCPReqQFullDrop +{}; chart {ev:?}; evaluations {evals:?}",
        k1.since(&k0, drop_key),
    );
    assert!(overflows > 0, "{who}: B: no ListenOverflows");
    assert_eq!(k1.since(&k0, drop_key), 0, "{who}: B: SYN-queue drops");
    assert_close(
        &who,
        "B: queue_full",
        ev["tcp_resets.causes.queue_full"],
        overflows,
    );
    assert_close(
        &who,
        "B: syn_queue_drops",
        ev["tcp_resets.syncookies.syn_queue_drops"],
        0,
    );

    // C. SYN cookies off, the SYN queue overflowing: TCPReqQFullDrop, and
    // the alarm is raised.
    let w = Window::open();
    let t = Instant::now();
    let flood = Flood::syn_queue().unwrap_or_else(|e| panic!("{who}: {e}"));
    let took = until_raised(&[(&nd, None, SYN_ALARM)], t, Duration::from_secs(90))[0];
    let value = nd.alarm(None, SYN_ALARM).map(|a| a["value"].clone());
    let made = flood.stop();
    let (ev, k0, k1) = w.close(&nd);
    let drops = k1.since(&k0, drop_key);
    eprintln!(
        "{who}: C (cookies off, SYN queue): {made} connects, kernel TCPReqQFullDrop +{drops}, ListenDrops +{}, ListenOverflows +{}; chart {ev:?}; {SYN_ALARM} WARNING after {:.1} s at {value:?} drops/s",
        k1.since(&k0, "TcpExt:ListenDrops"),
        k1.since(&k0, "TcpExt:ListenOverflows"),
        took.as_secs_f64(),
    );
    assert!(drops > 0, "{who}: C: no SYN-queue drops");
    assert_close(
        &who,
        "C: syn_queue_drops",
        ev["tcp_resets.syncookies.syn_queue_drops"],
        drops,
    );
}

// ---------------------------------------------------------------------------
// Scenario: the keepalive line

/// At an interval above 60 s the plugin writes an empty line every minute
/// (netdata 1.41+ ends a plugin silent for 120 s); netdata must take it
/// without complaint and keep the same plugin process.
fn keepalive(agent: &Agent) {
    let mut nd = Netdata::start(
        agent,
        Config {
            // 600 s: the sample after the first is at least 300 s away, so
            // the only output in the next minutes is the keepalive.
            plugin_every: Some(600),
            ..Config::node("tcp-resets-keepalive")
        },
    );
    nd.wait(
        "the four charts with their dimensions",
        Duration::from_secs(60),
        |n| n.charts(None).filter(has_linux_charts),
    );
    let pid = nd.wait("the plugin process", Duration::from_secs(10), |n| {
        let p = n.plugin_pids("tcp_resets.plugin");
        (p.len() == 1).then(|| p[0])
    });
    let args = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(
        args.split('\0').any(|a| a == "600"),
        "{}: plugin args {args:?}",
        nd.who()
    );
    let writes = || -> u64 {
        let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
        io.lines()
            .find_map(|l| l.strip_prefix("syscw: "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = writes();
    // Past the first keepalive (60 s after the first sample).
    std::thread::sleep(Duration::from_secs(75));
    let keepalives = writes() - before;
    assert!(
        keepalives >= 1,
        "{}: the plugin wrote nothing in 75 s (no keepalive)",
        nd.who()
    );
    assert_eq!(
        nd.plugin_pids("tcp_resets.plugin"),
        vec![pid],
        "{}: netdata restarted or lost the plugin after a keepalive line",
        nd.who()
    );
    // 1.x says, for each alarm, that it is evaluated every 10 s on a chart
    // collected every 600 s (and evaluates it every 600 s instead).
    let slower: Vec<String> = match nd.agent.flavor {
        Flavor::V1 => ALARMS
            .iter()
            .map(|(c, a)| {
                format!("Health alarm '{c}.{a}' has update every 10, less than chart update every 600. Setting alarm update frequency to 600.")
            })
            .collect(),
        Flavor::V2 => Vec::new(),
    };
    check_health_log(&nd, &slower);
    let complaints = plugin_errors(&nd);
    assert!(complaints.is_empty(), "{}: {complaints:#?}", nd.who());
    eprintln!(
        "{}: {keepalives} write(s) in 75 s at a 600 s interval, same plugin pid {pid}",
        nd.who()
    );
}
