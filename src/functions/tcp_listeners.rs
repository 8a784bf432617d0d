//! The Function `tcp-listeners`: the listeners table of this host
//! ([`crate::listeners`]), read from the kernel at every call and judged
//! against the previous call.

use std::time::{Duration, Instant};

use super::{access, Failure, FunctionDef, Handler, Request};
use crate::clock;
use crate::json;
use crate::listeners::{table, Listeners};
use crate::platform::{Host, Kernel};

/// `tcp-listeners`: global, tagged `top`, callable by whoever may read the
/// agent's data (an anonymous caller of its API included, as netdata's
/// own `network-interfaces`); the owners are shown only to callers with
/// [`access::SENSITIVE`].
pub const DEF: FunctionDef = FunctionDef {
    name: "tcp-listeners",
    help: <Host as Kernel>::LISTENERS.function_help,
    timeout_s: 10,
    tags: "top",
    access: access::ANONYMOUS_DATA,
    priority: 100,
    handler: |_| Box::new(TcpListeners::default()),
};

/// The UI asks again no sooner than this many times what a call cost, so
/// that a dashboard left open costs at most 1/20 of a core.
const COST_FACTOR: u32 = 20;
/// ... and at least every minute.
const MAX_UPDATE_EVERY_S: u64 = 60;

/// The previous call's readings, shared by every caller, and what the
/// last call cost.
#[derive(Debug, Default)]
struct TcpListeners {
    listeners: Listeners,
    cost: Duration,
}

impl TcpListeners {
    /// How often the UI should ask again: the plugin's interval, or more
    /// when a call costs more than 1/20 of it.
    fn update_every(&self, request: &Request<'_>) -> u64 {
        let by_cost = (self.cost * COST_FACTOR).as_secs_f64().ceil() as u64;
        request
            .update_every
            .max(by_cost)
            .clamp(1, MAX_UPDATE_EVERY_S)
    }
}

impl Handler for TcpListeners {
    fn info(&self, request: &Request<'_>) -> String {
        let every = self.update_every(request);
        let mut o = String::new();
        json::table_head(&mut o, DEF.help, every, clock::now().wall_s() + every);
        o.push('}');
        o
    }

    /// Arguments change nothing: there is one table. 503 when the sockets
    /// cannot be read here or the plugin is stopping.
    fn answer(&mut self, request: &Request<'_>) -> Result<String, Failure> {
        let started = Instant::now();
        let listing = Host::listeners(request.stopped, request.sensitive).map_err(|e| Failure {
            status: 503,
            message: e.to_string(),
        })?;
        let t = self.listeners.table(
            listing.rows,
            listing.host,
            listing.unreadable_processes,
            Host::LISTENERS,
            request.sensitive,
        );
        let every = self.update_every(request);
        let body = table::json(&t, every, clock::now().wall_s() + every);
        self.cost = started.elapsed();
        Ok(body)
    }
}
