//! `--pin`: both servers on one CPU and the OpenSSH clients on another, so that a figure
//! shows what a server does when its client does not compete for its core. On two cores
//! the default run lets them share both, and a server that leaves more of the machine to a
//! busy client looks only as fast as that client.
//!
//! Pinning goes through `taskset`, which sets the CPU list and then execs the program, so
//! the child's pid (read from `/proc` for CPU and memory) is the program's own, and every
//! thread and process it starts inherits the list. The bench's own russh clients (held
//! sessions, the password flood) are not pinned.

use std::ffi::OsStr;

use tokio::process::Command;

/// Where the servers and the clients run, as `taskset -c` CPU lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub servers: &'static str,
    pub clients: &'static str,
}

/// The CPUs `--pin` uses; it needs at least two.
pub const PIN: Pin = Pin {
    servers: "1",
    clients: "0",
};

/// `program` to run on `cpus`, or anywhere if `None`.
pub fn command(program: impl AsRef<OsStr>, cpus: Option<&str>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.args(["-c", cpus]).arg(program);
            command
        }
        None => Command::new(program),
    }
}
