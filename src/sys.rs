//! The only module that talks to libc directly.
//!
//! Every function here is a thin, allocation-free wrapper that turns a raw
//! return value into a `Result<_, Errno>`. Callers keep the file descriptors
//! and buffers; nothing here owns state.
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::os::fd::RawFd;

/// An `errno` value as returned by a failed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// The C library's description of this error, without allocating.
    pub fn describe(self) -> &'static str {
        // SAFETY: strerror returns a pointer to a string that is valid until
        // the next strerror call for this errno; with glibc and FreeBSD libc
        // the pointer refers to a static table for known values. The plugin is
        // single-threaded, so no concurrent call can overwrite it while it is
        // copied out by the caller.
        let p = unsafe { libc::strerror(self.0) };
        if p.is_null() {
            return "unknown error";
        }
        // SAFETY: strerror returns a NUL-terminated string; see above for
        // its lifetime.
        let s = unsafe { CStr::from_ptr(p) };
        s.to_str().unwrap_or("unknown error")
    }

    pub const PIPE: Errno = Errno(libc::EPIPE);
    pub const INTR: Errno = Errno(libc::EINTR);
    pub const AGAIN: Errno = Errno(libc::EAGAIN);
    pub const NOENT: Errno = Errno(libc::ENOENT);
}

/// Opens `path` read-only with close-on-exec.
pub fn open_read(path: &CStr) -> Result<RawFd, Errno> {
    loop {
        // SAFETY: `path` is a valid NUL-terminated string for the duration
        // of the call; open does not retain the pointer.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd >= 0 {
            return Ok(fd);
        }
        let e = Errno::last();
        if e != Errno::INTR {
            return Err(e);
        }
    }
}

/// Opens `path` write-only with close-on-exec (for benchmarks and tests
/// that need a sink such as /dev/null).
pub fn open_write(path: &CStr) -> Result<RawFd, Errno> {
    // SAFETY: `path` is a valid NUL-terminated string for the call.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    if fd >= 0 {
        Ok(fd)
    } else {
        Err(Errno::last())
    }
}

/// Closes `fd`, ignoring errors (nothing useful can be done about them for a
/// read-only descriptor).
pub fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd` and does not use it after this call.
    unsafe {
        libc::close(fd);
    }
}

/// One `pread` at offset 0 into `buf`; returns the number of bytes read.
pub fn pread0(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        // SAFETY: `buf` is a valid writable region of `buf.len()` bytes that
        // outlives the call.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = Errno::last();
        if e != Errno::INTR {
            return Err(e);
        }
    }
}

/// One `read` into `buf`; returns the number of bytes read (0 at EOF).
pub fn read(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is a valid writable region of `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n >= 0 {
        Ok(n as usize)
    } else {
        Err(Errno::last())
    }
}

/// Writes all of `buf` to `fd`, retrying short writes and `EINTR`.
pub fn write_all(fd: RawFd, buf: &[u8]) -> Result<(), Errno> {
    write_all_unless(fd, buf, || false)
}

/// Like [`write_all`], but gives up with `EINTR` when a signal interrupted
/// the write and `stop()` says it was a stop signal (see
/// [`interrupt_restarts`]): a write blocked on a full pipe ends at once.
pub fn write_all_unless(fd: RawFd, mut buf: &[u8], stop: impl Fn() -> bool) -> Result<(), Errno> {
    while !buf.is_empty() {
        // SAFETY: `buf` is a valid readable region of `buf.len()` bytes.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = Errno::last();
            if e == Errno::INTR {
                if stop() {
                    return Err(e);
                }
                continue;
            }
            return Err(e);
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// Clears `SA_RESTART` from the handler installed for `sig`, so that the
/// signal interrupts blocking system calls (they fail with `EINTR`) instead
/// of restarting them.
pub fn interrupt_restarts(sig: libc::c_int) -> Result<(), Errno> {
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

/// The identity of a file: device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
}

/// `fstat` reduced to the file's identity.
pub fn fstat_id(fd: RawFd) -> Result<FileId, Errno> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `stat` for the duration of the call.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(Errno::last());
    }
    Ok(FileId {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
    })
}

/// `stat` reduced to the file's identity.
pub fn stat_id(path: &CStr) -> Result<FileId, Errno> {
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
pub fn is_procfs(fd: RawFd) -> bool {
    const PROC_SUPER_MAGIC: i64 = 0x9fa0;
    // SAFETY: an all-zero `statfs` is a valid value of this plain C struct.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `statfs` for the duration of the call.
    if unsafe { libc::fstatfs(fd, &mut st) } != 0 {
        return false;
    }
    st.f_type as i64 == PROC_SUPER_MAGIC
}

#[cfg(not(target_os = "linux"))]
pub fn is_procfs(_fd: RawFd) -> bool {
    false
}

/// What kind of file a descriptor refers to, as far as waiting on it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdKind {
    /// A pipe or a socket: readable data or EOF means something.
    Stream,
    /// A terminal, /dev/null, a regular file, or a closed descriptor.
    Other,
}

/// Classifies `fd` with `fstat`.
pub fn fd_kind(fd: RawFd) -> FdKind {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `stat` for the duration of the call.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return FdKind::Other;
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFIFO | libc::S_IFSOCK => FdKind::Stream,
        _ => FdKind::Other,
    }
}

/// Readiness reported by [`wait`] for one watched descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// Data (or EOF) can be read.
    pub input: bool,
    /// The descriptor reported an error or hang-up.
    pub hangup: bool,
}

/// Waits up to `timeout_us` microseconds for input on any of `fds` (`None`
/// entries are not watched) with one `ppoll`. Returns early on a signal.
/// Descriptors in `error_only` are watched for errors and hang-ups only.
pub fn wait(fds: &[Option<RawFd>; 3], error_only: &[bool; 3], timeout_us: u64) -> [Ready; 3] {
    let mut pfd = [libc::pollfd {
        fd: -1,
        events: 0,
        revents: 0,
    }; 3];
    for i in 0..3 {
        if let Some(fd) = fds[i] {
            pfd[i].fd = fd;
            pfd[i].events = if error_only[i] { 0 } else { libc::POLLIN };
        }
    }
    let ts = libc::timespec {
        tv_sec: (timeout_us / 1_000_000) as libc::time_t,
        tv_nsec: ((timeout_us % 1_000_000) * 1000) as libc::c_long,
    };
    // SAFETY: `pfd` is a valid array of 3 pollfd structs and `ts` a valid
    // timespec, both outliving the call; a null signal mask keeps the
    // current one.
    let n = unsafe { libc::ppoll(pfd.as_mut_ptr(), 3, &ts, std::ptr::null()) };
    let mut out = [Ready::default(); 3];
    if n <= 0 {
        return out;
    }
    for i in 0..3 {
        let r = pfd[i].revents;
        out[i].input = r & libc::POLLIN != 0;
        out[i].hangup = r & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0;
    }
    out
}

/// Monotonic time in microseconds (`CLOCK_MONOTONIC`; vDSO, no syscall).
pub fn monotonic_us() -> u64 {
    clock_us(libc::CLOCK_MONOTONIC)
}

/// Wall-clock time in microseconds since the Unix epoch (`CLOCK_REALTIME`).
pub fn realtime_us() -> u64 {
    clock_us(libc::CLOCK_REALTIME)
}

fn clock_us(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids used are
    // always supported, so the call cannot fail.
    unsafe {
        libc::clock_gettime(clock, &mut ts);
    }
    (ts.tv_sec.max(0) as u64) * 1_000_000 + (ts.tv_nsec.max(0) as u64) / 1000
}

/// Whether `fd` is a terminal.
pub fn is_tty(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// One `sysctl` read of `mib` into `buf`; returns the bytes the kernel
/// wrote.
#[cfg(target_os = "freebsd")]
pub fn sysctl_read(mib: &[libc::c_int], buf: &mut [u8]) -> Result<usize, Errno> {
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
pub fn sysctl_size(mib: &[libc::c_int]) -> Result<usize, Errno> {
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
