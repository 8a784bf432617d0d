//! The Linux source: each file opened once and re-read with one `pread`
//! per sample ([`ProcFile`]); all interpretation of the bytes is in
//! [`proc_table`](super::proc_table).

use super::proc_file::ProcFile;
use super::proc_table::{parse_setting, Status, Table};
use super::{NETSTAT, SNMP, SYNCOOKIES};
use crate::counters::{CounterSet, Section, Values};
use crate::error::Error;
use crate::log::Log;
use crate::source::{Condition, Inventory, Lost, Missing, Source, Trouble, TroubleLog};

/// A file, the table read from it, and how its last read went.
#[derive(Debug)]
struct TableFile {
    file: ProcFile,
    table: Table,
    trouble: TroubleLog,
}

impl TableFile {
    fn new(file: ProcFile, table: Table) -> TableFile {
        let trouble = TroubleLog::new(file.path);
        TableFile {
            file,
            table,
            trouble,
        }
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
        self.trouble.note(log, condition);
    }
}

/// The Linux counters: `/proc/net/snmp`, `/proc/net/netstat` and the
/// SYN-cookie setting.
#[derive(Debug)]
pub struct ProcSource {
    snmp: TableFile,
    netstat: Option<TableFile>,
    syncookies: Option<(ProcFile, TroubleLog)>,
}

impl ProcSource {
    /// Opens the files under `prefix` (`NETDATA_HOST_PREFIX`, may be
    /// empty). Fails, for the plugin to disable itself, when
    /// `/proc/net/snmp` is missing or has none of the `Tcp:` counters of
    /// the resets chart. A missing `/proc/net/netstat` or setting file only
    /// leaves their charts or variable undefined ([`Inventory::missing`]).
    pub fn open(prefix: &str, _log: &mut Log) -> Result<(ProcSource, Inventory), Error> {
        let mut snmp = ProcFile::open(prefix, SNMP)?;
        let mut tcp = Table::new(Section::Tcp);
        let mut values = Values::default();
        let path = snmp.path;
        let text = snmp.read().map_err(|e| Error::Source {
            what: path,
            reason: "cannot read",
            errno: Some(e),
        })?;
        if tcp.read(text.text, &mut values).status == Status::NoSection {
            return Err(Error::Source {
                what: path,
                reason: "has no Tcp: rows",
                errno: None,
            });
        }
        if tcp.present().is_empty() {
            return Err(Error::Source {
                what: path,
                reason: "has none of the Tcp: counters AttemptFails, EstabResets, OutRsts",
                errno: None,
            });
        }
        let mut present = tcp.present();

        let mut missing = Vec::new();
        let tcpext_counters =
            CounterSet::of_iter(crate::counters::Counter::in_section(Section::TcpExt));
        let mut tcpext = Table::new(Section::TcpExt);
        let netstat = match ProcFile::open(prefix, NETSTAT) {
            Ok(mut f) => {
                if let Ok(c) = f.read() {
                    tcpext.read(c.text, &mut values);
                }
                if tcpext.present().is_empty() {
                    missing.push(Missing {
                        cause: format!("{}: has none of the TcpExt: counters", f.path),
                        lost: Lost::Counters(tcpext_counters),
                    });
                    None
                } else {
                    present = present.union(tcpext.present());
                    Some(TableFile::new(f, tcpext))
                }
            }
            Err(e) => {
                missing.push(Missing {
                    cause: e.to_string(),
                    lost: Lost::Counters(tcpext_counters),
                });
                None
            }
        };

        let syncookies = match ProcFile::open(prefix, SYNCOOKIES) {
            Ok(f) => {
                let trouble = TroubleLog::new(f.path);
                Some((f, trouble))
            }
            Err(e) => {
                missing.push(Missing {
                    cause: e.to_string(),
                    lost: Lost::SyncookiesVariable,
                });
                None
            }
        };

        let inventory = Inventory {
            present,
            syncookies: syncookies.is_some(),
            missing,
        };
        let source = ProcSource {
            snmp: TableFile::new(snmp, tcp),
            netstat,
            syncookies,
        };
        Ok((source, inventory))
    }
}

impl Source for ProcSource {
    fn sample(&mut self, values: &mut Values, log: &mut Log) {
        self.snmp.read(values, log);
        if let Some(t) = self.netstat.as_mut() {
            t.read(values, log);
        }
    }

    fn syncookies(&mut self, log: &mut Log) -> Option<i64> {
        let (file, log_trouble) = self.syncookies.as_mut()?;
        let (value, trouble) = match file.read() {
            Ok(c) => match parse_setting(c.text) {
                Some(v) => (Some(v), None),
                None => (None, Some(Trouble::Broken("the setting is not a number"))),
            },
            Err(e) => (None, Some(Trouble::Unreadable(e))),
        };
        log_trouble.note(
            log,
            Condition {
                trouble,
                ..Condition::default()
            },
        );
        value
    }

    /// The `Tcp:` counters come from `/proc/net/snmp`, the others from
    /// `/proc/net/netstat`.
    fn module(&self, counters: CounterSet) -> &'static str {
        let tcp = counters.iter().all(|c| c.linux() == Some(Section::Tcp));
        if tcp {
            "proc_net_snmp"
        } else {
            "proc_net_netstat"
        }
    }
}
