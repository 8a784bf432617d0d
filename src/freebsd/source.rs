//! The FreeBSD source: `sysctl net.inet.tcp.stats` (`struct tcpstat`) and
//! the SYN-cookie settings `net.inet.tcp.syncookies` and
//! `net.inet.tcp.syncookies_only`.
//!
//! Names are resolved to MIBs once at start-up (the `sysctl` crate); each
//! sample is one `sysctl` call into a buffer sized at start-up. All byte
//! decoding is in [`super::tcpstat`], which is tested on Linux.
//! `NETDATA_HOST_PREFIX` does not apply: sysctl has no file to prefix.

use sysctl::Sysctl;

use super::tcpstat;
use crate::charts::CHART_KINDS;
use crate::counters::{Counter, Values};
use crate::error::Error;
use crate::log::Log;
use crate::source::{Condition, Inventory, Source, Trouble, Watch};
use crate::sys;

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

/// Reads an integer sysctl (an `int`, or a `bool` on FreeBSD 15): the value
/// and its width in bytes; `Err` with the errno when the call fails,
/// `Ok(None)` when the value has another length.
fn read_int(mib: &[libc::c_int]) -> Result<Option<(i64, usize)>, sys::Errno> {
    let mut b = [0u8; 8];
    let n = sys::sysctl_read(mib, &mut b)?;
    Ok(tcpstat::setting(&b[..n]).map(|v| (v, n)))
}

/// The FreeBSD source.
#[derive(Debug)]
pub struct FreeBsd {
    stats: Vec<libc::c_int>,
    syncookies: Option<Vec<libc::c_int>>,
    syncookies_only: Option<Vec<libc::c_int>>,
    buf: Box<[u8]>,
    layout: tcpstat::Layout,
    stats_watch: Watch,
    cookies_watch: Watch,
}

/// The condition of a read that failed with `e`, or went well.
fn condition(r: Result<(), sys::Errno>) -> Condition {
    Condition {
        trouble: r.err().map(Trouble::Unreadable),
        ..Condition::default()
    }
}

impl FreeBsd {
    /// Resolves the sysctls and sizes the buffer. Fails, for the plugin to
    /// disable itself, when the statistics cannot be read or lack the
    /// resets chart's counters.
    pub fn open(log: &mut Log) -> Result<(FreeBsd, Inventory), Error> {
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
        let inventory = Inventory {
            present,
            syncookies: syncookies.is_some(),
            modules: [STATS; CHART_KINDS],
        };
        let source = FreeBsd {
            stats,
            syncookies,
            syncookies_only,
            buf,
            layout,
            stats_watch: Watch::new(STATS),
            cookies_watch: Watch::new(SYNCOOKIES),
        };
        Ok((source, inventory))
    }
}

impl Source for FreeBsd {
    fn sample(&mut self, values: &mut Values, log: &mut Log) {
        let read = sys::sysctl_read(&self.stats, &mut self.buf);
        if let Ok(n) = read {
            tcpstat::decode(&self.buf[..n], self.layout, values);
        }
        self.stats_watch.note(log, condition(read.map(|_| ())));
    }

    fn syncookies(&mut self, log: &mut Log) -> Option<i64> {
        let read = read_int(self.syncookies.as_deref()?);
        self.cookies_watch.note(log, condition(read.map(|_| ())));
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
}
