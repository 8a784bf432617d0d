//! The Linux source: `/proc/net/snmp` (`Tcp:`), `/proc/net/netstat`
//! (`TcpExt:`) and `/proc/sys/net/ipv4/tcp_syncookies`, each opened once and
//! re-read with one `pread` at offset 0 per sample into a buffer sized at
//! start-up. All interpretation of the bytes is in [`crate::proc_table`].

use std::ffi::{CStr, CString};
use std::os::fd::RawFd;

use crate::charts::ChartKind;
use crate::counters::{Counter, CounterSet, Source, Values};
use crate::error::Error;
use crate::log::{Health, Log, Watch};
use crate::proc_table::{self, Outcome, Status, Table};
use crate::sys::{self, Errno, FileId};

/// `/proc/net/snmp`, relative to the host prefix.
pub const SNMP: &str = "/proc/net/snmp";
/// `/proc/net/netstat`, relative to the host prefix.
pub const NETSTAT: &str = "/proc/net/netstat";
/// `/proc/sys/net/ipv4/tcp_syncookies`, relative to the host prefix.
pub const SYNCOOKIES: &str = "/proc/sys/net/ipv4/tcp_syncookies";

/// The `Tcp:` counters of `/proc/net/snmp` the charts use.
pub const TCP_COLUMNS: &[(&str, Counter)] = &[
    ("AttemptFails", Counter::AttemptFails),
    ("EstabResets", Counter::EstabResets),
    ("OutRsts", Counter::OutRsts),
];

/// The `TcpExt:` counters of `/proc/net/netstat` the charts use.
pub const TCPEXT_COLUMNS: &[(&str, Counter)] = &[
    ("ListenOverflows", Counter::ListenOverflows),
    ("TCPReqQFullDrop", Counter::TCPReqQFullDrop),
    ("TCPAbortOnData", Counter::TCPAbortOnData),
    ("TCPAbortOnClose", Counter::TCPAbortOnClose),
    ("TCPAbortOnMemory", Counter::TCPAbortOnMemory),
    ("TCPAbortOnTimeout", Counter::TCPAbortOnTimeout),
    ("TCPAbortOnLinger", Counter::TCPAbortOnLinger),
    ("EmbryonicRsts", Counter::EmbryonicRsts),
    ("SyncookiesSent", Counter::SyncookiesSent),
    ("SyncookiesRecv", Counter::SyncookiesRecv),
    ("SyncookiesFailed", Counter::SyncookiesFailed),
    ("TCPChallengeACK", Counter::TCPChallengeACK),
    ("TCPSYNChallenge", Counter::TCPSYNChallenge),
];

/// The read buffer a file starts with; grown (at start-up only) until it
/// holds the file twice over, which leaves room for counters that grow
/// longer. Small buffers keep the resident memory small: /proc/net/netstat
/// is about 5 KiB on Linux 6.x, /proc/net/snmp 2 KiB.
const INITIAL_BUFFER: usize = 4 * 1024;
const MAX_BUFFER: usize = 4 * 1024 * 1024;

/// Builds `$prefix/relative` once, for the life of the process.
fn leak_path(prefix: &str, relative: &str) -> Result<(&'static str, &'static CStr), Error> {
    let full = format!("{}{}", prefix.trim_end_matches('/'), relative);
    let c = CString::new(full.clone()).map_err(|_| Error::Source {
        path: "NETDATA_HOST_PREFIX",
        reason: "contains a NUL byte",
        errno: None,
    })?;
    Ok((
        Box::leak(full.into_boxed_str()),
        Box::leak(c.into_boxed_c_str()),
    ))
}

/// A file re-read whole with one `pread` per sample.
///
/// Files on procfs can be neither deleted nor replaced, so their descriptor
/// is kept for ever. Anywhere else (a fixture tree behind
/// `NETDATA_HOST_PREFIX`) the path is checked with `stat` before each read,
/// and the file reopened when it was replaced, so a vanished file reads as
/// missing instead of as its old contents.
#[derive(Debug)]
pub struct ProcFile {
    pub path: &'static str,
    cpath: &'static CStr,
    fd: Option<RawFd>,
    id: FileId,
    on_procfs: bool,
    buf: Box<[u8]>,
    watch: Watch,
    truncated_logged: bool,
}

impl ProcFile {
    /// Opens `$prefix/relative` and sizes the buffer to hold it.
    pub fn open(prefix: &str, relative: &str) -> Result<ProcFile, Error> {
        let (path, cpath) = leak_path(prefix, relative)?;
        let fd = sys::open_read(cpath).map_err(|e| Error::Source {
            path,
            reason: "cannot open",
            errno: Some(e),
        })?;
        let id = sys::fstat_id(fd).unwrap_or(FileId { dev: 0, ino: 0 });
        let mut f = ProcFile {
            path,
            cpath,
            fd: Some(fd),
            id,
            on_procfs: sys::is_procfs(fd),
            buf: vec![0; INITIAL_BUFFER].into_boxed_slice(),
            watch: Watch::new(path),
            truncated_logged: false,
        };
        loop {
            let n = sys::pread0(fd, &mut f.buf).map_err(|e| Error::Source {
                path,
                reason: "cannot read",
                errno: Some(e),
            })?;
            if n.saturating_mul(2) <= f.buf.len() || f.buf.len() >= MAX_BUFFER {
                break;
            }
            f.buf = vec![0; f.buf.len() * 2].into_boxed_slice();
        }
        Ok(f)
    }

    fn close(&mut self) {
        if let Some(fd) = self.fd.take() {
            sys::close(fd);
        }
    }

    /// Reads the whole file. When the file fills the buffer, the last,
    /// possibly cut, line is dropped (the caller sees its values as absent,
    /// never as a shortened number).
    pub fn read(&mut self, log: &mut Log) -> Result<&[u8], Errno> {
        if !self.on_procfs || self.fd.is_none() {
            match sys::stat_id(self.cpath) {
                Err(e) => {
                    self.close();
                    return Err(e);
                }
                Ok(id) if self.fd.is_none() || id != self.id => {
                    self.close();
                    let fd = sys::open_read(self.cpath)?;
                    self.id = sys::fstat_id(fd).unwrap_or(id);
                    self.fd = Some(fd);
                }
                Ok(_) => {}
            }
        }
        let fd = self.fd.ok_or(Errno::NOENT)?;
        let n = match sys::pread0(fd, &mut self.buf) {
            Ok(n) => n,
            Err(e) => {
                self.close();
                return Err(e);
            }
        };
        if n < self.buf.len() {
            return Ok(&self.buf[..n]);
        }
        if !self.truncated_logged {
            self.truncated_logged = true;
            log.warning(&[
                self.path,
                ": larger than the buffer sized at start-up; its last line is ignored",
            ]);
        }
        let end = self
            .buf
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        Ok(&self.buf[..end])
    }
}

impl Drop for ProcFile {
    fn drop(&mut self) {
        self.close();
    }
}

/// Reads one table from one file into `values`, logging once per change.
fn read_table(
    file: &mut ProcFile,
    table: &mut Table,
    reported_bad: &mut CounterSet,
    values: &mut Values,
    log: &mut Log,
) {
    let outcome = match file.read(log) {
        Ok(text) => table.read(text, values),
        Err(e) => {
            for c in Counter::ALL {
                if table.wanted().contains(c) {
                    values.set(c, None);
                }
            }
            file.watch
                .report(log, Health::Unreadable, &["cannot read: ", e.describe()]);
            return;
        }
    };
    let Outcome { status, bad, .. } = outcome;
    match status {
        Status::Ok => file.watch.report(log, Health::Good, &[]),
        Status::NoSection => file
            .watch
            .report(log, Health::Broken, &["its section is missing"]),
        Status::NoValues => file.watch.report(
            log,
            Health::Broken,
            &["a header line is not followed by its values line"],
        ),
        Status::CountMismatch => file.watch.report(
            log,
            Health::Broken,
            &["the values line has a different number of columns than the header"],
        ),
    }
    for c in Counter::ALL {
        if bad.contains(c) && !reported_bad.contains(c) {
            reported_bad.insert(c);
            log.error(&[
                file.path,
                ": the value of ",
                c.name(),
                " is not a counter; left empty until it is",
            ]);
        }
    }
    reported_bad.0 &= bad.0;
}

/// The Linux source.
#[derive(Debug)]
pub struct Linux {
    snmp: ProcFile,
    netstat: Option<ProcFile>,
    syncookies: Option<ProcFile>,
    tcp: Table,
    tcpext: Table,
    present: CounterSet,
    bad_snmp: CounterSet,
    bad_netstat: CounterSet,
    syncookies_bad: bool,
}

impl Linux {
    /// Opens the files under `prefix` (`NETDATA_HOST_PREFIX`, may be
    /// empty). Fails, for the plugin to disable itself, when
    /// `/proc/net/snmp` is missing or has none of the `Tcp:` counters of
    /// the resets chart. A missing `/proc/net/netstat` or setting file only
    /// leaves their charts or variable undefined.
    pub fn open(prefix: &str, log: &mut Log) -> Result<Linux, Error> {
        let mut snmp = ProcFile::open(prefix, SNMP)?;
        let mut tcp = Table::new(b"Tcp:", TCP_COLUMNS);
        let mut values = Values::default();
        let path = snmp.path;
        let text = snmp.read(log).map_err(|e| Error::Source {
            path,
            reason: "cannot read",
            errno: Some(e),
        })?;
        if tcp.read(text, &mut values).status == Status::NoSection {
            return Err(Error::Source {
                path: snmp.path,
                reason: "has no Tcp: rows",
                errno: None,
            });
        }
        if tcp.present().is_empty() {
            return Err(Error::Source {
                path: snmp.path,
                reason: "has none of the Tcp: counters AttemptFails, EstabResets, OutRsts",
                errno: None,
            });
        }
        let mut present = tcp.present();

        let mut tcpext = Table::new(b"TcpExt:", TCPEXT_COLUMNS);
        let netstat = match ProcFile::open(prefix, NETSTAT) {
            Ok(mut f) => {
                if let Ok(text) = f.read(log) {
                    tcpext.read(text, &mut values);
                }
                if tcpext.present().is_empty() {
                    log.warning(&[
                        f.path,
                        ": no TcpExt: counter of the causes, SYN-cookie or spoofing charts; those charts are not defined",
                    ]);
                    None
                } else {
                    present.0 |= tcpext.present().0;
                    Some(f)
                }
            }
            Err(e) => {
                log.warning(&[
                    &e.without_consequence(),
                    "; the causes, SYN-cookie and spoofing charts are not defined",
                ]);
                None
            }
        };

        let syncookies = match ProcFile::open(prefix, SYNCOOKIES) {
            Ok(f) => Some(f),
            Err(e) => {
                log.warning(&[
                    &e.without_consequence(),
                    "; the tcp_syncookies variable is not sent",
                ]);
                None
            }
        };

        Ok(Linux {
            snmp,
            netstat,
            syncookies,
            tcp,
            tcpext,
            present,
            bad_snmp: CounterSet::default(),
            bad_netstat: CounterSet::default(),
            syncookies_bad: false,
        })
    }
}

impl Error {
    /// The message of a start-up error that does not stop the plugin (what
    /// follows from it is said by the caller).
    fn without_consequence(self) -> String {
        match self {
            Error::Source {
                path,
                reason,
                errno,
            } => match errno {
                Some(e) => format!("{path}: {reason}: {}", e.describe()),
                None => format!("{path}: {reason}"),
            },
            other => other.to_string(),
        }
    }
}

/// Parses the SYN-cookie setting file's contents (`"1\n"`).
pub fn parse_syncookies(text: &[u8]) -> Option<i64> {
    let mut words = proc_table::words(text).flat_map(|w| w.split(|&b| b == b'\n'));
    let first = words.find(|w| !w.is_empty())?;
    if words.any(|w| !w.is_empty()) {
        return None;
    }
    proc_table::parse_i64(first)
}

impl Source for Linux {
    fn sample(&mut self, values: &mut Values, log: &mut Log) {
        read_table(
            &mut self.snmp,
            &mut self.tcp,
            &mut self.bad_snmp,
            values,
            log,
        );
        if let Some(f) = self.netstat.as_mut() {
            read_table(f, &mut self.tcpext, &mut self.bad_netstat, values, log);
        }
    }

    fn syncookies(&mut self, log: &mut Log) -> Option<i64> {
        let f = self.syncookies.as_mut()?;
        match f.read(log) {
            Ok(text) => match parse_syncookies(text) {
                Some(v) => {
                    self.syncookies_bad = false;
                    f.watch.report(log, Health::Good, &[]);
                    Some(v)
                }
                None => {
                    if !self.syncookies_bad {
                        self.syncookies_bad = true;
                        f.watch
                            .report(log, Health::Broken, &["the setting is not a number"]);
                    }
                    None
                }
            },
            Err(e) => {
                f.watch
                    .report(log, Health::Unreadable, &["cannot read: ", e.describe()]);
                None
            }
        }
    }

    fn has_syncookies(&self) -> bool {
        self.syncookies.is_some()
    }

    fn present(&self) -> CounterSet {
        self.present
    }

    fn module(&self, chart: ChartKind) -> &'static str {
        match chart {
            ChartKind::Resets => "proc_net_snmp",
            _ => "proc_net_netstat",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncookies_setting_file() {
        assert_eq!(parse_syncookies(b"1\n"), Some(1));
        assert_eq!(parse_syncookies(b"0"), Some(0));
        assert_eq!(parse_syncookies(b" 2 \n"), Some(2));
        assert_eq!(parse_syncookies(b""), None);
        assert_eq!(parse_syncookies(b"1 2\n"), None);
        assert_eq!(parse_syncookies(b"on\n"), None);
    }

    #[test]
    fn buffer_holds_the_file_twice_and_a_grown_file_loses_only_its_cut_line() {
        let dir = std::env::temp_dir().join(format!("tcp_resets-grow-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("proc/net")).unwrap();
        let path = dir.join("proc/net/snmp");
        let line = "Tcp: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\n";
        std::fs::write(&path, line.repeat(100)).unwrap(); // 5.8 KiB
        let mut f = ProcFile::open(dir.to_str().unwrap(), "/proc/net/snmp").unwrap();
        assert!(f.buf.len() >= 2 * line.len() * 100, "{}", f.buf.len());
        let mut log = Log::from_env(|_| None);
        assert_eq!(f.read(&mut log).unwrap().len(), line.len() * 100);
        // Grown past the buffer after start-up: whole lines only, no panic.
        std::fs::write(&path, line.repeat(1000)).unwrap();
        let cap = f.buf.len();
        let got = f.read(&mut log).unwrap();
        assert!(got.len() <= cap && got.ends_with(b"\n"));
        assert_eq!(got.len() % line.len(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tables_fit_their_arrays() {
        let _ = Table::new(b"Tcp:", TCP_COLUMNS);
        let _ = Table::new(b"TcpExt:", TCPEXT_COLUMNS);
    }
}
