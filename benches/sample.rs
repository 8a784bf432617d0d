//! Per-sample cost on this machine's live /proc, against two yardsticks:
//!
//! 1. `floor/pread`: a bare `pread` of every file one sample reads — what the
//!    kernel charges for producing the text at all;
//! 2. `sample/whole`: the plugin's whole sample — read, parse, format into
//!    the output buffer and write to /dev/null;
//! 3. `parse/*`: parsing only, on fixed text, ours against the `procfs`
//!    crate parsing the same `/proc/net/snmp` text;
//! 4. `sample/whole_traced`: the whole sample with the reset tracepoints
//!    open (the rings drained, `tcp_resets.sent_reasons` formatted), as the
//!    plugin runs by default; its difference to `sample/whole` is what
//!    tracing adds to a sample in user space when no reset happens. Needs
//!    what the plugin needs to trace (root or CAP_PERFMON, tracefs): without
//!    it, it says why on stderr and is not run.
//!
//! The ratios 2/1 and procfs/ours go into the README (`benches/measure.sh`
//! prints them from criterion's estimates).

use std::cell::RefCell;
use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::rc::Rc;

use criterion::{criterion_group, criterion_main, Criterion};
use procfs_core::FromBufRead;
use tcp_resets::counters::{Section, Values};
use tcp_resets::log::Log;
use tcp_resets::platform::linux::proc_table::Table;
use tcp_resets::platform::linux::{NETSTAT, SNMP};
use tcp_resets::platform::{Host, Kernel};
use tcp_resets::plugin::Plugin;
use tcp_resets::resets::Resets;

fn floor(c: &mut Criterion) {
    let snmp = File::open(SNMP).unwrap();
    let netstat = File::open(NETSTAT).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    c.bench_function("floor/pread", |b| {
        b.iter(|| {
            black_box(snmp.read_at(&mut buf, 0).unwrap());
            black_box(netstat.read_at(&mut buf, 0).unwrap());
        })
    });
}

fn whole(c: &mut Criterion) {
    bench_whole(c, "sample/whole", None);
}

fn whole_traced(c: &mut Criterion) {
    let tracer = match Host::tracer() {
        Ok(t) => t,
        Err(why) => {
            eprintln!("sample/whole_traced not run: cannot open the reset tracepoints: {why}");
            return;
        }
    };
    let resets = Rc::new(RefCell::new(Resets::new(Box::new(tracer), 0)));
    bench_whole(c, "sample/whole_traced", Some(resets));
}

/// The plugin's whole sample on live /proc, written to /dev/null, with the
/// reset tracepoints when `resets` is given.
fn bench_whole(c: &mut Criterion, name: &str, resets: Option<Rc<RefCell<Resets>>>) {
    let mut log = Log::from_env(|_| None);
    let (source, found) = Host::open("", &mut log).expect("live /proc");
    let mut plugin = Plugin::new(source, found, 1, resets, &mut log).unwrap();
    let mut sink = File::create("/dev/null").unwrap();
    plugin.sample(None, &mut log);
    c.bench_function(name, |b| {
        b.iter(|| {
            let bytes = plugin.sample(Some(1_000_000), &mut log);
            sink.write_all(bytes).unwrap();
        })
    });
}

fn parse(c: &mut Criterion) {
    let snmp = std::fs::read(SNMP).unwrap();
    let netstat = std::fs::read(NETSTAT).unwrap();
    let mut tcp = Table::new(Section::Tcp);
    let mut ext = Table::new(Section::TcpExt);
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

criterion_group!(benches, floor, whole, whole_traced, parse);
criterion_main!(benches);
