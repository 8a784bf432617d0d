//! The libc calls every kernel shares; each kernel's own are in its
//! folder (`platform/linux/sys.rs`, `platform/freebsd/sys.rs`). Nothing else
//! talks to libc.
//!
//! Each function is a thin wrapper for a call the standard library does not
//! offer (or offers only with an allocation): `ppoll`, `sigaction` and
//! `strerror_r`, which the sampling loop uses and which allocate nothing;
//! and, for the listeners table only (on demand), `getpwuid_r`, which may
//! allocate. Descriptors are `OwnedFd`/`BorrowedFd`; reading, writing and
//! `fstat` go through `std`.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};

/// An `errno` value as returned by a failed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub(crate) fn last() -> Errno {
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

/// Readiness reported by [`poll`] for one watched descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ready {
    /// Data (or EOF) can be read.
    pub input: bool,
    /// The descriptor reported an error or hang-up.
    pub hangup: bool,
}

/// What [`poll`] watches on one descriptor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PollFd<'a> {
    pub fd: BorrowedFd<'a>,
    /// Watch for input too; otherwise only for errors and hang-ups.
    pub input: bool,
}

/// Waits up to `timeout_us` microseconds with one `ppoll` for input (or an
/// error) on any of `fds` (`None` entries are not watched). Returns early on
/// a signal.
pub(crate) fn poll<const N: usize>(fds: [Option<PollFd<'_>>; N], timeout_us: u64) -> [Ready; N] {
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

/// The name of the user with id `uid`, as the system's user database
/// (NSS on Linux, nsswitch on FreeBSD) knows it; `None` for an unknown
/// uid. Allocates: on demand only.
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
