//! FreeBSD: the counters of `sysctl net.inet.tcp.stats` (`struct tcpstat`)
//! and the settings `net.inet.tcp.syncookies` and `syncookies_only`; the
//! listening sockets of `sysctl net.inet.tcp.pcblist`.
//!
//! The byte decoding ([`tcpstat`], [`pcblist`]) is platform-independent,
//! so Linux tests and the fuzzer feed it; the source that calls `sysctl` is
//! FreeBSD-only.

pub mod pcblist;
pub mod tcpstat;

#[cfg(target_os = "freebsd")]
mod source;

#[cfg(target_os = "freebsd")]
pub use source::FreeBsd;
