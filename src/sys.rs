//! The only module that talks to libc directly.
//!
//! Each function is a thin wrapper for a call the standard library does not
//! offer (or offers only with an allocation): opening and `stat`ing a path
//! given as a prebuilt C string, `fstatfs`, `ppoll`, `sigaction`,
//! `strerror_r` and FreeBSD's `sysctl`, which the sampling loop uses and
//! which allocate nothing; and, for the listeners table only (on demand),
//! a netlink socket and `getpwuid_r`, which may allocate. Descriptors are
//! `OwnedFd`/`BorrowedFd`; reading, writing and `fstat` go through `std`.
#![allow(unsafe_code)]

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};
#[cfg(target_os = "linux")]
use std::os::fd::{FromRawFd, OwnedFd};

/// An `errno` value as returned by a failed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The errno of an I/O error (0 when it has none).
    pub fn of(e: &std::io::Error) -> Errno {
        Errno(e.raw_os_error().unwrap_or(0))
    }

    /// The C library's description of this error, copied into a buffer the
    /// caller owns (`strerror_r`): no allocation, no shared static buffer.
    pub fn describe(self) -> ErrnoText {
        let mut t = ErrnoText {
            buf: [0; ErrnoText::CAPACITY],
            len: 0,
        };
        // SAFETY: `buf` is writable for its whole length, which is passed as
        // the limit; the XSI strerror_r (libc binds glibc's
        // __xpg_strerror_r) writes a NUL-terminated string within it and
        // keeps no pointer.
        let r = unsafe { libc::strerror_r(self.0, t.buf.as_mut_ptr().cast(), t.buf.len()) };
        let end = t.buf.iter().position(|&b| b == 0).unwrap_or(0);
        if r == 0 && end > 0 && std::str::from_utf8(&t.buf[..end]).is_ok() {
            t.len = end;
        } else {
            t.set_unknown(self.0);
        }
        t
    }

    pub const PIPE: Errno = Errno(libc::EPIPE);
    pub const INTR: Errno = Errno(libc::EINTR);
    pub const NOENT: Errno = Errno(libc::ENOENT);
}

/// An error's description, held in a small buffer of its own.
#[derive(Clone, Copy)]
pub struct ErrnoText {
    buf: [u8; ErrnoText::CAPACITY],
    len: usize,
}

impl ErrnoText {
    const CAPACITY: usize = 128;

    fn set_unknown(&mut self, errno: i32) {
        let mut n = itoa::Buffer::new();
        let parts: [&[u8]; 2] = [b"unknown error ", n.format(errno).as_bytes()];
        self.len = 0;
        for p in parts {
            self.buf[self.len..self.len + p.len()].copy_from_slice(p);
            self.len += p.len();
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ever filled with UTF-8 (checked in `describe`) or ASCII.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("unknown error")
    }
}

impl std::fmt::Debug for ErrnoText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Opens `path` read-only with close-on-exec. The path is a C string built
/// once at start-up, so (unlike `File::open`) no call allocates, whatever
/// its length.
#[cfg(target_os = "linux")]
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
#[cfg(target_os = "linux")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileId {
    pub dev: u64,
    pub ino: u64,
}

#[cfg(target_os = "linux")]
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
#[cfg(target_os = "linux")]
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

/// Clears `SA_RESTART` from the handler installed for `sig`, so that the
/// signal interrupts blocking system calls (they fail with `EINTR`) instead
/// of restarting them.
pub(crate) fn interrupt_restarts(sig: libc::c_int) -> Result<(), Errno> {
    // SAFETY: an all-zero `sigaction` is a valid value of this plain C
    // struct; it is overwritten by the next call.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into `act`.
    if unsafe { libc::sigaction(sig, std::ptr::null(), &mut act) } != 0 {
        return Err(Errno::last());
    }
    act.sa_flags &= !libc::SA_RESTART;
    // SAFETY: reinstalls the very handler, mask and flags just read, minus
    // SA_RESTART; `act` outlives the call.
    if unsafe { libc::sigaction(sig, &act, std::ptr::null_mut()) } != 0 {
        return Err(Errno::last());
    }
    Ok(())
}

/// Readiness reported by [`wait`] for one watched descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// Data (or EOF) can be read.
    pub input: bool,
    /// The descriptor reported an error or hang-up.
    pub hangup: bool,
}

/// What [`wait`] watches on one descriptor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Watched<'a> {
    pub fd: BorrowedFd<'a>,
    /// Watch for input too; otherwise only for errors and hang-ups.
    pub input: bool,
}

/// Waits up to `timeout_us` microseconds with one `ppoll` for input (or an
/// error) on any of `fds` (`None` entries are not watched). Returns early on
/// a signal.
pub(crate) fn wait<const N: usize>(fds: [Option<Watched<'_>>; N], timeout_us: u64) -> [Ready; N] {
    let mut pfd = [libc::pollfd {
        fd: -1,
        events: 0,
        revents: 0,
    }; N];
    for (p, w) in pfd.iter_mut().zip(fds) {
        if let Some(w) = w {
            p.fd = w.fd.as_raw_fd();
            p.events = if w.input { libc::POLLIN } else { 0 };
        }
    }
    let ts = libc::timespec {
        tv_sec: (timeout_us / 1_000_000) as libc::time_t,
        tv_nsec: ((timeout_us % 1_000_000) * 1000) as libc::c_long,
    };
    // SAFETY: `pfd` is a valid array of N pollfd structs and `ts` a valid
    // timespec, both outliving the call; a null signal mask keeps the
    // current one.
    let n = unsafe { libc::ppoll(pfd.as_mut_ptr(), N as libc::nfds_t, &ts, std::ptr::null()) };
    let mut out = [Ready::default(); N];
    if n <= 0 {
        return out;
    }
    for (o, p) in out.iter_mut().zip(pfd) {
        o.input = p.revents & libc::POLLIN != 0;
        o.hangup = p.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0;
    }
    out
}

/// A netlink socket of `protocol` (`NETLINK_SOCK_DIAG`, ...), close-on-exec.
/// Unconnected, it sends to the kernel.
#[cfg(target_os = "linux")]
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

/// The name of the user with id `uid`, as the system's user database
/// (NSS on Linux, nsswitch on FreeBSD) knows it; `None` for an unknown
/// uid. Allocates: on demand only.
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
pub(crate) fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    loop {
        // SAFETY: an all-zero `passwd` is a valid value of this plain C
        // struct; getpwuid_r overwrites it.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `pw`, `buf` (of the length given) and `found` are valid
        // and writable for the call; the strings it stores point into
        // `buf`, which outlives their use below. Linux's and FreeBSD's
        // getpwuid_r take the same arguments.
        let r = unsafe {
            libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut found)
        };
        if r == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if r != 0 || found.is_null() || pw.pw_name.is_null() {
            return None;
        }
        // SAFETY: getpwuid_r succeeded, so pw_name points to a
        // NUL-terminated string inside `buf`.
        let name = unsafe { CStr::from_ptr(pw.pw_name) };
        return Some(name.to_string_lossy().into_owned());
    }
}

/// One `sysctl` read of `mib` into `buf`; returns the bytes the kernel
/// wrote.
#[cfg(target_os = "freebsd")]
pub(crate) fn sysctl_read(mib: &[libc::c_int], buf: &mut [u8]) -> Result<usize, Errno> {
    let mut len: libc::size_t = buf.len();
    // SAFETY: `mib` points to `mib.len()` valid ints, `buf` to `len`
    // writable bytes and `len` to a valid size_t, all outliving the call;
    // no new value is set (null, 0).
    let r = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            buf.as_mut_ptr().cast(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    if r != 0 {
        return Err(Errno::last());
    }
    Ok(len.min(buf.len()))
}

/// The size in bytes of the value behind `mib`.
#[cfg(target_os = "freebsd")]
pub(crate) fn sysctl_size(mib: &[libc::c_int]) -> Result<usize, Errno> {
    let mut len: libc::size_t = 0;
    // SAFETY: a null output buffer asks only for the size, written to the
    // valid `len`; `mib` points to `mib.len()` valid ints.
    let r = unsafe {
        libc::sysctl(
            mib.as_ptr(),
            mib.len() as libc::c_uint,
            std::ptr::null_mut(),
            &mut len,
            std::ptr::null(),
            0,
        )
    };
    if r != 0 {
        return Err(Errno::last());
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_known_and_unknown_errnos() {
        assert_eq!(
            Errno::NOENT.describe().as_str(),
            "No such file or directory"
        );
        let s = Errno(99_999).describe();
        assert!(s.as_str().starts_with("Unknown error") || s.as_str().starts_with("unknown"));
    }

    #[test]
    fn describe_from_many_threads_at_once() {
        // Sound without relying on a single-threaded program: every call
        // writes into its own buffer.
        let hs: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..1000 {
                        assert_eq!(Errno::PIPE.describe().as_str(), "Broken pipe");
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
    }
}
