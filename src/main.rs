//! `tcp_resets`: wires the command line, the platform's source, the loop
//! and the exit codes together. Everything else lives in the library.
#![deny(unsafe_code)]

use std::process::ExitCode;

use tcp_resets::cli::{self, Command};
use tcp_resets::error::Error;
use tcp_resets::log::Log;
use tcp_resets::plugin::{self, Plugin};
use tcp_resets::stop::Waiter;
use tcp_resets::sys;
use tcp_resets::writer::Writer;

const STDIN: i32 = 0;
const STDOUT: i32 = 1;
const STDERR: i32 = 2;

/// How the process ends.
enum Exit {
    /// A usage error, already described: exit 1, nothing on stdout.
    Usage(String),
    /// An error from the plugin.
    Plugin(Error),
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn run() -> Result<(), Exit> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let config = match cli::parse(&args, env).map_err(|e| Exit::Usage(e.to_string()))? {
        Command::Help => {
            return sys::write_all(STDOUT, cli::USAGE.as_bytes())
                .map_err(|e| Exit::Plugin(e.into()));
        }
        Command::Version => {
            let v = concat!("tcp_resets ", env!("CARGO_PKG_VERSION"), "\n");
            return sys::write_all(STDOUT, v.as_bytes()).map_err(|e| Exit::Plugin(e.into()));
        }
        Command::Run(c) => c,
    };
    let mut log = Log::from_env(env);
    let prefix = env("NETDATA_HOST_PREFIX").unwrap_or_default();

    let mut plugin = open(&prefix, config.update_every, &mut log).map_err(|e| {
        // Netdata does not restart a plugin that says DISABLE.
        let mut w = Writer::with_capacity(16);
        w.disable();
        let _ = sys::write_all(STDOUT, w.as_bytes());
        Exit::Plugin(e)
    })?;
    let mut waiter = Waiter::new(STDIN, STDOUT).map_err(Exit::Plugin)?;
    plugin::run(
        &mut plugin,
        config.update_every,
        config.iterations,
        &mut waiter,
        STDOUT,
        &mut log,
    )
    .map(|_stop| ())
    .map_err(Exit::Plugin)
}

#[cfg(target_os = "linux")]
fn open(
    prefix: &str,
    update_every: u64,
    log: &mut Log,
) -> Result<Plugin<tcp_resets::linux::Linux>, Error> {
    Plugin::new(tcp_resets::linux::Linux::open(prefix, log)?, update_every)
}

#[cfg(target_os = "freebsd")]
fn open(
    _prefix: &str,
    update_every: u64,
    log: &mut Log,
) -> Result<Plugin<tcp_resets::freebsd::FreeBsd>, Error> {
    Plugin::new(tcp_resets::freebsd::FreeBsd::open(log)?, update_every)
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
compile_error!("tcp_resets reads Linux's /proc or FreeBSD's sysctl; no other kernel is supported");

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        // Netdata went away: nothing to say to anybody.
        Err(Exit::Plugin(Error::BrokenPipe)) => ExitCode::SUCCESS,
        Err(Exit::Usage(msg)) => {
            let line = format!("tcp_resets: {msg}\n");
            let _ = sys::write_all(STDERR, line.as_bytes());
            ExitCode::from(1)
        }
        Err(Exit::Plugin(e)) => {
            let mut log = Log::from_env(env);
            log.error(&[&e.to_string()]);
            ExitCode::from(1)
        }
    }
}
