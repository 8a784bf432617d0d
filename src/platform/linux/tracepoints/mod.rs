//! The reset tracepoints `tcp:tcp_send_reset` and `tcp:tcp_receive_reset`,
//! read through `perf_event_open(2)` and a per-CPU mmap ring, without eBPF
//! and without packet capture.
//!
//! * [`format`](mod@format): the parser of a tracefs `format` file (pure);
//! * [`event`]: the records' layouts of both kernel generations (4.15–6.9
//!   and 6.10+) and the decoder of one sample (pure);
//! * [`ring`]: the decoder of a perf mmap ring (pure);
//! * [`cpus`]: the online-CPU list parser (pure);
//! * `perf` (Linux): opening the events, mapping the rings, draining.

pub mod cpus;
pub mod event;
pub mod format;
#[cfg(target_os = "linux")]
pub mod perf;
pub mod ring;

#[cfg(test)]
mod fixtures;
