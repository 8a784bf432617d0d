//! Say *where*: every listening TCP socket with its accept queue, limit,
//! drops, half-open handshakes and owner, for the netdata Function
//! `tcp-listeners` and for `tcp_resets --listeners`.
//!
//! The kernel's answer is decoded ([`diag`]; FreeBSD's in
//! [`crate::freebsd::pcblist`] and [`crate::freebsd::owners`], joined by
//! [`pcb`]) and the table built ([`table`]) by pure code, tested
//! everywhere. Reading the sockets is Linux's `sock_diag`
//! (`NETLINK_SOCK_DIAG`, `inet_diag`), needing no privilege (the owning
//! processes of other users' sockets do), or FreeBSD's
//! `sysctl net.inet.tcp.pcblist` and `kern.file`, which show an
//! unprivileged reader every socket and process by default. FreeBSD keeps
//! no drop counter per listening socket: there the rows have no drops.

pub mod attach;
pub mod diag;
pub mod pcb;
pub mod table;

#[cfg(target_os = "freebsd")]
mod freebsd;
#[cfg(target_os = "linux")]
mod linux;

use std::collections::HashMap;

use table::{Table, MAX_ROWS};

/// The table of listeners, and the drop counts of the previous call (to
/// show the drops since then).
#[derive(Debug, Default)]
pub struct Listeners {
    previous: Option<HashMap<u64, u64>>,
}

impl Listeners {
    /// Reads the listening sockets now: the worst [`MAX_ROWS`] of them.
    /// `Err` says in one line why they cannot be read here. Reading gives
    /// up early once `stopped` says the plugin is stopping.
    pub fn table(&mut self, stopped: &dyn Fn() -> bool) -> Result<Table, String> {
        let (mut rows, unreadable) = read(stopped)?;
        let now: HashMap<u64, u64> = rows.iter().filter_map(|r| Some((r.id, r.drops?))).collect();
        if let Some(before) = &self.previous {
            for r in &mut rows {
                // A socket new since the previous call: all its drops are
                // new. The kernel's counter (sk_drops) is 32 bits and wraps.
                r.new_drops = r.drops.map(|d| {
                    let b = before.get(&r.id).copied().unwrap_or(0);
                    u64::from((d as u32).wrapping_sub(b as u32))
                });
            }
        }
        self.previous = Some(now);
        Ok(Table::worst_first(rows, MAX_ROWS, unreadable))
    }
}

#[cfg(target_os = "linux")]
fn read(stopped: &dyn Fn() -> bool) -> Result<(Vec<table::Row>, usize), String> {
    linux::rows(stopped).map_err(|e| e.to_string())
}

/// The FreeBSD reads are a few `sysctl` calls: nothing to give up early.
#[cfg(target_os = "freebsd")]
fn read(_stopped: &dyn Fn() -> bool) -> Result<(Vec<table::Row>, usize), String> {
    freebsd::rows().map_err(|e| e.to_string())
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
fn read(_stopped: &dyn Fn() -> bool) -> Result<(Vec<table::Row>, usize), String> {
    Err("listing the listeners needs Linux's sock_diag or FreeBSD's net.inet.tcp.pcblist".into())
}
