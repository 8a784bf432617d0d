//! FreeBSD: the counters of `sysctl net.inet.tcp.stats` (`struct tcpstat`)
//! and the settings `net.inet.tcp.syncookies` and `syncookies_only`; the
//! listening sockets of `sysctl net.inet.tcp.pcblist` and their owners
//! (`kern.file`, `kern.proc.pid`).
//!
//! The byte decoding ([`tcpstat`], [`pcblist`], [`owners`]) is
//! platform-independent, so Linux tests and the fuzzer feed it; the code
//! that calls `sysctl` is FreeBSD-only (here `FreeBsd`, and the
//! listeners' reader in `listeners/freebsd.rs`).

pub mod owners;
pub mod pcblist;
pub mod tcpstat;

#[cfg(target_os = "freebsd")]
mod source;

#[cfg(target_os = "freebsd")]
pub use source::FreeBsd;
