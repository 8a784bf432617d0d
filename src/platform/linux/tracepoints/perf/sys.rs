//! The system calls under [`super::Tracer`]: `perf_event_open(2)` and its
//! ioctls, the ring's shared mapping, the epoll set that wakes the loop.

#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::AtomicU64;

use super::super::ring;
use super::OpenError;

// include/uapi/linux/perf_event.h (values checked with a C program against
// the system's headers).
const PERF_TYPE_TRACEPOINT: u32 = 2;
const PERF_SAMPLE_RAW: u64 = 1 << 10;
const PERF_ATTR_SIZE_VER0: u32 = 64;
/// `attr.disabled`, bit 0 of the flag word.
const ATTR_DISABLED: u64 = 1;
/// `attr.watermark`, bit 14: wake a poller when the ring holds
/// `wakeup_watermark` bytes (not after `wakeup_events` samples).
const ATTR_WATERMARK: u64 = 1 << 14;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
/// `_IO('$', 0)` and `_IO('$', 5)`.
pub(super) const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
pub(super) const PERF_EVENT_IOC_SET_OUTPUT: libc::c_ulong = 0x2405;

/// `struct perf_event_attr` up to `PERF_ATTR_SIZE_VER0` (64 bytes), which
/// every kernel accepts; the bit fields are one `u64`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct PerfEventAttr {
    pub(super) kind: u32,
    pub(super) size: u32,
    pub(super) config: u64,
    pub(super) sample_period: u64,
    pub(super) sample_type: u64,
    pub(super) read_format: u64,
    pub(super) flags: u64,
    /// `wakeup_events`, or with [`ATTR_WATERMARK`] `wakeup_watermark`.
    pub(super) wakeup: u32,
    pub(super) bp_type: u32,
    pub(super) config1: u64,
}

const _: () = assert!(std::mem::size_of::<PerfEventAttr>() == PERF_ATTR_SIZE_VER0 as usize);

pub(super) fn errno_of(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(0)
}

pub(super) fn last_errno() -> i32 {
    errno_of(&std::io::Error::last_os_error())
}

pub(super) fn page_size() -> usize {
    // SAFETY: sysconf takes an integer and touches no memory of ours.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// One CPU's shared mapping of a perf ring: the control page, then the
/// data area.
#[derive(Debug)]
pub(super) struct Mapping {
    pub(super) base: *mut u8,
    pub(super) len: usize,
    pub(super) data: *const u8,
    pub(super) data_size: usize,
}

// SAFETY: the mapping is owned by this value alone; the kernel is the only
// other party, and it synchronises through data_head/data_tail, which are
// accessed atomically. Moving it to another thread changes nothing.
unsafe impl Send for Mapping {}

impl Mapping {
    pub(super) fn new(
        fd: &OwnedFd,
        pages: usize,
        page: usize,
        cpu: u32,
    ) -> Result<Mapping, OpenError> {
        let len = (pages + 1) * page;
        // SAFETY: a new shared mapping of `len` bytes of a perf event's
        // ring, placed by the kernel (null hint); no memory of ours is
        // touched. The result is checked for MAP_FAILED.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(OpenError::Perf {
                step: "mmap of the perf ring",
                cpu,
                errno: last_errno(),
            });
        }
        let mut m = Mapping {
            base: base.cast(),
            len,
            data: std::ptr::null(),
            data_size: 0,
        };
        // SAFETY: the first page of the mapping is `page` readable bytes
        // for as long as `m` lives; only data_offset/data_size are read
        // from it, which the kernel wrote before mmap returned and never
        // changes.
        let first = unsafe { std::slice::from_raw_parts(m.base.cast_const(), page) };
        let area = ring::area(first).filter(|a| {
            a.offset
                .checked_add(a.size)
                .is_some_and(|end| end <= len as u64)
        });
        let Some(area) = area else {
            return Err(OpenError::Perf {
                step: "reading data_offset/data_size of the perf ring",
                cpu,
                errno: libc::EINVAL,
            });
        };
        // data_offset + data_size lies within the mapping (checked just
        // above), so the pointer stays inside it.
        m.data = m.base.wrapping_add(area.offset as usize).cast_const();
        m.data_size = area.size as usize;
        Ok(m)
    }

    /// The data area.
    pub(super) fn data(&self) -> &[u8] {
        // SAFETY: the data area is `data_size` readable bytes inside the
        // mapping (checked in `new`), which outlives this borrow of `self`.
        unsafe { std::slice::from_raw_parts(self.data, self.data_size) }
    }

    pub(super) fn word(&self, at: usize) -> &AtomicU64 {
        // `at` is DATA_HEAD's or DATA_TAIL's offset (1024, 1032), within
        // the first page: wrapping_add keeps the pointer in the mapping.
        let p = self.base.wrapping_add(at).cast::<u64>();
        // SAFETY: `p` is inside the first page of the mapping and 8-byte
        // aligned (the mapping is page aligned, `at` a multiple of 8); the
        // kernel accesses these words atomically too, and the mapping
        // outlives the reference, which borrows `self`.
        unsafe { AtomicU64::from_ptr(p) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`; nothing refers
        // to it any more (every slice of it borrowed `self`).
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// Opens one tracepoint event on `cpu`, disabled; its ring, once mapped,
/// wakes a poller when it holds `watermark` bytes.
pub(super) fn perf_event_open(config: u64, cpu: u32, watermark: u32) -> Result<OwnedFd, i32> {
    let attr = PerfEventAttr {
        kind: PERF_TYPE_TRACEPOINT,
        size: PERF_ATTR_SIZE_VER0,
        config,
        sample_period: 1,
        sample_type: PERF_SAMPLE_RAW,
        flags: ATTR_DISABLED | ATTR_WATERMARK,
        wakeup: watermark,
        ..PerfEventAttr::default()
    };
    // SAFETY: `attr` is a valid perf_event_attr of the size it states,
    // alive for the call, which only reads it; pid -1 with a CPU is a
    // system-wide event on that CPU; no group (-1).
    let fd = unsafe {
        libc::syscall(
            libc::SYS_perf_event_open,
            &attr as *const PerfEventAttr,
            -1 as libc::pid_t,
            cpu as libc::c_int,
            -1 as libc::c_int,
            PERF_FLAG_FD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: `fd` was just returned by perf_event_open and nothing else
    // owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

pub(super) fn epoll_create() -> Result<OwnedFd, OpenError> {
    // SAFETY: epoll_create1 takes a flag word and touches no memory of ours.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(OpenError::Perf {
            step: "epoll_create1",
            cpu: 0,
            errno: last_errno(),
        });
    }
    // SAFETY: `fd` was just returned by epoll_create1 and nothing else owns
    // it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds the ring of `fd` to the epoll set `epoll`, level-triggered.
pub(super) fn epoll_add(epoll: &OwnedFd, fd: &OwnedFd, cpu: u32) -> Result<(), OpenError> {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: u64::from(cpu),
    };
    // SAFETY: `ev` is a valid epoll_event, alive for the call, which only
    // reads it; both descriptors are open.
    let r = unsafe {
        libc::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd.as_raw_fd(),
            &mut ev,
        )
    };
    if r != 0 {
        return Err(OpenError::Perf {
            step: "epoll_ctl",
            cpu,
            errno: last_errno(),
        });
    }
    Ok(())
}

pub(super) fn ioctl(
    fd: &OwnedFd,
    request: libc::c_ulong,
    arg: libc::c_int,
    step: &'static str,
    cpu: u32,
) -> Result<(), OpenError> {
    // SAFETY: the perf ioctls used here take an integer argument (0 or a
    // descriptor), not a pointer.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) };
    if r != 0 {
        return Err(OpenError::Perf {
            step,
            cpu,
            errno: last_errno(),
        });
    }
    Ok(())
}

/// How many readiness events [`epoll_take`] takes at most in one call.
pub(super) const EPOLL_TAKEN: usize = 16;

/// Takes up to [`EPOLL_TAKEN`] readiness events of the set `epoll` without
/// waiting; returns how many there were (0 on an error).
pub(super) fn epoll_take(epoll: &OwnedFd) -> usize {
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; EPOLL_TAKEN];
    // SAFETY: `events` is a writable array of EPOLL_TAKEN epoll_events
    // that outlives the call; a timeout of 0 never blocks.
    let n = unsafe {
        libc::epoll_wait(
            epoll.as_raw_fd(),
            events.as_mut_ptr(),
            EPOLL_TAKEN as libc::c_int,
            0,
        )
    };
    usize::try_from(n).unwrap_or(0)
}
