//! Linux's own libc calls: opening and `stat`ing a path given as a
//! prebuilt C string and `fstatfs` (the sampling loop's, allocating
//! nothing), and a netlink socket (the listeners table's, on demand).
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::sys::Errno;

/// Opens `path` read-only with close-on-exec. The path is a C string built
/// once at start-up, so (unlike `File::open`) no call allocates, whatever
/// its length.
pub(crate) fn open_read(path: &CStr) -> Result<OwnedFd, Errno> {
    loop {
        // SAFETY: `path` is a valid NUL-terminated string for the duration
        // of the call; open does not retain the pointer.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd >= 0 {
            // SAFETY: `fd` was just returned by open and nothing else owns it.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let e = Errno::last();
        if e != Errno::INTR {
            return Err(e);
        }
    }
}

/// The identity of a file: device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    pub dev: u64,
    pub ino: u64,
}

/// `stat` of a prebuilt C-string path, reduced to the file's identity.
pub(crate) fn stat_id(path: &CStr) -> Result<FileId, Errno> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `st` writable for the call.
    if unsafe { libc::stat(path.as_ptr(), &mut st) } != 0 {
        return Err(Errno::last());
    }
    Ok(FileId {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
    })
}

/// Whether `fd` lives on a procfs mount, whose files can be neither deleted
/// nor replaced, so that an open descriptor stays current for ever.
pub(crate) fn is_procfs(fd: BorrowedFd<'_>) -> bool {
    const PROC_SUPER_MAGIC: i64 = 0x9fa0;
    // SAFETY: an all-zero `statfs` is a valid value of this plain C struct.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `statfs` for the duration of the call.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), &mut st) } != 0 {
        return false;
    }
    st.f_type as i64 == PROC_SUPER_MAGIC
}

/// A netlink socket of `protocol` (`NETLINK_SOCK_DIAG`, ...), close-on-exec.
/// Unconnected, it sends to the kernel.
pub(crate) fn netlink_socket(protocol: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: socket takes no pointers.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: `fd` was just returned by socket and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
