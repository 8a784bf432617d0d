//! The Linux source: each file opened once and re-read with one `pread`
//! per sample ([`ProcFile`]); all interpretation of the bytes is in
//! [`proc_table`](super::proc_table).

use super::proc_file::ProcFile;
use super::proc_table::{parse_setting, Status, Table};
use super::{NETSTAT, SNMP, SYNCOOKIES, TCPEXT_COUNTERS, TCP_COUNTERS};
use crate::charts::CHART_KINDS;
use crate::counters::Values;
use crate::error::Error;
use crate::log::Log;
use crate::source::{Condition, Inventory, Source, Trouble, Watch};

/// A file, the table read from it, and how its last read went.
#[derive(Debug)]
struct TableFile {
    file: ProcFile,
    table: Table,
    watch: Watch,
}

impl TableFile {
    fn new(file: ProcFile, table: Table) -> TableFile {
        let watch = Watch::new(file.path);
        TableFile { file, table, watch }
    }

    /// Reads the table into `values`, noting the file's condition.
    fn read(&mut self, values: &mut Values, log: &mut Log) {
        let condition = match self.file.read() {
            Err(e) => Condition {
                trouble: Some(Trouble::Unreadable(e)),
                ..Condition::default()
            },
            Ok(c) => {
                let outcome = self.table.read(c.text, values);
                Condition {
                    trouble: match outcome.status {
                        Status::Ok => None,
                        Status::NoSection => Some(Trouble::Broken("its section is missing")),
                        Status::NoValues => Some(Trouble::Broken(
                            "a header line is not followed by its values line",
                        )),
                        Status::CountMismatch => Some(Trouble::Broken(
                            "the values line has a different number of columns than the header",
                        )),
                    },
                    bad: outcome.bad,
                    cut: c.cut,
                }
            }
        };
        self.watch.note(log, condition);
    }
}

/// The Linux source.
#[derive(Debug)]
pub struct Linux {
    snmp: TableFile,
    netstat: Option<TableFile>,
    syncookies: Option<(ProcFile, Watch)>,
}

impl Linux {
    /// Opens the files under `prefix` (`NETDATA_HOST_PREFIX`, may be
    /// empty). Fails, for the plugin to disable itself, when
    /// `/proc/net/snmp` is missing or has none of the `Tcp:` counters of
    /// the resets chart. A missing `/proc/net/netstat` or setting file only
    /// leaves their charts or variable undefined (one warning each).
    pub fn open(prefix: &str, log: &mut Log) -> Result<(Linux, Inventory), Error> {
        let mut snmp = ProcFile::open(prefix, SNMP)?;
        let mut tcp = Table::new(b"Tcp:", TCP_COUNTERS);
        let mut values = Values::default();
        let path = snmp.path;
        let text = snmp.read().map_err(|e| Error::Source {
            path,
            reason: "cannot read",
            errno: Some(e),
        })?;
        if tcp.read(text.text, &mut values).status == Status::NoSection {
            return Err(Error::Source {
                path,
                reason: "has no Tcp: rows",
                errno: None,
            });
        }
        if tcp.present().is_empty() {
            return Err(Error::Source {
                path,
                reason: "has none of the Tcp: counters AttemptFails, EstabResets, OutRsts",
                errno: None,
            });
        }
        let mut present = tcp.present();

        let mut tcpext = Table::new(b"TcpExt:", TCPEXT_COUNTERS);
        let netstat = match ProcFile::open(prefix, NETSTAT) {
            Ok(mut f) => {
                if let Ok(c) = f.read() {
                    tcpext.read(c.text, &mut values);
                }
                if tcpext.present().is_empty() {
                    log.warning(&[
                        f.path,
                        ": no TcpExt: counter of the causes, SYN-cookie or spoofing charts; those charts are not defined",
                    ]);
                    None
                } else {
                    present = present.union(tcpext.present());
                    Some(TableFile::new(f, tcpext))
                }
            }
            Err(e) => {
                log.warning(&[
                    &e.without_consequence(),
                    "; the causes, SYN-cookie and spoofing charts are not defined",
                ]);
                None
            }
        };

        let syncookies = match ProcFile::open(prefix, SYNCOOKIES) {
            Ok(f) => {
                let watch = Watch::new(f.path);
                Some((f, watch))
            }
            Err(e) => {
                log.warning(&[
                    &e.without_consequence(),
                    "; the tcp_syncookies variable is not sent",
                ]);
                None
            }
        };

        let inventory = Inventory {
            present,
            syncookies: syncookies.is_some(),
            modules: {
                let mut m = ["proc_net_netstat"; CHART_KINDS];
                m[crate::charts::ChartKind::Resets as usize] = "proc_net_snmp";
                m
            },
        };
        let linux = Linux {
            snmp: TableFile::new(snmp, tcp),
            netstat,
            syncookies,
        };
        Ok((linux, inventory))
    }
}

impl Source for Linux {
    fn sample(&mut self, values: &mut Values, log: &mut Log) {
        self.snmp.read(values, log);
        if let Some(t) = self.netstat.as_mut() {
            t.read(values, log);
        }
    }

    fn syncookies(&mut self, log: &mut Log) -> Option<i64> {
        let (file, watch) = self.syncookies.as_mut()?;
        let (value, trouble) = match file.read() {
            Ok(c) => match parse_setting(c.text) {
                Some(v) => (Some(v), None),
                None => (None, Some(Trouble::Broken("the setting is not a number"))),
            },
            Err(e) => (None, Some(Trouble::Unreadable(e))),
        };
        watch.note(
            log,
            Condition {
                trouble,
                ..Condition::default()
            },
        );
        value
    }
}
