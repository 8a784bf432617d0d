//! Reading FreeBSD's listening sockets: `sysctl net.inet.tcp.pcblist` (the
//! sockets and the syncache, decoded by [`super::pcblist`]), then
//! `kern.file` and `kern.proc.pid.<pid>` for the owning processes
//! ([`super::owners`]), joined by [`super::rows`]. Runs on demand only,
//! never in the sampling loop; it may allocate. Every `sysctl` goes through
//! [`super::sys`]; names are resolved to MIBs once.
//!
//! The kernel shows a reader only what it may see: the sockets and
//! processes of its jail, and with `security.bsd.see_other_uids=0` (or
//! `see_other_gids=0`) only its own user's.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use sysctl::Sysctl;

use super::pcblist::{self, DecodeError, Pcblist, SIZEOF_XTCPCB};
use super::{owners, rows, sys};
use crate::platform::Listing;
use crate::sys::Errno;

/// The TCP control blocks and the syncache.
pub const PCBLIST: &str = "net.inet.tcp.pcblist";
/// Every open descriptor of every visible process.
pub const KERN_FILE: &str = "kern.file";
/// One process's `struct kinfo_proc`, the pid appended to the MIB.
pub const KERN_PROC_PID: &str = "kern.proc.pid";
/// Reads of a list that keeps outgrowing the buffer before giving up.
const ATTEMPTS: usize = 5;

/// Why the listeners cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The sysctl does not exist here.
    NoSysctl(&'static str),
    /// Reading it failed.
    Read(&'static str, Errno),
    /// It kept growing faster than the buffer.
    Grew(&'static str),
    /// The answer is not a pcblist.
    Garbled(DecodeError),
    /// The answer ended before its trailing `struct xinpgen`.
    Cut,
    /// Records of a layout the decoder does not know.
    Layout { rejected: usize, xt_len: u64 },
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NoSysctl(name) => write!(f, "{name}: no such sysctl"),
            Unavailable::Read(name, e) => write!(f, "{name}: {}", e.describe().as_str()),
            Unavailable::Grew(name) => {
                write!(
                    f,
                    "{name} kept growing while it was read ({ATTEMPTS} tries)"
                )
            }
            Unavailable::Garbled(e) => write!(f, "{PCBLIST} not understood: {e}"),
            Unavailable::Cut => write!(f, "{PCBLIST} ended before its closing struct xinpgen"),
            Unavailable::Layout { rejected, xt_len } => write!(
                f,
                "{PCBLIST}: {rejected} records of a layout this plugin does not know \
                 (xt_len {xt_len}; FreeBSD 13 to 15 have {SIZEOF_XTCPCB})"
            ),
        }
    }
}

/// The MIBs, resolved on first use; `None` for a name this kernel lacks.
struct Mibs {
    pcblist: Option<Vec<libc::c_int>>,
    kern_file: Option<Vec<libc::c_int>>,
    kern_proc_pid: Option<Vec<libc::c_int>>,
}

fn resolve(name: &str) -> Option<Vec<libc::c_int>> {
    sysctl::Ctl::new(name).ok()?.oid().cloned()
}

fn mibs() -> &'static Mibs {
    static MIBS: OnceLock<Mibs> = OnceLock::new();
    MIBS.get_or_init(|| Mibs {
        pcblist: resolve(PCBLIST),
        kern_file: resolve(KERN_FILE),
        kern_proc_pid: resolve(KERN_PROC_PID),
    })
}

/// The whole value of a list sysctl: its size asked first, then read into
/// a buffer with room for what appears in between; again, larger, when it
/// grew past that (`ENOMEM`).
fn read_list(name: &'static str, mib: &[libc::c_int], room: usize) -> Result<Vec<u8>, Unavailable> {
    for _ in 0..ATTEMPTS {
        let size = sys::sysctl_size(mib).map_err(|e| Unavailable::Read(name, e))?;
        let mut buf = vec![0u8; size.saturating_add(size / 8).saturating_add(room)];
        match sys::sysctl_read(mib, &mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(Errno(libc::ENOMEM)) => continue,
            Err(e) => return Err(Unavailable::Read(name, e)),
        }
    }
    Err(Unavailable::Grew(name))
}

/// The listeners and the syncache, checked whole and of a known layout.
fn pcblist() -> Result<Pcblist, Unavailable> {
    let mib = mibs()
        .pcblist
        .as_deref()
        .ok_or(Unavailable::NoSysctl(PCBLIST))?;
    let buf = read_list(PCBLIST, mib, 16 * SIZEOF_XTCPCB)?;
    let list = pcblist::decode(&buf).map_err(Unavailable::Garbled)?;
    if list.rejected > 0 {
        return Err(Unavailable::Layout {
            rejected: list.rejected,
            xt_len: list.rejected_len.unwrap_or(0),
        });
    }
    if !list.complete {
        return Err(Unavailable::Cut);
    }
    Ok(list)
}

/// The owning process of each socket, by its kernel address; empty when
/// `kern.file` cannot be read (the rows then have no process).
fn socket_owners() -> HashMap<u64, u32> {
    mibs()
        .kern_file
        .as_deref()
        .and_then(|mib| read_list(KERN_FILE, mib, 64 * owners::SIZEOF_XFILE).ok())
        .map(|buf| owners::socket_owners(&buf))
        .unwrap_or_default()
}

/// The command name of process `pid`, if it may be seen.
fn command(pid: u32) -> Option<String> {
    let mut mib = mibs().kern_proc_pid.clone()?;
    mib.push(libc::c_int::try_from(pid).ok()?);
    let mut buf = vec![0u8; 2 * owners::SIZEOF_KINFO_PROC];
    let n = sys::sysctl_read(&mib, &mut buf).ok()?;
    owners::command(&buf[..n])
}

/// A row id for the socket at kernel address `so` that does not show the
/// address (the table is shown to whoever may call the function): a hash
/// keyed once per process, so stable between calls.
fn opaque(so: u64) -> u64 {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new).hash_one(so)
}

/// Every listening TCP socket (IPv4 and IPv6) the plugin may see as a row,
/// with its half-open handshakes and, when `owners_wanted`, its owner and
/// process; the processes that could not be looked at are not known on
/// FreeBSD (0). No host counters: without a drop counter per socket they
/// would bound nothing.
pub fn read(owners_wanted: bool) -> Result<Listing, Unavailable> {
    let list = pcblist()?;
    let owners = owners_wanted.then(socket_owners);
    Ok(Listing {
        rows: rows::rows(
            &list,
            owners.as_ref(),
            crate::sys::user_name,
            command,
            opaque,
        ),
        host: Default::default(),
        unreadable_processes: 0,
    })
}
