//! Where messages go: stderr, journald's socket or `/dev/log`, chosen once
//! at start-up from netdata's environment as libnetdata's
//! `nd_log_initialize_for_external_plugins()` chooses.

use std::os::unix::net::UnixDatagram;
use std::path::Path;

/// Where messages go.
#[derive(Debug)]
pub(super) enum Sink {
    Stderr,
    /// Connected to journald's socket; a message that cannot be sent goes
    /// to stderr instead.
    Journal(UnixDatagram),
    /// Connected to `/dev/log`, with the facility's number.
    Syslog(UnixDatagram, u8),
    #[cfg(test)]
    Memory(Vec<u8>),
}

/// The journal socket paths netdata's plugins try after
/// `NETDATA_SYSTEMD_JOURNAL_PATH` (`nd_log_journal_direct_fd_find_and_open()`):
/// both under a non-empty `NETDATA_HOST_PREFIX` first, then both as they
/// are.
pub(super) const JOURNAL_SOCKETS: [&str; 2] = [
    "/run/systemd/journal.netdata/socket",
    "/run/systemd/journal/socket",
];

/// The syslog socket.
const DEV_LOG: &str = "/dev/log";

/// A syslog facility's number (`NETDATA_SYSLOG_FACILITY`); `daemon` for
/// anything unknown, as netdata does.
pub(super) fn facility(name: Option<&str>) -> u8 {
    match name.map(str::trim).unwrap_or("daemon") {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "auth" | "security" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => 3,
    }
}

/// A datagram socket connected to `path`, when `path` is a socket that
/// accepts the connection.
pub(super) fn connect(path: &Path) -> Option<UnixDatagram> {
    let s = UnixDatagram::unbound().ok()?;
    s.connect(path).ok()?;
    Some(s)
}

/// Whether `JOURNAL_STREAM` (`device:inode`, set by systemd) names the file
/// stderr is.
fn stderr_is_journal(stream: Option<&str>) -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some((dev, ino)) = stream.and_then(|s| s.trim().split_once(':')) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(m) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    dev.parse() == Ok(m.dev()) && ino.parse() == Ok(m.ino())
}

impl Sink {
    /// The sink netdata's variables ask for (looked up with `get`): the
    /// journal (`NETDATA_LOG_METHOD=journal`, or no method and
    /// `JOURNAL_STREAM` naming stderr) at the first socket that accepts a
    /// connection, syslog (`syslog`, when `/dev/log` accepts one), else
    /// stderr. Called once, at start-up: it may allocate.
    pub(super) fn from_env(get: impl Fn(&str) -> Option<String>) -> Sink {
        let method = get("NETDATA_LOG_METHOD");
        let method = method.as_deref().map(str::trim);
        let journal = match method {
            Some("journal") => true,
            Some(_) => false,
            None => stderr_is_journal(get("JOURNAL_STREAM").as_deref()),
        };
        if journal {
            let prefix = get("NETDATA_HOST_PREFIX").unwrap_or_default();
            let prefix = prefix.trim_end_matches('/');
            let explicit = get("NETDATA_SYSTEMD_JOURNAL_PATH");
            // At start-up only: building these paths may allocate.
            let mut candidates: Vec<String> = explicit.into_iter().collect();
            if !prefix.is_empty() {
                candidates.extend(JOURNAL_SOCKETS.iter().map(|p| format!("{prefix}{p}")));
            }
            candidates.extend(JOURNAL_SOCKETS.iter().map(|p| p.to_string()));
            candidates
                .iter()
                .find_map(|p| connect(Path::new(p)))
                .map_or(Sink::Stderr, Sink::Journal)
        } else if method == Some("syslog") {
            connect(Path::new(DEV_LOG)).map_or(Sink::Stderr, |s| {
                Sink::Syslog(s, facility(get("NETDATA_SYSLOG_FACILITY").as_deref()))
            })
        } else {
            Sink::Stderr
        }
    }
}
