//! The two reset tracepoints read through `perf_event_open(2)`: one event
//! of each per online CPU (`PERF_TYPE_TRACEPOINT`, `config` = the format's
//! `ID`, every hit sampled, `sample_type = PERF_SAMPLE_RAW` and nothing
//! else), both writing into one mmap ring per CPU.
//!
//! # One ring per CPU for both events
//!
//! `tcp_receive_reset`'s event is pointed at `tcp_send_reset`'s ring of the
//! same CPU with `PERF_EVENT_IOC_SET_OUTPUT` (allowed between events of one
//! CPU, 6.12 `kernel/events/core.c:12689`). That halves the mappings and
//! the rings to walk, and costs nothing in telling the two apart: every
//! raw sample starts with `common_type`, which the kernel sets to the
//! event's type (`perf_tp_event()` -> `perf_trace_buf_update()`,
//! `core.c:10599`, `kernel/trace/trace_event_perf.c:425-430`), the very
//! `ID` of the format file (`trace_events.c:1737`). The two share the
//! ring's space; a storm of one can crowd out the other, and
//! `PERF_RECORD_LOST` says how many were lost either way. The kernel writes
//! that record in front of the first sample that fits once the ring has
//! room again (`kernel/events/ring_buffer.c:190-191, 248-250`), so losses
//! are reported by a later drain than the one that found the ring full.
//!
//! # Draining
//!
//! [`Tracer::drain`] reads each ring's `data_head` with an acquire load
//! from the mapped page, walks the records up to it ([`super::ring`]) and
//! stores `data_tail` with a release store: no system call, and no
//! allocation, ever; when nothing happened it is one load per CPU.
//!
//! # Privileges (6.1 and 6.12 sources)
//!
//! * tracefs (the format files) is mode 0700 root (`fs/tracefs/inode.c:26`
//!   `TRACEFS_DEFAULT_MODE`): root or CAP_DAC_READ_SEARCH.
//! * A tracepoint event on a CPU for every task needs
//!   `perf_allow_cpu()` (`perf_event_paranoid` > 0: CAP_PERFMON or
//!   CAP_SYS_ADMIN; `include/linux/perf_event.h:1681`, checked at
//!   `core.c:4933`); counting kernel code, `perf_allow_kernel()` (> 1;
//!   `core.c:12871`); raw samples, `perf_allow_tracepoint()` (> -1;
//!   `trace_event_perf.c:89`, `perf_event.h:1689`): so CAP_PERFMON, or
//!   `perf_event_paranoid` -1.
//! * Debian's kernels add `perf_event_paranoid` 3, their default
//!   (`CONFIG_SECURITY_PERF_EVENTS_RESTRICT`): then `perf_event_open()`
//!   needs CAP_SYS_ADMIN (6.1 `core.c:420-424`, `core.c:12437`).
//!
//! Tracepoints fire in every network namespace: the events are the whole
//! host's.
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use super::cpus;
use super::event::{DecodeError, Event, Layouts, RECEIVE, SEND};
use super::format::{self, Format};
use super::ring::{self, Record, DATA_HEAD, DATA_TAIL};
use crate::resets::top::PortRule;

/// Where tracefs is looked for, in order.
pub const TRACEFS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
/// The online CPUs.
pub const CPU_ONLINE: &str = "/sys/devices/system/cpu/online";
/// `kernel.perf_event_paranoid`.
pub const PARANOID: &str = "/proc/sys/kernel/perf_event_paranoid";
/// `net.ipv4.ip_local_port_range` of the caller's network namespace.
pub const PORT_RANGE: &str = "/proc/sys/net/ipv4/ip_local_port_range";

/// The size of each CPU's ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingSize {
    /// Pages of the data area, a power of two (the mapping has one more).
    pub data_pages: usize,
}

impl Default for RingSize {
    /// 32 pages (128 KiB with 4 KiB pages): about 1,260 samples of 104
    /// bytes (6.18). Drained every [`DRAIN_INTERVAL_MS`], that keeps a
    /// storm of 10,000 refused connections a second on one CPU — 20,000
    /// samples, each reset seen sent and received — with nothing lost
    /// (measured with `examples/resets_measure.rs`; drained every 100 ms
    /// the same storm loses a third).
    fn default() -> Self {
        RingSize { data_pages: 32 }
    }
}

/// How often to drain the default rings: an idle drain costs a few
/// nanoseconds and no system call, so draining often is cheap; what it
/// buys is room in the rings for bursts.
pub const DRAIN_INTERVAL_MS: u64 = 50;

impl RingSize {
    /// The smallest ring that holds `per_second` samples of 128 bytes
    /// arriving between two drains `interval_ms` apart, at least 1 page.
    pub fn for_rate(per_second: u64, interval_ms: u64, page: usize) -> RingSize {
        let bytes = per_second.saturating_mul(interval_ms).saturating_mul(128) / 1000;
        let pages = (bytes as usize).div_ceil(page.max(1)).max(1);
        RingSize {
            data_pages: pages
                .checked_next_power_of_two()
                .unwrap_or(1 << 20)
                .min(1 << 20),
        }
    }
}

mod error;
mod sys;
pub use error::OpenError;
use sys::{
    epoll_add, epoll_create, epoll_take, errno_of, ioctl, page_size, perf_event_open, Mapping,
    EPOLL_TAKEN, PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_SET_OUTPUT,
};

/// The first of [`TRACEFS`] that holds `events/`.
pub fn tracefs() -> Result<PathBuf, OpenError> {
    let mut denied = None;
    for root in TRACEFS {
        match std::fs::metadata(Path::new(root).join("events")) {
            Ok(m) if m.is_dir() => return Ok(PathBuf::from(root)),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                denied.get_or_insert(errno_of(&e));
            }
            _ => {}
        }
    }
    Err(denied.map_or(OpenError::TracefsNotMounted, |errno| {
        OpenError::TracefsDenied { errno }
    }))
}

/// Reads and parses `events/tcp/<event>/format` under `root`.
pub fn read_format(root: &Path, event: &'static str) -> Result<Format, OpenError> {
    let path = root.join("events/tcp").join(event).join("format");
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpenError::NoTracepoint { event },
        std::io::ErrorKind::PermissionDenied => OpenError::TracefsDenied {
            errno: errno_of(&e),
        },
        _ => OpenError::Read {
            event,
            errno: errno_of(&e),
        },
    })?;
    format::parse(&bytes).map_err(|error| OpenError::Format { event, error })
}

/// Both events' layouts, from the formats under `root`.
pub fn read_layouts(root: &Path) -> Result<Layouts, OpenError> {
    let send = read_format(root, SEND)?;
    let receive = read_format(root, RECEIVE)?;
    Layouts::new(&send, &receive).map_err(OpenError::Layout)
}

/// `kernel.perf_event_paranoid`, when readable.
pub fn paranoid() -> Option<i32> {
    std::fs::read_to_string(PARANOID).ok()?.trim().parse().ok()
}

/// The port rule of the caller's network namespace (the kernel's default
/// when the setting cannot be read).
pub fn port_rule() -> PortRule {
    std::fs::read(PORT_RANGE)
        .ok()
        .and_then(|b| PortRule::parse(&b))
        .unwrap_or_default()
}

/// The online CPUs.
pub fn online_cpus() -> Result<Vec<u32>, OpenError> {
    let bytes = std::fs::read(CPU_ONLINE).map_err(|e| OpenError::Cpus {
        errno: errno_of(&e),
        problem: "unreadable",
    })?;
    cpus::parse(&bytes).map_err(|e| OpenError::Cpus {
        errno: 0,
        problem: e.0,
    })
}

#[derive(Debug)]
struct CpuRing {
    cpu: u32,
    // Both events stay open as long as the mapping is used.
    _events: [OwnedFd; 2],
    map: Mapping,
    tail: u64,
}

pub use crate::resets::Drained;

/// The open tracepoints.
#[derive(Debug)]
pub struct Tracer {
    layouts: Layouts,
    rings: Vec<CpuRing>,
    page: usize,
    /// An epoll set of every ring: readable when one holds half its size
    /// (the loop sleeps on it, and drains before the ring is full).
    wake: OwnedFd,
}

impl Tracer {
    /// Finds tracefs, reads both formats and opens the rings on every
    /// online CPU.
    pub fn open(size: RingSize) -> Result<Tracer, OpenError> {
        let layouts = read_layouts(&tracefs()?)?;
        Tracer::with_layouts(layouts, size)
    }

    /// Opens the rings for the events of `layouts` on every online CPU.
    pub fn with_layouts(layouts: Layouts, size: RingSize) -> Result<Tracer, OpenError> {
        let page = page_size();
        let pages = size
            .data_pages
            .max(1)
            .checked_next_power_of_two()
            .unwrap_or(1);
        let cpus = online_cpus()?;
        let wake = epoll_create()?;
        // Woken when half the data area is used.
        let watermark = u32::try_from(pages * page / 2).unwrap_or(u32::MAX);
        let mut rings = Vec::with_capacity(cpus.len());
        for cpu in cpus {
            let open = |event: &'static str, id: u16| {
                perf_event_open(u64::from(id), cpu, watermark).map_err(|errno| match errno {
                    libc::EACCES | libc::EPERM => OpenError::PerfDenied {
                        event,
                        errno,
                        paranoid: paranoid(),
                    },
                    libc::ENOENT | libc::ENODEV | libc::EOPNOTSUPP | libc::EINVAL => {
                        OpenError::PerfUnsupported { event, errno }
                    }
                    _ => OpenError::Perf {
                        step: "perf_event_open",
                        cpu,
                        errno,
                    },
                })
            };
            let send = open(SEND, layouts.send.id)?;
            let receive = open(RECEIVE, layouts.receive.id)?;
            let map = Mapping::new(&send, pages, page, cpu)?;
            ioctl(
                &receive,
                PERF_EVENT_IOC_SET_OUTPUT,
                send.as_raw_fd(),
                "PERF_EVENT_IOC_SET_OUTPUT",
                cpu,
            )?;
            epoll_add(&wake, &send, cpu)?;
            let tail = map.word(DATA_TAIL.offset()).load(Ordering::Acquire);
            rings.push(CpuRing {
                cpu,
                _events: [send, receive],
                map,
                tail,
            });
        }
        for r in &rings {
            for fd in &r._events {
                ioctl(fd, PERF_EVENT_IOC_ENABLE, 0, "PERF_EVENT_IOC_ENABLE", r.cpu)?;
            }
        }
        Ok(Tracer {
            layouts,
            rings,
            page,
            wake,
        })
    }

    /// A descriptor that is readable when a ring holds half its size: the
    /// loop waits on it as well, and drains then.
    pub fn wake(&self) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.wake)
    }

    /// After a drain that the wake descriptor caused: takes its readiness
    /// (one `epoll_wait` that does not wait), so that it reports only new
    /// data.
    pub fn rearm(&mut self) {
        while epoll_take(&self.wake) == EPOLL_TAKEN {}
    }

    pub fn layouts(&self) -> &Layouts {
        &self.layouts
    }

    /// The CPUs read.
    pub fn cpus(&self) -> usize {
        self.rings.len()
    }

    /// Bytes mapped for the rings (control pages included).
    pub fn memory(&self) -> usize {
        self.rings.iter().map(|r| r.map.len).sum()
    }

    /// The page size the rings were sized with.
    pub fn page_size(&self) -> usize {
        self.page
    }

    /// Takes every record the kernel has written since the last drain,
    /// handing each decoded event to `f`. No system call, no allocation.
    pub fn drain(&mut self, mut f: impl FnMut(&Event)) -> Drained {
        let mut d = Drained::default();
        let layouts = &self.layouts;
        for r in &mut self.rings {
            let head = r.map.word(DATA_HEAD.offset()).load(Ordering::Acquire);
            if head == r.tail {
                continue;
            }
            // The kernel writes only outside [tail, head) until data_tail
            // moves, and the walk reads only inside it (after the acquire
            // load of data_head, which orders those writes before the
            // reads).
            let data = r.map.data();
            let w = ring::walk(data, r.tail, head, |rec| match rec {
                Record::Sample(raw) => match layouts.decode(raw) {
                    Ok(e) => {
                        d.events += 1;
                        f(&e);
                    }
                    Err(DecodeError::Short | DecodeError::UnknownType(_)) => d.undecoded += 1,
                },
                Record::Lost { .. } => {}
            });
            d.lost += w.lost;
            d.skipped += w.other + w.too_long + w.corrupt;
            r.tail = w.tail;
            r.map
                .word(DATA_TAIL.offset())
                .store(w.tail, Ordering::Release);
        }
        d
    }
}

impl crate::resets::Tracer for Tracer {
    fn drain(&mut self, f: &mut dyn FnMut(&Event)) -> Drained {
        Tracer::drain(self, f)
    }

    fn reasons(&self) -> Option<Vec<(u32, String)>> {
        let t = self.layouts.reasons()?;
        Some(
            t.entries
                .iter()
                .map(|e| match e.key {
                    format::Key::Value(v) => (u32::try_from(v).unwrap_or(u32::MAX), e.name.clone()),
                    format::Key::Name(_) => (u32::MAX, e.name.clone()),
                })
                .collect(),
        )
    }

    fn states(&self) -> Vec<(i32, String)> {
        (1..=super::event::TCP_STATES.len() as i32)
            .filter_map(|v| Some((v, self.layouts.state_name(v)?.to_string())))
            .collect()
    }

    fn sees_every_sent_reset(&self) -> bool {
        self.layouts.sees_every_sent_reset()
    }

    fn wake(&self) -> std::os::fd::BorrowedFd<'_> {
        Tracer::wake(self)
    }

    fn rearm(&mut self) {
        Tracer::rearm(self)
    }

    fn port_rule(&self) -> PortRule {
        port_rule()
    }

    fn memory(&self) -> usize {
        Tracer::memory(self)
    }
}

#[cfg(test)]
mod tests;
