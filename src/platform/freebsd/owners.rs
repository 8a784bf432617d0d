//! Decoding what tells FreeBSD's listening sockets' owning processes:
//! `sysctl kern.file` (one `struct xfile` per open descriptor of every
//! process the reader may see; a socket's `xf_data` is the `xso_so` of its
//! pcblist record) and `sysctl kern.proc.pid.<pid>` (`struct kinfo_proc`,
//! for the command name). The way `sockstat` finds them.
//!
//! Platform-independent, so Linux tests and the fuzzer feed it byte
//! images; never reads past the buffer. The layout constants are checked
//! against FreeBSD's headers as [`super::pcblist`]'s are ([`C_FACTS`]).

use std::collections::HashMap;

use crate::bytes::{c_fields, CFact};

/// `sizeof(struct xfile)`: a `kern.file` record (FreeBSD 12 and later).
pub const SIZEOF_XFILE: usize = 128;

c_fields! { XFILE_FIELDS = "struct xfile";
    /// `xf_size` (`ksize_t`): the record's length.
    XF_SIZE: u64 = "xf_size" @ 0;
    /// `xf_pid`: the process holding the descriptor.
    XF_PID: i32 = "xf_pid" @ 8;
    /// `xf_type`: `DTYPE_*`.
    XF_TYPE: i16 = "xf_type" @ 32;
    /// `xf_data` (`kvaddr_t`): the kernel address of what the descriptor
    /// refers to; of a socket, its `struct socket`.
    XF_DATA: u64 = "xf_data" @ 56;
}

/// `DTYPE_SOCKET`: the descriptor is a socket.
pub const DTYPE_SOCKET: i16 = 2;

/// `sizeof(struct kinfo_proc)`: `KINFO_PROC_SIZE` of amd64 and arm64, the
/// same since FreeBSD 7 (the kernel asserts it; fields only ever replace
/// spares).
pub const SIZEOF_KINFO_PROC: usize = 1088;

c_fields! { KINFO_PROC_FIELDS = "struct kinfo_proc";
    /// `ki_structsize`: the record's length.
    KI_STRUCTSIZE: i32 = "ki_structsize" @ 0;
    /// `ki_comm`: the command name, NUL-terminated (`COMMLEN` + 1 bytes).
    KI_COMM: [u8; 20] = "ki_comm" @ 447;
}

/// The sizes and values above, for the check against the C headers.
pub const SIZE_AND_VALUE_FACTS: &[CFact] = &[
    CFact::Size {
        strukt: "struct xfile",
        size: SIZEOF_XFILE,
    },
    CFact::Size {
        strukt: "struct kinfo_proc",
        size: SIZEOF_KINFO_PROC,
    },
    CFact::Value {
        name: "DTYPE_SOCKET",
        value: DTYPE_SOCKET as i64,
    },
];

/// Every fact of this module checked against FreeBSD's headers.
pub const C_FACTS: &[&[CFact]] = &[XFILE_FIELDS, KINFO_PROC_FIELDS, SIZE_AND_VALUE_FACTS];

/// The owning process of each socket in `kern_file` (the bytes of
/// `sysctl kern.file`): kernel address of the socket to the lowest pid
/// holding a descriptor of it (the parent of forked workers, as a rule).
/// Walks the records by their `xf_size` and stops at one too short for
/// the fields read or running past the buffer.
pub fn socket_owners(kern_file: &[u8]) -> HashMap<u64, u32> {
    let min = XF_DATA.end().max(XF_TYPE.end()).max(XF_PID.end());
    let mut owners: HashMap<u64, u32> = HashMap::new();
    let mut at = 0usize;
    while let Some(rest) = kern_file.get(at..) {
        let Some(len) = XF_SIZE.read(rest).and_then(|n| usize::try_from(n).ok()) else {
            break;
        };
        let Some(rec) = rest.get(..len).filter(|_| len >= min) else {
            break;
        };
        let fields = (XF_TYPE.read(rec), XF_PID.read(rec), XF_DATA.read(rec));
        if let (Some(DTYPE_SOCKET), Some(pid), Some(so)) = fields {
            if let (Ok(pid), true) = (u32::try_from(pid), so != 0) {
                owners
                    .entry(so)
                    .and_modify(|p| *p = (*p).min(pid))
                    .or_insert(pid);
            }
        }
        at += len;
    }
    owners
}

/// The command name in the bytes of `sysctl kern.proc.pid.<pid>`; `None`
/// when they are not one `struct kinfo_proc` of the known size.
pub fn command(kinfo_proc: &[u8]) -> Option<String> {
    let size = usize::try_from(KI_STRUCTSIZE.read(kinfo_proc)?).ok()?;
    if size != SIZEOF_KINFO_PROC || kinfo_proc.len() < size {
        return None;
    }
    let comm = KI_COMM.read(kinfo_proc)?;
    let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
    (end > 0).then(|| String::from_utf8_lossy(&comm[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xfile(pid: i32, kind: i16, data: u64) -> Vec<u8> {
        let mut b = vec![0u8; SIZEOF_XFILE];
        b[XF_SIZE.offset()..XF_SIZE.end()].copy_from_slice(&(SIZEOF_XFILE as u64).to_ne_bytes());
        b[XF_PID.offset()..XF_PID.end()].copy_from_slice(&pid.to_ne_bytes());
        b[XF_TYPE.offset()..XF_TYPE.end()].copy_from_slice(&kind.to_ne_bytes());
        b[XF_DATA.offset()..XF_DATA.end()].copy_from_slice(&data.to_ne_bytes());
        b
    }

    #[test]
    fn sockets_map_to_their_lowest_pid() {
        let mut buf = Vec::new();
        buf.extend(xfile(900, DTYPE_SOCKET, 0xaaa0));
        // A vnode (DTYPE_VNODE, 1) with the same address is not a socket.
        buf.extend(xfile(5, 1, 0xbbb0));
        // Forked workers share the listener: the parent's pid is lower.
        buf.extend(xfile(812, DTYPE_SOCKET, 0xaaa0));
        buf.extend(xfile(813, DTYPE_SOCKET, 0xaaa0));
        buf.extend(xfile(77, DTYPE_SOCKET, 0xccc0));
        let o = socket_owners(&buf);
        assert_eq!(o.len(), 2);
        assert_eq!(o[&0xaaa0], 812);
        assert_eq!(o[&0xccc0], 77);
    }

    #[test]
    fn records_are_walked_by_xf_size_and_bad_ones_end_the_walk() {
        let mut long = xfile(1, DTYPE_SOCKET, 0x10);
        long.extend([0u8; 8]);
        long[..8].copy_from_slice(&136u64.to_ne_bytes());
        let mut buf = long;
        buf.extend(xfile(2, DTYPE_SOCKET, 0x20));
        assert_eq!(socket_owners(&buf).len(), 2);
        // Too short for xf_data: the walk ends there.
        let mut short = xfile(3, DTYPE_SOCKET, 0x30);
        short[..8].copy_from_slice(&60u64.to_ne_bytes());
        let mut buf2 = xfile(4, DTYPE_SOCKET, 0x40);
        buf2.extend(short);
        buf2.extend(xfile(5, DTYPE_SOCKET, 0x50));
        assert_eq!(socket_owners(&buf2).keys().collect::<Vec<_>>(), [&0x40]);
        // Cut anywhere: only whole records count, no panic.
        let full = [xfile(6, DTYPE_SOCKET, 0x60), xfile(7, DTYPE_SOCKET, 0x70)].concat();
        for cut in 0..full.len() {
            assert_eq!(socket_owners(&full[..cut]).len(), cut / SIZEOF_XFILE);
        }
        for len in [0u64, u64::MAX, 1 << 40] {
            let mut b = xfile(8, DTYPE_SOCKET, 0x80);
            b[..8].copy_from_slice(&len.to_ne_bytes());
            assert!(socket_owners(&b).is_empty());
        }
    }

    #[test]
    fn negative_pids_and_null_sockets_are_ignored() {
        let buf = [xfile(-1, DTYPE_SOCKET, 0x10), xfile(3, DTYPE_SOCKET, 0)].concat();
        assert!(socket_owners(&buf).is_empty());
    }

    fn kinfo(size: i32, comm: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; SIZEOF_KINFO_PROC];
        b[..4].copy_from_slice(&size.to_ne_bytes());
        b[KI_COMM.offset()..KI_COMM.offset() + comm.len()].copy_from_slice(comm);
        b
    }

    #[test]
    fn command_names() {
        assert_eq!(command(&kinfo(1088, b"nginx")).as_deref(), Some("nginx"));
        // COMMLEN (19) bytes and the NUL.
        let long = b"abcdefghijklmnopqrs";
        assert_eq!(
            command(&kinfo(1088, long)).as_deref(),
            Some("abcdefghijklmnopqrs")
        );
        assert_eq!(command(&kinfo(1088, b"")), None);
        assert_eq!(command(&kinfo(1096, b"x")), None);
        assert_eq!(command(&kinfo(1088, b"x")[..1000]), None);
        assert_eq!(command(&[]), None);
        assert_eq!(
            command(&kinfo(1088, b"caf\xc3\xa9\xff")).as_deref(),
            Some("caf\u{e9}\u{fffd}")
        );
    }
}
