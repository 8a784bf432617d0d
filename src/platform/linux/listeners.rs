//! Reading Linux's listening sockets: a `sock_diag` dump per address
//! family over netlink (decoded by [`super::sock_diag`]), the owning processes
//! from `/proc/<pid>/fd` (the `procfs` crate) and the users' names. Runs on
//! demand only, never in the sampling loop; it may allocate.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Write};
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use super::proc_table;
use super::sock_diag::{self, Socket, AF_INET, AF_INET6, TCP_LISTEN, TCP_SYN_RECV};
use super::sys::netlink_socket;
use crate::listeners::attach::{self, Local, Stack};
use crate::listeners::evidence::{HostCounters, Netstat};
use crate::listeners::table::Row;
use crate::platform::Listing;
use crate::sys::{self, Errno, PollFd};

/// `NETLINK_SOCK_DIAG`.
const NETLINK_SOCK_DIAG: i32 = 4;
/// How long one family's dump may take before it is given up.
const DUMP_TIMEOUT_US: u64 = 5_000_000;

/// Why the listeners cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// The netlink socket could not be made or used.
    Netlink(Errno),
    /// The kernel answered the dump with an error.
    Kernel(Errno),
    /// The answer made no sense.
    Garbled(sock_diag::DecodeError),
    /// The kernel did not finish the dump in time.
    Timeout,
    /// The plugin is stopping.
    Stopped,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Netlink(e) => {
                write!(f, "sock_diag netlink socket: {}", e.describe().as_str())
            }
            Unavailable::Kernel(e) => write!(
                f,
                "the kernel refused the sock_diag dump: {}",
                e.describe().as_str()
            ),
            Unavailable::Garbled(e) => write!(f, "sock_diag answer not understood: {e}"),
            Unavailable::Timeout => f.write_str("a sock_diag dump took longer than 5 s"),
            Unavailable::Stopped => f.write_str("the plugin is stopping"),
        }
    }
}

/// Every TCP socket of `family` in LISTEN or SYN-RECV.
fn dump(
    nl: &File,
    family: u8,
    seq: u32,
    out: &mut Vec<Socket>,
    stopped: &dyn Fn() -> bool,
) -> Result<(), Unavailable> {
    (&*nl)
        .write_all(&sock_diag::request(family, seq))
        .map_err(|e| Unavailable::Netlink(Errno::of(&e)))?;
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = Instant::now() + Duration::from_micros(DUMP_TIMEOUT_US);
    loop {
        if stopped() {
            return Err(Unavailable::Stopped);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Unavailable::Timeout);
        }
        let ready = sys::poll(
            [Some(PollFd {
                fd: nl.as_fd(),
                input: true,
            })],
            left.as_micros() as u64,
        );
        // Nothing ready: a signal or the time ran out; both are looked at
        // above. An error on the socket shows in the read.
        if !ready[0].input && !ready[0].hangup {
            continue;
        }
        let n = match (&*nl).read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Unavailable::Netlink(Errno::of(&e))),
        };
        let batch = sock_diag::decode(&buf[..n]).map_err(Unavailable::Garbled)?;
        if let Some(e) = batch.error {
            // A family the kernel does not have (IPv6 disabled) has no
            // listeners.
            if e == libc::EAFNOSUPPORT || e == libc::ENOENT {
                return Ok(());
            }
            return Err(Unavailable::Kernel(Errno(e)));
        }
        out.extend(batch.sockets);
        if batch.done {
            return Ok(());
        }
    }
}

/// The owning process (pid, command name) of each socket inode in `wanted`
/// that this process may see, and how many processes could not be looked
/// at because their `/proc/<pid>/fd` or its links are not readable.
fn owners(
    wanted: &HashSet<u64>,
    stopped: &dyn Fn() -> bool,
) -> (HashMap<u64, (u32, String)>, usize) {
    let mut found = HashMap::new();
    let mut unreadable = 0;
    let Ok(all) = procfs::process::all_processes() else {
        return (found, 0);
    };
    for p in all.flatten() {
        if stopped() {
            break;
        }
        // One readlink per descriptor (the procfs crate's FDInfo also opens
        // and stats each): with 10,000 sockets in one process, four times
        // fewer system calls.
        let dir = match std::fs::read_dir(format!("/proc/{}/fd", p.pid)) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                unreadable += 1;
                continue;
            }
            Err(_) => continue,
        };
        let mut comm: Option<String> = None;
        let mut hidden = false;
        for entry in dir.flatten() {
            let link = match std::fs::read_link(entry.path()) {
                Ok(link) => link,
                // The directory opened, its links did not (a process
                // holding capabilities the plugin lacks).
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    hidden = true;
                    continue;
                }
                Err(_) => continue,
            };
            let Some(inode) = socket_inode(link.as_os_str().as_encoded_bytes()) else {
                continue;
            };
            if wanted.contains(&inode) && !found.contains_key(&inode) {
                let comm = comm
                    .get_or_insert_with(|| {
                        std::fs::read_to_string(format!("/proc/{}/comm", p.pid))
                            .map(|c| c.trim_end_matches('\n').to_string())
                            .unwrap_or_default()
                    })
                    .clone();
                found.insert(inode, (p.pid as u32, comm));
            }
        }
        unreadable += usize::from(hidden);
        if found.len() == wanted.len() {
            break;
        }
    }
    (found, unreadable)
}

/// The inode of a socket descriptor's link (`socket:[12345]`).
fn socket_inode(link: &[u8]) -> Option<u64> {
    let digits = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    proc_table::parse_u64(digits)
}

/// The host's counters that explain listeners' drops, and the SYN-cookie
/// setting, of the plugin's network namespace (the one sock_diag dumps).
fn netstat() -> Netstat {
    let text = std::fs::read("/proc/net/netstat").unwrap_or_default();
    let [listen_overflows, defer_accept_drops, embryonic_rsts] = proc_table::named(
        &text,
        b"TcpExt:",
        ["ListenOverflows", "TCPDeferAcceptDrop", "EmbryonicRsts"],
    );
    Netstat {
        listen_overflows,
        defer_accept_drops,
        embryonic_rsts,
    }
}

fn syncookies() -> Option<i64> {
    proc_table::parse_setting(&std::fs::read("/proc/sys/net/ipv4/tcp_syncookies").ok()?)
}

/// What `attach` needs of a listener: IPv6 ones take IPv4 too unless the
/// kernel says they have `IPV6_V6ONLY`.
fn local(l: &Socket) -> Local {
    let stack = match (l.addr, l.v6only) {
        (IpAddr::V4(_), _) => Stack::V4,
        (IpAddr::V6(_), Some(true)) => Stack::V6,
        (IpAddr::V6(_), _) => Stack::Dual,
    };
    Local {
        addr: l.addr,
        port: l.port,
        stack,
    }
}

/// Every listening TCP socket (IPv4 and IPv6) of this network namespace as
/// a row, with its pending handshakes and, when `owners`, its owner and
/// process; the host's counters read just before and just after; and how
/// many processes could not be looked at. Gives up early, with
/// [`Unavailable::Stopped`], once `stopped` says so.
pub fn read(stopped: &dyn Fn() -> bool, owners_wanted: bool) -> Result<Listing, Unavailable> {
    let nl = File::from(netlink_socket(NETLINK_SOCK_DIAG).map_err(Unavailable::Netlink)?);
    let mut sockets = Vec::new();
    let before = netstat();
    dump(&nl, AF_INET, 1, &mut sockets, stopped)?;
    dump(&nl, AF_INET6, 2, &mut sockets, stopped)?;
    let host = HostCounters {
        before,
        after: netstat(),
        syncookies: syncookies(),
    };
    let (listeners, others): (Vec<Socket>, Vec<Socket>) =
        sockets.into_iter().partition(|s| s.state == TCP_LISTEN);
    let locals: Vec<Local> = listeners.iter().map(local).collect();
    let syn_recv = |full: bool| {
        attach::half_open_counts(
            &locals,
            others
                .iter()
                .filter(|s| s.state == TCP_SYN_RECV && s.full == full)
                .map(|s| (s.addr, s.port)),
        )
    };
    let (requests, fast_open) = (syn_recv(false), syn_recv(true));
    let (owners, unreadable) = if owners_wanted {
        let wanted: HashSet<u64> = listeners.iter().map(|l| u64::from(l.inode)).collect();
        owners(&wanted, stopped)
    } else {
        (HashMap::new(), 0)
    };
    if stopped() {
        return Err(Unavailable::Stopped);
    }
    let mut names: HashMap<u32, Option<String>> = HashMap::new();
    let rows = listeners
        .iter()
        .zip(requests.into_iter().zip(fast_open))
        .map(|(l, (h, f))| {
            let owner = owners.get(&u64::from(l.inode));
            let user = if owners_wanted {
                names
                    .entry(l.uid)
                    .or_insert_with(|| sys::user_name(l.uid))
                    .clone()
            } else {
                None
            };
            Row {
                addr: Some(l.addr),
                port: l.port,
                queue: l.queue,
                limit: l.limit,
                drops: l.drops.map(u64::from),
                half_open: Some(h),
                fast_open: Some(f),
                uid: owners_wanted.then_some(l.uid),
                user,
                pid: owner.map(|o| o.0),
                process: owner.map(|o| o.1.clone()),
                key: l.cookie,
                inode: Some(u64::from(l.inode)),
            }
        })
        .collect();
    Ok(Listing {
        rows,
        host,
        unreadable_processes: unreadable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};

    #[test]
    fn an_ipv6_listener_is_dual_stack_unless_the_kernel_says_v6only() {
        let l = |addr: IpAddr, v6only| Socket {
            state: TCP_LISTEN,
            addr,
            port: 22,
            queue: 0,
            limit: 0,
            uid: 0,
            inode: 1,
            drops: None,
            v6only,
            cookie: 7,
            full: false,
        };
        let any6 = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
        assert_eq!(local(&l(any6, Some(true))).stack, Stack::V6);
        assert_eq!(local(&l(any6, Some(false))).stack, Stack::Dual);
        assert_eq!(local(&l(any6, None)).stack, Stack::Dual);
        assert_eq!(
            local(&l(IpAddr::V4(Ipv4Addr::UNSPECIFIED), None)).stack,
            Stack::V4
        );
    }

    #[test]
    fn socket_links_give_their_inode() {
        assert_eq!(socket_inode(b"socket:[12345]"), Some(12345));
        for other in [
            &b"pipe:[12]"[..],
            b"socket:[]",
            b"socket:[1",
            b"/dev/null",
            b"socket:[x]",
        ] {
            assert_eq!(socket_inode(other), None);
        }
    }

    #[test]
    fn a_listener_of_this_process_is_found_with_its_owner() {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        let listing = read(&|| false, true).expect("sock_diag works here");
        let r = listing
            .rows
            .iter()
            .find(|r| r.port == port && r.addr == Some(IpAddr::V4(Ipv4Addr::LOCALHOST)))
            .expect("our listener");
        assert_eq!(r.queue, 0);
        assert_eq!(r.pid, Some(std::process::id()));
        assert_eq!((r.half_open, r.fast_open), (Some(0), Some(0)));
        assert_ne!(r.key, 0, "the socket cookie");
        assert!(listing.host.before.listen_overflows.is_some());
        // Without the owners nothing about them is read.
        let listing = read(&|| false, false).unwrap();
        let r = listing.rows.iter().find(|r| r.port == port).unwrap();
        assert_eq!(
            (r.uid, &r.user, r.pid, &r.process),
            (None, &None, None, &None)
        );
        drop(l);
    }
}
