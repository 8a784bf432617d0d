//! The FreeBSD source: `sysctl net.inet.tcp.stats` (`struct tcpstat`) and
//! the SYN-cookie settings `net.inet.tcp.syncookies` and
//! `net.inet.tcp.syncookies_only`.
//!
//! Names are resolved to MIBs once at start-up (the `sysctl` crate); each
//! sample is one `sysctl` call into a buffer sized at start-up. All byte
//! decoding is in [`crate::tcpstat`], which is tested on Linux.
//! `NETDATA_HOST_PREFIX` does not apply: sysctl has no file to prefix.

use sysctl::Sysctl;

use crate::charts::ChartKind;
use crate::counters::{Counter, CounterSet, Source, Values};
use crate::error::Error;
use crate::log::{Health, Log, Watch};
use crate::sys;
use crate::tcpstat;

/// The statistics sysctl.
pub const STATS: &str = "net.inet.tcp.stats";
/// SYN cookies when the syncache overflows (1) or never (0).
pub const SYNCOOKIES: &str = "net.inet.tcp.syncookies";
/// SYN cookies always, no syncache (1).
pub const SYNCOOKIES_ONLY: &str = "net.inet.tcp.syncookies_only";
/// The kernel's `__FreeBSD_version`, which decides the `struct tcpstat`
/// layout.
pub const OSRELDATE: &str = "kern.osreldate";

fn mib(name: &'static str) -> Result<Vec<libc::c_int>, Error> {
    let ctl = sysctl::Ctl::new(name).map_err(|_| Error::Source {
        path: name,
        reason: "no such sysctl",
        errno: None,
    })?;
    ctl.oid().cloned().ok_or(Error::Source {
        path: name,
        reason: "cannot be resolved to a MIB",
        errno: None,
    })
}

/// Reads an `int` sysctl: `Err` with the errno when the call fails, `Ok(None)`
/// when the value is not 4 bytes long.
fn read_int(mib: &[libc::c_int]) -> Result<Option<i64>, sys::Errno> {
    let mut b = [0u8; 4];
    match sys::sysctl_read(mib, &mut b)? {
        4 => Ok(Some(i64::from(i32::from_ne_bytes(b)))),
        _ => Ok(None),
    }
}

/// The FreeBSD source.
#[derive(Debug)]
pub struct FreeBsd {
    stats: Vec<libc::c_int>,
    syncookies: Option<Vec<libc::c_int>>,
    syncookies_only: Option<Vec<libc::c_int>>,
    buf: Box<[u8]>,
    layout: tcpstat::Layout,
    present: CounterSet,
    stats_watch: Watch,
    cookies_watch: Watch,
}

impl FreeBsd {
    /// Resolves the sysctls and sizes the buffer. Fails, for the plugin to
    /// disable itself, when the statistics cannot be read or lack the
    /// resets chart's counters.
    pub fn open(log: &mut Log) -> Result<FreeBsd, Error> {
        let osreldate = mib(OSRELDATE)
            .ok()
            .and_then(|m| read_int(&m).ok().flatten());
        if osreldate.is_none() {
            log.warning(&[
                OSRELDATE,
                ": cannot be read; assuming the FreeBSD 14 layout of net.inet.tcp.stats",
            ]);
        }
        let layout = tcpstat::Layout::for_osreldate(osreldate);
        let stats = mib(STATS)?;
        let size = sys::sysctl_size(&stats).map_err(|e| Error::Source {
            path: STATS,
            reason: "cannot be read",
            errno: Some(e),
        })?;
        // Room for a struct that grows (a newer kernel after an upgrade
        // without restart is impossible, but a jail may differ).
        let mut buf = vec![0u8; size.max(layout.min_len()) + 512].into_boxed_slice();
        let n = sys::sysctl_read(&stats, &mut buf).map_err(|e| Error::Source {
            path: STATS,
            reason: "cannot be read",
            errno: Some(e),
        })?;
        let present = tcpstat::present(n, layout);
        if !present.contains(Counter::AttemptFails) && !present.contains(Counter::EstabResets) {
            return Err(Error::Source {
                path: STATS,
                reason: "is too short to hold tcps_drops and tcps_conndrops",
                errno: None,
            });
        }
        let syncookies = mib(SYNCOOKIES).ok();
        let syncookies_only = mib(SYNCOOKIES_ONLY).ok();
        if syncookies.is_none() {
            log.warning(&[
                SYNCOOKIES,
                ": not found; the tcp_syncookies variable is not sent",
            ]);
        }
        Ok(FreeBsd {
            stats,
            syncookies,
            syncookies_only,
            buf,
            layout,
            present,
            stats_watch: Watch::new(STATS),
            cookies_watch: Watch::new(SYNCOOKIES),
        })
    }
}

impl Source for FreeBsd {
    fn sample(&mut self, values: &mut Values, log: &mut Log) {
        match sys::sysctl_read(&self.stats, &mut self.buf) {
            Ok(n) => {
                tcpstat::decode(&self.buf[..n], self.layout, values);
                self.stats_watch.report(log, Health::Good, &[]);
            }
            Err(e) => {
                self.stats_watch.report(
                    log,
                    Health::Unreadable,
                    &["cannot be read: ", e.describe()],
                );
            }
        }
    }

    fn syncookies(&mut self, log: &mut Log) -> Option<i64> {
        let on = match read_int(self.syncookies.as_deref()?) {
            Ok(v) => {
                self.cookies_watch.report(log, Health::Good, &[]);
                v
            }
            Err(e) => {
                self.cookies_watch.report(
                    log,
                    Health::Unreadable,
                    &["cannot be read: ", e.describe()],
                );
                None
            }
        };
        // Older releases have no syncookies_only: it then counts as off.
        let only = self
            .syncookies_only
            .as_deref()
            .and_then(|m| read_int(m).ok().flatten());
        tcpstat::syncookie_mode(on, only)
    }

    fn has_syncookies(&self) -> bool {
        self.syncookies.is_some()
    }

    fn present(&self) -> CounterSet {
        self.present
    }

    fn module(&self, _chart: ChartKind) -> &'static str {
        STATS
    }
}
