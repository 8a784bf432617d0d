//! FreeBSD: the counters of `sysctl net.inet.tcp.stats` (`struct tcpstat`)
//! and the settings `net.inet.tcp.syncookies` and `syncookies_only`.
//!
//! The byte decoding ([`tcpstat`]) is platform-independent, so Linux tests
//! and the fuzzer feed it; the source that calls `sysctl` is FreeBSD-only.

pub mod tcpstat;

#[cfg(target_os = "freebsd")]
mod source;

#[cfg(target_os = "freebsd")]
pub use source::FreeBsd;
