//! `tcp_resets`: wires the command line, the kernel's counters, the loop
//! and the exit codes together. Everything else lives in the library.

use std::cell::RefCell;
use std::io::Write;
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::rc::Rc;

use tcp_resets::cli::{self, Command};
use tcp_resets::clock;
use tcp_resets::error::Error;
use tcp_resets::functions::{Context, Dispatcher, FUNCTIONS};
use tcp_resets::listeners::{table, text, Listeners};
use tcp_resets::log::Log;
use tcp_resets::platform::{Host, Kernel};
use tcp_resets::plugin::{self, Plugin};
use tcp_resets::resets::{self, Resets};
use tcp_resets::stdio::Stdio;

/// How the process ends.
enum Exit {
    /// A usage error: exit 1, nothing on stdout.
    Usage(String),
    /// An error from the plugin.
    Plugin(Error),
    /// The plugin cannot run on this host: `DISABLE` was printed.
    Disabled(Error),
    /// What was asked cannot be done here: one line, exit 1.
    Unavailable(String),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Writes a whole text to stdout (help, version, DISABLE).
fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| tcp_resets::sys::Errno::of(&e).into())
}

/// `--listeners`: the table once, for a person (or `--json`, netdata's
/// form); exit 1 with the reason where the listeners cannot be read.
fn listeners(json: bool) -> Result<(), Exit> {
    let listing = Host::listeners(&|| false, true)
        .map_err(|why| Exit::Unavailable(format!("cannot list the listeners: {why}")))?;
    let table = Listeners::default().table(
        listing.rows,
        listing.host,
        listing.unreadable_processes,
        Host::LISTENERS,
        true,
    );
    let text = if json {
        table::json(&table, 1, clock::now().wall_s() + 1) + "\n"
    } else {
        text::text(&table)
    };
    print(&text).map_err(Exit::Plugin)
}

/// `--resets`: the resets of the next `seconds`, who and why, for a
/// person (or `--json`, netdata's form); exit 1 with what to grant where
/// the tracepoints cannot be opened.
fn resets_by_hand(json: bool, seconds: u64) -> Result<(), Exit> {
    let tracer = Host::tracer()
        .map_err(|why| Exit::Unavailable(format!("cannot open the reset tracepoints: {why}")))?;
    let mut r = Resets::new(Box::new(tracer), clock::now().wall_s());
    r.watch(seconds);
    let now = clock::now().wall_s();
    let text = if json {
        resets::table::json(&r, true, now, seconds, now + seconds) + "\n"
    } else {
        resets::table::text(&r, now)
    };
    print(&text).map_err(Exit::Plugin)
}

/// The reset tracepoints for the loop and the Function `tcp-resets`, or
/// why not (said once in the log: the rest of the plugin runs without).
fn tracing(trace: bool, log: &mut Log) -> Option<Result<Rc<RefCell<Resets>>, String>> {
    if !trace {
        return None;
    }
    Some(match Host::tracer() {
        Ok(t) => Ok(Rc::new(RefCell::new(Resets::new(
            Box::new(t),
            clock::now().wall_s(),
        )))),
        Err(why) => {
            let why = why.to_string();
            log.info(&[
                "the tcp-resets Function and the tcp_resets.sent_reasons chart are off: ",
                &why,
            ]);
            Err(why)
        }
    })
}

fn run(log: &mut Log) -> Result<(), Exit> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let config = match cli::parse(&args, env).map_err(|e| Exit::Usage(e.to_string()))? {
        Command::Help => return print(cli::USAGE).map_err(Exit::Plugin),
        Command::Version => {
            return print(concat!("tcp_resets ", env!("CARGO_PKG_VERSION"), "\n"))
                .map_err(Exit::Plugin)
        }
        Command::Listeners { json } => return listeners(json),
        Command::Resets { json, seconds } => return resets_by_hand(json, seconds),
        Command::Run(c) => c,
    };
    let prefix = env("NETDATA_HOST_PREFIX").unwrap_or_default();
    let resets = tracing(config.trace, log);
    let shared = resets.clone().and_then(Result::ok);
    let mut plugin = Host::open(&prefix, log)
        .and_then(|(source, found)| Plugin::new(source, found, config.update_every, shared, log))
        .map_err(|e| {
            // Netdata does not restart a plugin that says DISABLE.
            let _ = print(plugin::DISABLE);
            Exit::Disabled(e)
        })?;
    let mut stdio =
        Stdio::new(std::io::stdin().as_fd(), std::io::stdout().as_fd()).map_err(Exit::Plugin)?;
    let mut functions = Dispatcher::new(FUNCTIONS, &Context { resets });
    plugin::run(
        &mut plugin,
        config.update_every,
        config.iterations,
        &mut stdio,
        &mut functions,
        log,
    )
    .map(|_stop| ())
    .map_err(Exit::Plugin)
}

fn main() -> ExitCode {
    let mut log = Log::from_env(env);
    match run(&mut log) {
        Ok(()) => ExitCode::SUCCESS,
        // Netdata went away: nothing to say to anybody.
        Err(Exit::Plugin(Error::BrokenPipe)) => ExitCode::SUCCESS,
        Err(Exit::Usage(msg)) => {
            log.usage_error(&msg);
            ExitCode::from(1)
        }
        Err(Exit::Unavailable(why)) => {
            log.error(&[&why]);
            ExitCode::from(1)
        }
        Err(Exit::Disabled(e)) => {
            log.error(&[&e.to_string(), "; the plugin disables itself"]);
            ExitCode::from(1)
        }
        Err(Exit::Plugin(e)) => {
            log.error(&[&e.to_string()]);
            ExitCode::from(1)
        }
    }
}
