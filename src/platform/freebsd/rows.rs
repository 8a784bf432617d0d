//! FreeBSD's listeners as table rows: the decoded `net.inet.tcp.pcblist`
//! ([`super::pcblist`]) joined with the owners found in `kern.file`
//! ([`super::owners`]). Pure, so Linux tests run it; the reading is
//! `listeners.rs`'s, on FreeBSD only.

use std::collections::HashMap;

use super::pcblist::{half_open_counts, Pcblist};
use crate::listeners::table::Row;

/// One row per listener of `list`: queue `so_qlen`, limit `so_qlimit`,
/// no drop count (FreeBSD keeps none per socket), the syncache entries
/// that belong to it as half-open, and `id(xso_so)` as the row's key; with
/// `owners` (socket address to pid; `None` when the owners are not to be
/// shown), `so_uid` and its `user` name, and the owning process with its
/// `command` name. `user` and `command` are asked once per uid and pid.
pub fn rows(
    list: &Pcblist,
    owners: Option<&HashMap<u64, u32>>,
    mut user: impl FnMut(u32) -> Option<String>,
    mut command: impl FnMut(u32) -> Option<String>,
    id: impl Fn(u64) -> u64,
) -> Vec<Row> {
    let half_open = half_open_counts(&list.listeners, &list.half_open);
    let mut users: HashMap<u32, Option<String>> = HashMap::new();
    let mut commands: HashMap<u32, Option<String>> = HashMap::new();
    list.listeners
        .iter()
        .zip(half_open)
        .map(|(l, h)| {
            let pid = owners.and_then(|o| o.get(&l.so).copied());
            let uid = owners.is_some().then_some(l.uid);
            Row {
                addr: Some(l.addr),
                port: l.port,
                queue: l.qlen,
                limit: l.qlimit,
                drops: None,
                half_open: Some(h),
                fast_open: None,
                uid,
                user: uid.and_then(|u| users.entry(u).or_insert_with(|| user(u)).clone()),
                pid,
                process: pid.and_then(|p| commands.entry(p).or_insert_with(|| command(p)).clone()),
                key: id(l.so),
                inode: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::pcblist::{HalfOpen, Listener, Stack};
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn listener(addr: IpAddr, stack: Stack, port: u16, so: u64, uid: u32) -> Listener {
        Listener {
            addr,
            stack,
            port,
            qlen: 4,
            qlimit: 3,
            uid,
            so,
        }
    }

    #[test]
    fn rows_carry_queue_limit_half_open_owner_and_no_drops() {
        let list = Pcblist {
            listeners: vec![
                listener(IpAddr::V4(Ipv4Addr::LOCALHOST), Stack::V4, 8080, 0x10, 80),
                listener(IpAddr::V6(Ipv6Addr::UNSPECIFIED), Stack::Dual, 22, 0x20, 0),
                listener(IpAddr::V6(Ipv6Addr::UNSPECIFIED), Stack::V6, 443, 0x30, 80),
            ],
            half_open: vec![
                HalfOpen {
                    addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                    port: 8080,
                },
                HalfOpen {
                    addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                    port: 22,
                },
            ],
            complete: true,
            ..Pcblist::default()
        };
        let owners = HashMap::from([(0x10, 812), (0x20, 1)]);
        let mut asked = Vec::new();
        let rows = rows(
            &list,
            Some(&owners),
            |uid| {
                asked.push(uid);
                (uid == 80).then(|| "www".to_string())
            },
            |pid| Some(format!("cmd{pid}")),
            |so| so + 1,
        );
        // Each uid asked once.
        assert_eq!(asked, [80, 0]);
        assert_eq!(rows.len(), 3);
        let r = &rows[0];
        assert_eq!((r.port, r.queue, r.limit), (8080, 4, 3));
        assert_eq!((r.drops, r.half_open), (None, Some(1)));
        assert_eq!((r.uid, r.user.as_deref()), (Some(80), Some("www")));
        assert_eq!((r.pid, r.process.as_deref()), (Some(812), Some("cmd812")));
        assert_eq!(r.key, 0x11);
        assert_eq!(rows[1].listener(), "[::]:22");
        assert_eq!(rows[1].half_open, Some(1));
        assert_eq!(rows[1].user, None);
        // Not in kern.file (a process the plugin may not see).
        assert_eq!((rows[2].pid, rows[2].process.as_deref()), (None, None));
        assert_eq!(rows[2].half_open, Some(0));
    }
}
