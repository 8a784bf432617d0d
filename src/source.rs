//! The contract between the loop and a platform's kernel counters: the
//! [`Source`] trait, what a source knows at start-up ([`Inventory`]), and
//! the one way a source reports trouble ([`TroubleLog`]): once when a
//! condition starts, once when it ends, never on every sample.

use crate::counters::{Counter, CounterSet, Values};
use crate::log::Log;
use crate::sys::Errno;

/// The kernel's counters, read once per sample.
///
/// Implemented by the Linux source (`/proc`) and the FreeBSD source
/// (`sysctl`); the loop only sees this.
pub trait Source {
    /// Reads every counter of one sample into `values` (all `None` on
    /// entry); counters that are absent or unreadable this tick stay `None`.
    /// Trouble is reported through `log`, once per change.
    fn sample(&mut self, values: &mut Values, log: &mut Log);

    /// Reads the SYN-cookie setting on Linux's scale: 0 off, 1 when a SYN
    /// queue overflows, 2 always. `None` when it cannot be read.
    fn syncookies(&mut self, log: &mut Log) -> Option<i64>;

    /// Where `counters` come from, as the `module` word of a chart's
    /// definition names it (`proc_net_snmp`, `net.inet.tcp.stats`).
    fn module(&self, counters: CounterSet) -> &'static str;
}

/// What a source found when it was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inventory {
    /// The counters that exist on this host; they decide which charts and
    /// dimensions are defined.
    pub present: CounterSet,
    /// Whether the SYN-cookie setting can be read at all.
    pub syncookies: bool,
    /// What could not be opened, in the order found; the plugin runs
    /// without it and says what that costs (one warning each).
    pub missing: Vec<Missing>,
}

/// Something a source could not open at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// What went wrong, naming the file or sysctl.
    pub cause: String,
    /// What is lost because of it.
    pub lost: Lost,
}

/// What a [`Missing`] costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    /// These counters, and the charts made of nothing else.
    Counters(CounterSet),
    /// The `tcp_syncookies` chart variable.
    SyncookiesVariable,
}

/// Why a source gave no values this tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// It could not be read: the error.
    Unreadable(Errno),
    /// It was read but makes no sense: why.
    Broken(&'static str),
}

/// How one read of a source went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Condition {
    /// Why nothing could be used, if so.
    pub trouble: Option<Trouble>,
    /// Counters whose value was not a counter (garbage, a sign, too big).
    pub bad: CounterSet,
    /// The source was larger than its buffer and its last line was dropped.
    pub cut: bool,
}

/// Logs a source's condition when it changes, never on every sample.
#[derive(Clone, Copy, Debug)]
pub struct TroubleLog {
    /// The file or sysctl, for messages.
    name: &'static str,
    last: Condition,
}

impl TroubleLog {
    /// A source named `name`, assumed in good condition.
    pub fn new(name: &'static str) -> TroubleLog {
        TroubleLog {
            name,
            last: Condition::default(),
        }
    }

    /// Notes how this read went and logs what changed: trouble starting (an
    /// error naming the path and why) or ending (values resume), a counter
    /// that became unreadable, the source outgrowing its buffer.
    pub fn note(&mut self, log: &mut Log, now: Condition) {
        if now == self.last {
            return;
        }
        if now.trouble != self.last.trouble {
            match now.trouble {
                Some(Trouble::Unreadable(e)) => {
                    let why = e.describe();
                    log.error(&[
                        self.name,
                        ": cannot read: ",
                        why.as_str(),
                        "; values left empty until it recovers",
                    ]);
                }
                Some(Trouble::Broken(why)) => {
                    log.error(&[
                        self.name,
                        ": ",
                        why,
                        "; values left empty until it recovers",
                    ]);
                }
                None => log.info(&[self.name, ": readable again; values resume"]),
            }
        }
        for c in now.bad.minus(self.last.bad).iter() {
            log.error(&[
                self.name,
                ": the value of ",
                Counter::name(c),
                " is not a counter; left empty until it is",
            ]);
        }
        if now.cut && !self.last.cut {
            log.warning(&[
                self.name,
                ": larger than the buffer sized at start-up; its last line is ignored",
            ]);
        }
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Log;

    /// What `f` logs, line by line, in the plain format.
    fn logged(f: impl FnOnce(&mut Log)) -> Vec<String> {
        let mut log = Log::memory_for_tests();
        f(&mut log);
        log.memory_text().lines().map(str::to_string).collect()
    }

    fn broken(why: &'static str) -> Condition {
        Condition {
            trouble: Some(Trouble::Broken(why)),
            ..Condition::default()
        }
    }

    fn unreadable() -> Condition {
        Condition {
            trouble: Some(Trouble::Unreadable(Errno::NOENT)),
            ..Condition::default()
        }
    }

    #[test]
    fn broken_unreadable_broken_is_logged_at_every_change() {
        let lines = logged(|log| {
            let mut w = TroubleLog::new("/proc/sys/net/ipv4/tcp_syncookies");
            for c in [
                broken("the setting is not a number"),
                broken("the setting is not a number"),
                unreadable(),
                unreadable(),
                broken("the setting is not a number"),
                Condition::default(),
                Condition::default(),
            ] {
                w.note(log, c);
            }
        });
        assert_eq!(
            lines,
            [
                "tcp_resets.plugin: error: /proc/sys/net/ipv4/tcp_syncookies: the setting is not a number; values left empty until it recovers",
                "tcp_resets.plugin: error: /proc/sys/net/ipv4/tcp_syncookies: cannot read: No such file or directory; values left empty until it recovers",
                "tcp_resets.plugin: error: /proc/sys/net/ipv4/tcp_syncookies: the setting is not a number; values left empty until it recovers",
                "tcp_resets.plugin: info: /proc/sys/net/ipv4/tcp_syncookies: readable again; values resume",
            ]
        );
    }

    #[test]
    fn each_bad_counter_once_and_again_after_it_recovered() {
        let bad = |cs: &[Counter]| Condition {
            bad: CounterSet::of(cs),
            ..Condition::default()
        };
        let lines = logged(|log| {
            let mut w = TroubleLog::new("snmp");
            w.note(log, bad(&[Counter::OutRsts]));
            w.note(log, bad(&[Counter::OutRsts, Counter::AttemptFails]));
            w.note(log, bad(&[Counter::AttemptFails]));
            w.note(log, bad(&[Counter::OutRsts, Counter::AttemptFails]));
        });
        assert_eq!(
            lines,
            [
                "tcp_resets.plugin: error: snmp: the value of OutRsts is not a counter; left empty until it is",
                "tcp_resets.plugin: error: snmp: the value of AttemptFails is not a counter; left empty until it is",
                "tcp_resets.plugin: error: snmp: the value of OutRsts is not a counter; left empty until it is",
            ]
        );
    }

    #[test]
    fn outgrowing_the_buffer_is_said_once() {
        let cut = Condition {
            cut: true,
            ..Condition::default()
        };
        let lines = logged(|log| {
            let mut w = TroubleLog::new("netstat");
            for _ in 0..3 {
                w.note(log, cut);
            }
        });
        assert_eq!(lines.len(), 1);
        assert!(lines[0].ends_with("its last line is ignored"), "{lines:?}");
    }
}
