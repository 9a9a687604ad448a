//! A running server under test, whichever it is: its address, the user to log in as, the
//! folder on disk where that user's files land, and its process. Dropping it kills the
//! process and every process below it (sshd's sessions call `setsid`, so a process-group
//! kill would miss them).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rustix::process::{Pid, Signal, kill_process};
use serde::Serialize;
use tokio::process::Child;

use crate::procfs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Kind {
    Gatehouse,
    OpenSsh,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Gatehouse => "Gatehouse",
            Kind::OpenSsh => "OpenSSH",
        }
    }
}

pub struct Server {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub user: String,
    /// The user's SFTP root as a folder on disk.
    pub root: PathBuf,
    pub log: PathBuf,
    pid: u32,
    child: Child,
}

impl Server {
    /// Wraps a spawned server and waits until its port accepts connections.
    pub async fn ready(
        kind: Kind,
        addr: SocketAddr,
        user: String,
        root: PathBuf,
        log: PathBuf,
        mut child: Child,
    ) -> anyhow::Result<Server> {
        let pid = child.id().context("the server exited at once")?;
        let started = Instant::now();
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "{} exited with {status}; see {}",
                    kind.name(),
                    log.display()
                );
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "{} did not listen within 60 s; see {}",
                    kind.name(),
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Server {
            kind,
            addr,
            user,
            root,
            log,
            pid,
            child,
        })
    }

    /// CPU seconds the server and its sessions have used since start.
    pub fn cpu_seconds(&self) -> f64 {
        procfs::cpu_seconds(self.pid)
    }

    /// PSS in KiB of the server and all its session processes.
    pub fn pss_kib(&self) -> u64 {
        procfs::pss_kib(self.pid)
    }

    /// Live processes of the server, itself included.
    pub fn processes(&self) -> usize {
        procfs::tree(self.pid).len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for pid in procfs::tree(self.pid).into_iter().rev() {
            if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
                let _ = kill_process(pid, Signal::KILL);
            }
        }
        let _ = self.child.start_kill();
    }
}

/// A loopback port nobody listens on right now. Another process could take it before the
/// server binds it; the server then fails to start and the run says so.
pub fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}
