//! Reading a child's output line by line with bounded waits: a thread reads,
//! the test waits on a channel with a deadline.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Lines of a stream, each with the time it arrived.
#[derive(Debug)]
pub struct Lines {
    rx: Receiver<(Instant, String)>,
}

impl Lines {
    /// Starts reading `r` on a thread that ends at end of file.
    pub fn new(r: impl Read + Send + 'static) -> Lines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(r).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        Lines { rx }
    }

    /// The next line and its arrival time, or `None` when none came within
    /// `limit` (or the stream ended).
    pub fn next_timed(&self, limit: Duration) -> Option<(Instant, String)> {
        self.rx.recv_timeout(limit).ok()
    }

    /// The next line within `limit`, or `None`.
    pub fn next(&self, limit: Duration) -> Option<String> {
        self.next_timed(limit).map(|(_, l)| l)
    }

    /// The first line within `limit` for which `want` holds; panics naming
    /// `what` when none comes.
    pub fn wait_for(&self, what: &str, limit: Duration, want: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((_, l)) if want(&l) => return l,
                Ok(_) => {}
                Err(e) => panic!("no {what} within {limit:?}: {e}"),
            }
        }
    }

    /// Every line that arrives within `d`.
    pub fn collect_for(&self, d: Duration) -> Vec<(Instant, String)> {
        let end = Instant::now() + d;
        let mut v = Vec::new();
        while let Ok(x) = self
            .rx
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {
            v.push(x);
        }
        v
    }

    /// Waits for the end of the first sample: an `END` followed by `quiet`
    /// without a line. Panics when it does not come within `limit`.
    pub fn first_sample(&self, limit: Duration, quiet: Duration) {
        let end = Instant::now() + limit;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((_, l)) if l == "END" => {
                    if self.rx.recv_timeout(quiet).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("no first sample within {limit:?}: {e}"),
            }
        }
    }
}
