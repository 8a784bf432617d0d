//! The FreeBSD source: `sysctl net.inet.tcp.stats` (`struct tcpstat`) and
//! the SYN-cookie settings `net.inet.tcp.syncookies` and
//! `net.inet.tcp.syncookies_only`.
//!
//! Names are resolved to MIBs once at start-up (the `sysctl` crate); each
//! sample is one `sysctl` call into a buffer sized at start-up. All byte
//! decoding is in [`super::tcpstat`], which is tested on Linux.
//! `NETDATA_HOST_PREFIX` does not apply: sysctl has no file to prefix.

use sysctl::Sysctl;

use super::{sys, tcpstat};
use crate::counters::{Counter, CounterSet, Values};
use crate::error::Error;
use crate::log::Log;
use crate::source::{Condition, Inventory, Lost, Missing, Source, Trouble, TroubleLog};

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
        what: name,
        reason: "no such sysctl",
        errno: None,
    })?;
    ctl.oid().cloned().ok_or(Error::Source {
        what: name,
        reason: "cannot be resolved to a MIB",
        errno: None,
    })
}

/// Reads an integer sysctl (an `int`, or a `bool` on FreeBSD 15): the value
/// and its width in bytes; `Err` with the errno when the call fails,
/// `Ok(None)` when the value has another length.
fn read_int(mib: &[libc::c_int]) -> Result<Option<(i64, usize)>, crate::sys::Errno> {
    let mut b = [0u8; 8];
    let n = sys::sysctl_read(mib, &mut b)?;
    Ok(tcpstat::setting(&b[..n]).map(|v| (v, n)))
}

/// The FreeBSD counters: `net.inet.tcp.stats` and the SYN-cookie settings.
#[derive(Debug)]
pub struct SysctlSource {
    stats: Vec<libc::c_int>,
    syncookies: Option<Vec<libc::c_int>>,
    syncookies_only: Option<Vec<libc::c_int>>,
    buf: Box<[u8]>,
    mapping: tcpstat::Mapping,
    stats_trouble: TroubleLog,
    cookies_trouble: TroubleLog,
}

/// The condition of a read that failed with `e`, or went well.
fn condition(r: Result<(), crate::sys::Errno>) -> Condition {
    Condition {
        trouble: r.err().map(Trouble::Unreadable),
        ..Condition::default()
    }
}

impl SysctlSource {
    /// Resolves the sysctls and sizes the buffer. Fails, for the plugin to
    /// disable itself, when the statistics cannot be read or lack the
    /// resets chart's counters.
    pub fn open(log: &mut Log) -> Result<(SysctlSource, Inventory), Error> {
        let osreldate = mib(OSRELDATE)
            .ok()
            .and_then(|m| read_int(&m).ok().flatten())
            .map(|(v, _)| v);
        if osreldate.is_none() {
            log.warning(&[
                OSRELDATE,
                ": cannot be read; assuming the FreeBSD 14 layout of net.inet.tcp.stats",
            ]);
        }
        let mapping = tcpstat::Mapping::new(tcpstat::Layout::for_osreldate(osreldate));
        let stats = mib(STATS)?;
        let size = sys::sysctl_size(&stats).map_err(|e| Error::Source {
            what: STATS,
            reason: "cannot be read",
            errno: Some(e),
        })?;
        // Room for a struct that grows (a newer kernel after an upgrade
        // without restart is impossible, but a jail may differ).
        let mut buf = vec![0u8; size.max(mapping.min_len()) + 512].into_boxed_slice();
        let n = sys::sysctl_read(&stats, &mut buf).map_err(|e| Error::Source {
            what: STATS,
            reason: "cannot be read",
            errno: Some(e),
        })?;
        let present = tcpstat::present(n, &mapping);
        if !present.contains(Counter::AttemptFails) && !present.contains(Counter::EstabResets) {
            return Err(Error::Source {
                what: STATS,
                reason: "is too short to hold tcps_drops and tcps_conndrops",
                errno: None,
            });
        }
        let syncookies = mib(SYNCOOKIES).ok();
        let syncookies_only = mib(SYNCOOKIES_ONLY).ok();
        let mut missing = Vec::new();
        if syncookies.is_none() {
            missing.push(Missing {
                cause: format!("{SYNCOOKIES}: not found"),
                lost: Lost::SyncookiesVariable,
            });
        }
        let inventory = Inventory {
            present,
            syncookies: syncookies.is_some(),
            missing,
        };
        let source = SysctlSource {
            stats,
            syncookies,
            syncookies_only,
            buf,
            mapping,
            stats_trouble: TroubleLog::new(STATS),
            cookies_trouble: TroubleLog::new(SYNCOOKIES),
        };
        Ok((source, inventory))
    }
}

impl Source for SysctlSource {
    fn sample(&mut self, values: &mut Values, log: &mut Log) {
        let read = sys::sysctl_read(&self.stats, &mut self.buf);
        if let Ok(n) = read {
            tcpstat::decode(&self.buf[..n], &self.mapping, values);
        }
        self.stats_trouble.note(log, condition(read.map(|_| ())));
    }

    fn syncookies(&mut self, log: &mut Log) -> Option<i64> {
        let read = read_int(self.syncookies.as_deref()?);
        self.cookies_trouble.note(log, condition(read.map(|_| ())));
        let cookies = read.ok().flatten();
        // Older releases have no syncookies_only: it then counts as off.
        let only = self
            .syncookies_only
            .as_deref()
            .and_then(|m| read_int(m).ok().flatten());
        // FreeBSD 15 made both settings booleans and changed what
        // syncookies_only means (see tcpstat::CookieRule).
        let width = only.or(cookies).map_or(4, |(_, n)| n);
        tcpstat::syncookie_mode(
            cookies.map(|(v, _)| v),
            only.map(|(v, _)| v),
            tcpstat::CookieRule::for_width(width),
        )
    }

    /// Every counter comes from `net.inet.tcp.stats`.
    fn module(&self, _counters: CounterSet) -> &'static str {
        STATS
    }
}
