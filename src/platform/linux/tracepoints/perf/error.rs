//! Why the tracepoints cannot be read, said for a person.

use std::fmt;

use super::super::event::LayoutError;
use super::super::format::FormatError;
use super::CPU_ONLINE;

/// Why the tracepoints cannot be read. Each says what to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// No tracefs with events at any of [`TRACEFS`](super::TRACEFS).
    TracefsNotMounted,
    /// tracefs is there but may not be read (mode 0700 root).
    TracefsDenied {
        errno: i32,
    },
    /// The kernel has no such tracepoint (before 4.15, or TCP tracepoints
    /// not built).
    NoTracepoint {
        event: &'static str,
    },
    /// Another error reading a format file.
    Read {
        event: &'static str,
        errno: i32,
    },
    Format {
        event: &'static str,
        error: FormatError,
    },
    Layout(LayoutError),
    /// The online CPU list cannot be read or parsed.
    Cpus {
        errno: i32,
        problem: &'static str,
    },
    /// `perf_event_open` refused (EACCES/EPERM); the setting is
    /// `kernel.perf_event_paranoid`'s value when it could be read.
    PerfDenied {
        event: &'static str,
        errno: i32,
        paranoid: Option<i32>,
    },
    /// `perf_event_open` does not know the tracepoint (ENOENT, ENODEV,
    /// EOPNOTSUPP, EINVAL).
    PerfUnsupported {
        event: &'static str,
        errno: i32,
    },
    /// Another failure of a step (`perf_event_open`, `mmap`, `ioctl`).
    Perf {
        step: &'static str,
        cpu: u32,
        errno: i32,
    },
}

fn describe(f: &mut fmt::Formatter<'_>, errno: i32) -> fmt::Result {
    write!(f, "{}", std::io::Error::from_raw_os_error(errno))
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            OpenError::TracefsNotMounted => f.write_str(
                "tracefs is not mounted at /sys/kernel/tracing (mount -t tracefs nodev /sys/kernel/tracing)",
            ),
            OpenError::TracefsDenied { errno } => {
                f.write_str("cannot read tracefs (/sys/kernel/tracing is mode 0700 root): ")?;
                describe(f, errno)?;
                f.write_str(
                    "; the plugin needs CAP_DAC_READ_SEARCH to read the tracepoints' formats and \
                     CAP_PERFMON to trace them (CAP_SYS_ADMIN where kernel.perf_event_paranoid \
                     is 3, Debian's default): see Privileges in the README",
                )
            }
            OpenError::NoTracepoint { event } => write!(
                f,
                "this kernel has no tracepoint tcp:{event} (needs Linux 4.15 or later with CONFIG_TRACEPOINTS)"
            ),
            OpenError::Read { event, errno } => {
                write!(f, "cannot read the format of tcp:{event}: ")?;
                describe(f, errno)
            }
            OpenError::Format { event, error } => {
                write!(f, "the format of tcp:{event} does not parse: {error}")
            }
            OpenError::Layout(e) => write!(f, "unknown record layout: {e}"),
            OpenError::Cpus { errno, problem } => {
                write!(f, "cannot read the online CPUs ({CPU_ONLINE}): {problem}")?;
                if errno != 0 {
                    f.write_str(": ")?;
                    describe(f, errno)?;
                }
                Ok(())
            }
            OpenError::PerfDenied {
                event,
                errno,
                paranoid,
            } => {
                write!(f, "perf_event_open(tcp:{event}) was refused (")?;
                describe(f, errno)?;
                f.write_str("): kernel.perf_event_paranoid is ")?;
                match paranoid {
                    Some(p) => write!(f, "{p}")?,
                    None => f.write_str("unknown")?,
                }
                f.write_str(
                    "; system-wide tracepoint samples need CAP_PERFMON (or CAP_SYS_ADMIN), \
                     and CAP_SYS_ADMIN when it is 3 (Debian's default)",
                )
            }
            OpenError::PerfUnsupported { event, errno } => {
                write!(f, "perf cannot trace tcp:{event} (")?;
                describe(f, errno)?;
                f.write_str("; is CONFIG_PERF_EVENTS set?)")
            }
            OpenError::Perf { step, cpu, errno } => {
                write!(f, "{step} failed on CPU {cpu}: ")?;
                describe(f, errno)
            }
        }
    }
}

impl std::error::Error for OpenError {}
