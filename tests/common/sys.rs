//! The tests' only `unsafe` code: thin libc wrappers for what the standard
//! library does not offer (signals, pipe sizes, listen backlogs, raw
//! sockets, dying with the parent) and the counting allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Sends `sig` to process `pid`; false when it does not exist (any more).
pub fn kill(pid: u32, sig: i32) -> bool {
    // SAFETY: kill only sends a signal; it touches no memory of ours.
    unsafe { libc::kill(pid as libc::pid_t, sig) == 0 }
}

/// The effective user id.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Makes the command's process receive SIGKILL when the test process dies,
/// so that nothing it starts outlives a test run that is killed.
pub fn die_with_parent(c: &mut Command) {
    fn die_with_parent_now() -> std::io::Result<()> {
        // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number and touches
        // no memory; it is async-signal-safe.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        Ok(())
    }
    // SAFETY: the closure runs in the forked child before exec and only
    // calls prctl, which is async-signal-safe.
    unsafe {
        c.pre_exec(die_with_parent_now);
    }
}

/// Resizes the pipe behind `fd`; returns the new size.
pub fn set_pipe_size(fd: BorrowedFd<'_>, bytes: i32) -> i32 {
    // SAFETY: F_SETPIPE_SZ takes an int and only resizes the pipe.
    unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, bytes) }
}

/// How many bytes wait to be read in the pipe behind `fd`.
pub fn queued_bytes(fd: BorrowedFd<'_>) -> i32 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD stores an int into `n`, which outlives the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(r, 0, "FIONREAD: {}", std::io::Error::last_os_error());
    n
}

/// Sets the listen backlog of a listening socket.
pub fn listen(fd: BorrowedFd<'_>, backlog: i32) {
    // SAFETY: listen only changes the state of a socket we own.
    let r = unsafe { libc::listen(fd.as_raw_fd(), backlog) };
    assert_eq!(r, 0, "listen: {}", std::io::Error::last_os_error());
}

/// Sets an `int` socket option.
fn set_int_option(fd: BorrowedFd<'_>, level: i32, name: i32, value: i32) {
    // SAFETY: `value` is a valid int of the size given, alive for the call.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "setsockopt: {}", std::io::Error::last_os_error());
}

/// `TCP_DEFER_ACCEPT` for `seconds` on a listener: the kernel wakes
/// accept() only when data arrives, and discards the bare final ACK of
/// each handshake.
pub fn defer_accept(fd: BorrowedFd<'_>, seconds: i32) {
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, seconds);
}

/// `SO_LINGER` on with a timeout of 0: `close()` then sends a reset.
pub fn linger_zero(fd: BorrowedFd<'_>) {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `l` is a valid linger struct of the size given, alive for
    // the call.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&l as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "SO_LINGER: {}", std::io::Error::last_os_error());
}

/// Runs the calling thread on the first CPU it may use, only.
pub fn pin_to_first_cpu() {
    // A CPU mask as the kernel takes it: 1024 bits, the size of glibc's
    // cpu_set_t.
    let mut mask = [0u64; 16];
    let size = std::mem::size_of_val(&mask);
    // SAFETY: `mask` is `size` writable bytes, laid out as a
    // cpu_set_t; the call writes the calling thread's (0) mask into it.
    let r = unsafe { libc::sched_getaffinity(0, size, mask.as_mut_ptr().cast()) };
    assert_eq!(
        r,
        0,
        "sched_getaffinity: {}",
        std::io::Error::last_os_error()
    );
    let word = mask.iter().position(|&w| w != 0).expect("a CPU to run on");
    let bit = mask[word].trailing_zeros();
    mask = [0; 16];
    mask[word] = 1 << bit;
    // SAFETY: `mask` is `size` readable bytes, laid out as a cpu_set_t.
    let r = unsafe { libc::sched_setaffinity(0, size, mask.as_ptr().cast()) };
    assert_eq!(
        r,
        0,
        "sched_setaffinity: {}",
        std::io::Error::last_os_error()
    );
}

/// The socket's SO_COOKIE.
pub fn cookie(fd: BorrowedFd<'_>) -> u64 {
    let mut c: u64 = 0;
    let mut len = std::mem::size_of::<u64>() as libc::socklen_t;
    // SAFETY: `c` and `len` are valid and writable for the call, `len`
    // stating `c`'s size.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_COOKIE,
            (&mut c as *mut u64).cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0, "SO_COOKIE: {}", std::io::Error::last_os_error());
    c
}

fn sockaddr(a: SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: a.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*a.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn socket(domain: i32, kind: i32, protocol: i32) -> OwnedFd {
    // SAFETY: socket has no memory arguments.
    let fd = unsafe { libc::socket(domain, kind, protocol) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// Starts a TCP connection to `to` without waiting for it: the SYN is sent,
/// the socket returned. Errors (a refused or dropped SYN) show later, or
/// never.
pub fn connect_nonblocking(to: SocketAddrV4) -> OwnedFd {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0);
    let addr = sockaddr(to);
    // SAFETY: `addr` is a valid sockaddr_in of the size given, alive for
    // the call.
    unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        );
    }
    fd
}

/// A blocking TCP connection from `from` (bound first) to `to`: the
/// socket, or the errno (`ECONNREFUSED` from a closed port).
pub fn connect_from(from: SocketAddrV4, to: SocketAddrV4) -> Result<OwnedFd, i32> {
    let fd = socket(libc::AF_INET, libc::SOCK_STREAM, 0);
    let local = sockaddr(from);
    // SAFETY: `local` is a valid sockaddr_in of the size given, alive for
    // the call.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&local as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "bind {from}: {}", std::io::Error::last_os_error());
    let remote = sockaddr(to);
    // SAFETY: `remote` is a valid sockaddr_in of the size given, alive for
    // the call.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&remote as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    Ok(fd)
}

/// A raw IPv4 socket for TCP segments the test builds itself (needs root
/// or CAP_NET_RAW).
pub fn raw_tcp_socket() -> OwnedFd {
    socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_TCP)
}

/// Sends `segment` (a TCP header and payload) on a raw socket to `to`.
pub fn send_raw(fd: BorrowedFd<'_>, segment: &[u8], to: SocketAddrV4) {
    let addr = sockaddr(to);
    // SAFETY: `segment` and `addr` are valid for reads of the sizes given
    // for the duration of the call.
    let r = unsafe {
        libc::sendto(
            fd.as_raw_fd(),
            segment.as_ptr().cast(),
            segment.len(),
            0,
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(
        r,
        segment.len() as isize,
        "sendto: {}",
        std::io::Error::last_os_error()
    );
}

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// A global allocator that counts this thread's allocations and
/// reallocations and forwards everything to the system allocator. A test
/// crate opts in with `#[global_allocator] static A: Counting = Counting;`.
#[derive(Debug)]
pub struct Counting;

impl Counting {
    /// Allocations and reallocations made by this thread so far.
    pub fn count() -> u64 {
        ALLOCATIONS.with(Cell::get)
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// thread-local counter is const-initialised, so touching it never
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded with the caller's arguments.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

/// Moves the calling thread, and only it, into a new network namespace
/// with nothing but a loopback interface that is down. Threads and
/// processes it starts afterwards are in that namespace too; the rest of
/// the test process is not. Needs root or CAP_SYS_ADMIN.
pub fn unshare_network() -> std::io::Result<()> {
    // SAFETY: unshare takes a flag word and only changes which namespace
    // this thread belongs to; no memory of ours is involved.
    let r = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes the command run in a mount namespace of its own in which `dir` is
/// bind-mounted over `target` (say, a private `/run`); the test process's
/// mounts and the host's stay as they are. Needs root or CAP_SYS_ADMIN; the
/// spawn fails otherwise.
pub fn private_mount(c: &mut Command, dir: &std::path::Path, target: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let src = std::ffi::CString::new(dir.as_os_str().as_bytes()).expect("no NUL in a path");
    let dst = std::ffi::CString::new(target.as_os_str().as_bytes()).expect("no NUL in a path");
    let enter = move || -> std::io::Result<()> {
        let fail = || Err(std::io::Error::last_os_error());
        // SAFETY: unshare takes a flag word; no memory is involved.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            return fail();
        }
        // SAFETY: both paths are NUL-terminated literals; the other
        // pointers are null, which mount accepts for a propagation change.
        let r = unsafe {
            libc::mount(
                c"none".as_ptr(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
        };
        if r != 0 {
            return fail();
        }
        // SAFETY: `src` and `dst` are C strings made before the fork and
        // owned by this closure for as long as it runs.
        let r = unsafe {
            libc::mount(
                src.as_ptr(),
                dst.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            )
        };
        if r != 0 {
            return fail();
        }
        Ok(())
    };
    // SAFETY: the closure runs in the forked child before exec and only
    // makes syscalls (unshare, mount) with pointers to C strings that were
    // allocated before the fork; it allocates nothing.
    unsafe {
        c.pre_exec(enter);
    }
}
