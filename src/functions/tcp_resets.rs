//! The Function `tcp-resets`: who the resets are exchanged with and why,
//! from the reset tracepoints ([`crate::resets`]), which the loop drains;
//! reading the table costs no kernel call.

use std::cell::RefCell;
use std::rc::Rc;

use super::{access, Context, Failure, FunctionDef, Handler, Request};
use crate::clock;
use crate::json;
use crate::resets::{table, Resets};

/// `tcp-resets`: global, tagged `top`, callable by whoever may read the
/// agent's data; the peers are shown only to callers with
/// [`access::SENSITIVE`], as netdata's own `network-connections` shows
/// connections only to them.
pub const DEF: FunctionDef = FunctionDef {
    name: "tcp-resets",
    help: "TCP resets sent and received: by peer, port, the kernel's reason and state, the \
           last minute and the last 10 minutes, the busiest first",
    timeout_s: 10,
    tags: "top",
    access: access::ANONYMOUS_DATA,
    priority: 101,
    handler: |c| Box::new(TcpResets::new(c)),
};

/// The shared tracepoints, or why there are none.
#[derive(Debug)]
struct TcpResets {
    resets: Result<Rc<RefCell<Resets>>, String>,
}

impl TcpResets {
    fn new(c: &Context) -> TcpResets {
        TcpResets {
            resets: c
                .resets
                .clone()
                .unwrap_or_else(|| Err("the plugin was started with --no-trace".to_string())),
        }
    }
}

impl Handler for TcpResets {
    fn info(&self, request: &Request<'_>) -> String {
        let every = request.update_every.max(1);
        let mut o = String::new();
        json::table_head(&mut o, DEF.help, every, clock::now().wall_s() + every);
        o.push('}');
        o
    }

    /// 503, with what to grant, when the tracepoints are not open.
    fn answer(&mut self, request: &Request<'_>) -> Result<String, Failure> {
        let shared = self.resets.as_ref().map_err(|why| Failure {
            status: 503,
            message: format!("the reset tracepoints are not open: {why}"),
        })?;
        let now = clock::now().wall_s();
        let mut r = shared.borrow_mut();
        // What came since the last sample.
        r.drain(now);
        let every = request.update_every.max(1);
        Ok(table::json(&r, request.sensitive, now, every, now + every))
    }
}
