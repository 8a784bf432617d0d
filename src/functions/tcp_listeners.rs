//! The Function `tcp-listeners`: the listeners table of this host
//! ([`crate::listeners`]), read from the kernel at every call.

use super::{Failure, FunctionDef, Handler, Request};
use crate::clock;
use crate::listeners::{table, Listeners};
use crate::platform::{Host, Kernel};

/// `tcp-listeners`: global, tagged `top`, callable without a Netdata Cloud
/// login (access `0x0`).
pub const DEF: FunctionDef = FunctionDef {
    name: "tcp-listeners",
    help: <Host as Kernel>::LISTENERS.function_help,
    timeout_s: 10,
    tags: "top",
    access: "0x0",
    priority: 100,
    handler: || Box::new(TcpListeners::default()),
};

/// The drops seen at the previous call, shared by every caller.
#[derive(Debug, Default)]
struct TcpListeners {
    listeners: Listeners,
}

impl Handler for TcpListeners {
    /// Arguments (the UI may send "info") change nothing: there is one
    /// table. 503 when the sockets cannot be read here or the plugin is
    /// stopping.
    fn answer(&mut self, request: &Request<'_>) -> Result<String, Failure> {
        let listing = Host::listeners(request.stopped).map_err(|e| Failure {
            status: 503,
            message: e.to_string(),
        })?;
        let t = self
            .listeners
            .table(listing.rows, listing.unreadable_processes, Host::LISTENERS);
        Ok(table::json(&t, request.update_every, clock::now().wall_s()))
    }
}
