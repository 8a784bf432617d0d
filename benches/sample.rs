//! Per-sample cost on this machine's live /proc, against two yardsticks:
//!
//! 1. `floor/pread`: a bare `pread` of every file one sample reads — what the
//!    kernel charges for producing the text at all;
//! 2. `sample/whole`: the plugin's whole sample — read, parse, format into
//!    the output buffer and write to /dev/null;
//! 3. `parse/*`: parsing only, on fixed text, ours against the `procfs`
//!    crate parsing the same `/proc/net/snmp` text.
//!
//! The ratios 2/1 and procfs/ours go into the README (`benches/measure.sh`
//! prints them from criterion's estimates).

use std::ffi::CString;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use procfs_core::FromBufRead;
use tcp_resets::counters::Values;
use tcp_resets::linux::{Linux, NETSTAT, SNMP, TCPEXT_COLUMNS, TCP_COLUMNS};
use tcp_resets::log::Log;
use tcp_resets::plugin::Plugin;
use tcp_resets::proc_table::Table;
use tcp_resets::sys;

fn open(path: &str) -> i32 {
    sys::open_read(&CString::new(path).unwrap()).expect(path)
}

fn floor(c: &mut Criterion) {
    let snmp = open(SNMP);
    let netstat = open(NETSTAT);
    let mut buf = vec![0u8; 64 * 1024];
    c.bench_function("floor/pread", |b| {
        b.iter(|| {
            black_box(sys::pread0(snmp, &mut buf).unwrap());
            black_box(sys::pread0(netstat, &mut buf).unwrap());
        })
    });
    sys::close(snmp);
    sys::close(netstat);
}

fn whole(c: &mut Criterion) {
    let mut log = Log::from_env(|_| None);
    let source = Linux::open("", &mut log).expect("live /proc");
    let mut plugin = Plugin::new(source, 1).unwrap();
    let sink = sys::open_write(&CString::new("/dev/null").unwrap()).unwrap();
    plugin.sample(None, &mut log);
    c.bench_function("sample/whole", |b| {
        b.iter(|| {
            let bytes = plugin.sample(Some(1_000_000), &mut log);
            sys::write_all(sink, bytes).unwrap();
        })
    });
    sys::close(sink);
}

fn parse(c: &mut Criterion) {
    let snmp = std::fs::read(SNMP).unwrap();
    let netstat = std::fs::read(NETSTAT).unwrap();
    let mut tcp = Table::new(b"Tcp:", TCP_COLUMNS);
    let mut ext = Table::new(b"TcpExt:", TCPEXT_COLUMNS);
    let mut v = Values::default();
    c.bench_function("parse/ours_snmp", |b| {
        b.iter(|| black_box(tcp.read(black_box(&snmp), &mut v)))
    });
    c.bench_function("parse/procfs_snmp", |b| {
        b.iter(|| black_box(procfs_core::net::Snmp::from_buf_read(black_box(&snmp[..])).unwrap()))
    });
    c.bench_function("parse/ours_snmp_and_netstat", |b| {
        b.iter(|| {
            black_box(tcp.read(black_box(&snmp), &mut v));
            black_box(ext.read(black_box(&netstat), &mut v));
        })
    });
}

criterion_group!(benches, floor, whole, parse);
criterion_main!(benches);
