//! The command line: `tcp_resets [UPDATE_EVERY] [--iterations N]
//! [--no-trace]`, and `tcp_resets --listeners [--json]` and `tcp_resets
//! --resets [--json] [--seconds N]` for a person at a terminal.
//!
//! This is a contract: netdata passes the update interval as the only
//! argument, and tests outside the repository use the flags.

use std::fmt;

/// The longest accepted interval, one day.
pub const MAX_UPDATE_EVERY: u64 = 86_400;

/// What the plugin was asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Stream samples.
    Run(Config),
    /// Print the usage text and exit 0.
    Help,
    /// Print the version and exit 0.
    Version,
    /// Print the listening sockets once (`--json`: netdata's table JSON).
    Listeners { json: bool },
    /// Watch the resets for `seconds`, then print the table of who and why.
    Resets { json: bool, seconds: u64 },
}

/// How long `--resets` watches unless `--seconds` says.
pub const RESETS_SECONDS: u64 = 10;
/// The longest `--seconds`.
pub const MAX_SECONDS: u64 = 3600;

/// Settings for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Seconds between samples.
    pub update_every: u64,
    /// Stop after this many samples; `None` runs until stopped.
    pub iterations: Option<u64>,
    /// Open the reset tracepoints when the plugin may (`--no-trace`: never).
    pub trace: bool,
}

/// A command-line mistake: what was wrong, and the offending text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError {
    what: &'static str,
    value: String,
    accepted: &'static str,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} '{}': {} (see --help)",
            self.what, self.value, self.accepted
        )
    }
}

impl std::error::Error for UsageError {}

pub const USAGE: &str = "\
tcp_resets - netdata external plugin streaming the kernel's TCP reset counters

Usage: tcp_resets [UPDATE_EVERY] [--iterations N] [--no-trace]
       tcp_resets --listeners [--json]
       tcp_resets --resets [--json] [--seconds N]
       tcp_resets --help | --version

  UPDATE_EVERY     seconds between samples, 1 to 86400; without it
                   NETDATA_UPDATE_EVERY, else 1 (netdata passes it)
  --iterations N   print N samples, then exit 0 (default: run until stopped)
  --no-trace       do not open the reset tracepoints: no tcp-resets
                   Function, no tcp_resets.sent_reasons chart
  --listeners      print every listening TCP socket once, the worst first:
                   accept queue against its limit, SYN queue, drops (Linux
                   only: FreeBSD counts none per socket), owner (the netdata
                   Function tcp-listeners)
  --resets         watch the resets sent and received for N seconds, then
                   print who and why: peer, ports, the kernel's reason
                   (the netdata Function tcp-resets; Linux, needs
                   CAP_PERFMON and tracefs)
  --seconds N      with --resets: how long to watch, 1 to 3600 (default 10)
  --json           with --listeners or --resets: the Function's JSON table
  --help           print this text and exit
  --version        print the version and exit

Environment:
  NETDATA_HOST_PREFIX   prepended to every path read (/proc/net/snmp, ...)
  NETDATA_UPDATE_EVERY  the interval when no UPDATE_EVERY is given
  NETDATA_LOG_LEVEL     drop messages below this level (default info)
  NETDATA_LOG_FORMAT    logfmt or json (default: plain lines)
  NETDATA_LOG_METHOD    journal, syslog or stderr (default stderr)

Output goes to stdout in netdata's plugin protocol; messages go to stderr.
Installed as tcp_resets.plugin in netdata's plugins.d directory.
";

const UPDATE_ACCEPTED: &str = "expected whole seconds from 1 to 86400";

fn parse_interval(what: &'static str, s: &str) -> Result<u64, UsageError> {
    let bad = || UsageError {
        what,
        value: s.to_string(),
        accepted: UPDATE_ACCEPTED,
    };
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let v: u64 = if digits {
        s.parse().map_err(|_| bad())?
    } else {
        return Err(bad());
    };
    if (1..=MAX_UPDATE_EVERY).contains(&v) {
        Ok(v)
    } else {
        Err(bad())
    }
}

fn parse_iterations(s: &str) -> Result<u64, UsageError> {
    let bad = || UsageError {
        what: "invalid --iterations value",
        value: s.to_string(),
        accepted: "expected a whole number of samples of at least 1",
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u64>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(n) => Ok(n),
    }
}

/// Whether `s` looks like a number someone meant as the interval, even a
/// negative one (so `-5` is reported as a bad interval, not an unknown flag).
fn looks_numeric(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn parse_seconds(s: &str) -> Result<u64, UsageError> {
    let bad = || UsageError {
        what: "invalid --seconds value",
        value: s.to_string(),
        accepted: "expected whole seconds from 1 to 3600",
    };
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match s.parse::<u64>() {
        Ok(n) if (1..=MAX_SECONDS).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

/// The value of an option given as `--name V` or `--name=V`.
fn value<S: AsRef<str>>(
    arg: &str,
    name: &'static str,
    args: &mut impl Iterator<Item = S>,
) -> Result<Option<String>, UsageError> {
    if arg == name {
        return match args.next() {
            Some(v) => Ok(Some(v.as_ref().to_string())),
            None => Err(UsageError {
                what: "missing value for",
                value: name.into(),
                accepted: "expected the option followed by its value",
            }),
        };
    }
    Ok(arg
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('='))
        .map(str::to_string))
}

/// Parses the arguments (without the program name). `env` looks up an
/// environment variable.
pub fn parse<I, S>(args: I, env: impl Fn(&str) -> Option<String>) -> Result<Command, UsageError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut update_every = None;
    let mut iterations = None;
    let mut seconds = None;
    let (mut listeners, mut resets, mut json, mut no_trace) = (false, false, false, false);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg.as_ref();
        match arg {
            "--help" | "-h" => return Ok(Command::Help),
            "--version" | "-V" => return Ok(Command::Version),
            "--listeners" => listeners = true,
            "--resets" => resets = true,
            "--json" => json = true,
            "--no-trace" => no_trace = true,
            _ => {
                if let Some(v) = value(arg, "--iterations", &mut args)? {
                    iterations = Some(parse_iterations(&v)?);
                } else if let Some(v) = value(arg, "--seconds", &mut args)? {
                    seconds = Some(parse_seconds(&v)?);
                } else if arg.starts_with('-') && !looks_numeric(arg) {
                    return Err(UsageError {
                        what: "unknown option",
                        value: arg.into(),
                        accepted: "accepted: UPDATE_EVERY, --iterations N, --no-trace, \
                                   --listeners [--json], --resets [--json] [--seconds N], \
                                   --help, --version",
                    });
                } else if update_every.is_some() {
                    return Err(UsageError {
                        what: "unexpected extra argument",
                        value: arg.into(),
                        accepted: "only one UPDATE_EVERY is accepted",
                    });
                } else {
                    update_every = Some(parse_interval("invalid update interval", arg)?);
                }
            }
        }
    }
    let by_hand = if listeners { "--listeners" } else { "--resets" };
    if listeners && resets {
        return Err(UsageError {
            what: "two things asked at once",
            value: "--listeners --resets".into(),
            accepted: "ask for one of --listeners and --resets",
        });
    }
    if listeners || resets {
        let extra = update_every
            .map(|v: u64| v.to_string())
            .or(iterations.map(|_| "--iterations".to_string()))
            .or(no_trace.then(|| "--no-trace".to_string()))
            .or((listeners && seconds.is_some()).then(|| "--seconds".to_string()));
        if let Some(extra) = extra {
            return Err(UsageError {
                what: "unexpected argument with",
                value: format!("{by_hand} {extra}"),
                accepted: "--listeners takes --json; --resets takes --json and --seconds N",
            });
        }
        return Ok(if listeners {
            Command::Listeners { json }
        } else {
            Command::Resets {
                json,
                seconds: seconds.unwrap_or(RESETS_SECONDS),
            }
        });
    }
    for (given, option, goes_with) in [
        (json, "--json", "--json goes with --listeners or --resets"),
        (
            seconds.is_some(),
            "--seconds",
            "--seconds goes with --resets",
        ),
    ] {
        if given {
            return Err(UsageError {
                what: "option without --listeners or --resets",
                value: option.into(),
                accepted: goes_with,
            });
        }
    }
    let update_every = match update_every {
        Some(v) => v,
        None => match env("NETDATA_UPDATE_EVERY") {
            Some(v) if !v.trim().is_empty() => {
                parse_interval("invalid NETDATA_UPDATE_EVERY", v.trim())?
            }
            _ => 1,
        },
    };
    Ok(Command::Run(Config {
        update_every,
        iterations,
        trace: !no_trace,
    }))
}

#[cfg(test)]
mod tests;
