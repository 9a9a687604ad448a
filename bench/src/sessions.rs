//! Memory per idle authenticated SFTP session, and after each session has moved a file.
//!
//! One russh process holds `sessions` connections to one server at a time, each logged in
//! with the key and with its SFTP subsystem started. The figure is the server's PSS (the
//! server process and, for sshd, every per-session process below it) with the sessions
//! held, minus its PSS before they opened, divided by the sessions that opened. "After a
//! transfer": every session then downloads the same 1 MiB file and stays open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure};
use futures::{StreamExt, stream};
use russh::keys::PrivateKey;
use russh_sftp::client::SftpSession;
use tokio::io::AsyncReadExt;

use crate::Bench;
use crate::report::{Better, Report};
use crate::russh_client::{self, Connection};
use crate::server::Server;
use crate::settings::Settings;
use crate::stats::BySide;
use crate::transfer::{MIB, ensure_file};

const FILE: &str = "session.bin";
/// Logins in flight at once; sshd's default MaxStartups would refuse more than 10.
const OPENING: usize = 32;
/// The time every step of this phase may take per server.
const LIMIT: Duration = Duration::from_secs(900);

pub async fn run(bench: &Bench, report: &mut Report) -> anyhow::Result<()> {
    let key = Arc::new(russh::keys::load_secret_key(&bench.key, None)?);
    let (mut idle, mut after) = (BySide::default(), BySide::default());
    for server in bench.in_order(0) {
        ensure_file(&server.root.join(FILE), MIB)?;
        let memory = measure(server, key.clone(), &bench.settings).await?;
        idle.push(server.kind, memory.idle_kib);
        after.push(server.kind, memory.after_kib);
        report.note(format!(
            "{}: {} of {} sessions opened in {:.1} s, {} server processes while held, \
             slowest 1 MiB download on them {:.1} s",
            server.kind.name(),
            memory.opened,
            bench.settings.sessions,
            memory.open_secs,
            memory.processes,
            memory.slowest_download_secs
        ));
    }
    report.add("memory per idle SFTP session", "KiB", Better::Lower, &idle);
    report.add(
        "memory per session after a 1 MiB download",
        "KiB",
        Better::Lower,
        &after,
    );
    Ok(())
}

struct Memory {
    opened: usize,
    open_secs: f64,
    processes: usize,
    idle_kib: f64,
    after_kib: f64,
    slowest_download_secs: f64,
}

async fn measure(
    server: &Server,
    key: Arc<PrivateKey>,
    settings: &Settings,
) -> anyhow::Result<Memory> {
    let count = settings.sessions;
    let before = server.pss_kib() as f64;
    let started = Instant::now();
    let sessions = open_all(server, key, count).await;
    let open_secs = started.elapsed().as_secs_f64();
    let opened = sessions.len();
    ensure!(opened > 0, "no session to {} opened", server.kind.name());

    settle().await;
    let idle_kib = (server.pss_kib() as f64 - before) / opened as f64;
    let processes = server.processes();
    let downloads = stream::iter(&sessions)
        .map(|(_, sftp)| download(sftp))
        .buffer_unordered(OPENING)
        .collect::<Vec<_>>();
    let done = tokio::time::timeout(LIMIT, downloads).await?;
    let errors: Vec<&anyhow::Error> = done.iter().filter_map(|r| r.as_ref().err()).collect();
    let slowest_download_secs = done
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .fold(0.0, |slowest: f64, secs| slowest.max(*secs));
    if let Some(first) = errors.first() {
        bail!(
            "{} of {opened} downloads on held sessions to {} failed, the first with: {first:#}",
            errors.len(),
            server.kind.name()
        );
    }

    settle().await;
    let after_kib = (server.pss_kib() as f64 - before) / opened as f64;
    if settings.hold_secs > 0 {
        println!("  holding {opened} sessions for {} s", settings.hold_secs);
        tokio::time::sleep(Duration::from_secs(settings.hold_secs)).await;
    }
    // Dropping the connections closes their sockets; the servers see EOF.
    drop(sessions);
    settle().await;
    Ok(Memory {
        opened,
        open_secs,
        processes,
        idle_kib,
        after_kib,
        slowest_download_secs,
    })
}

/// Opens up to `count` sessions within [`LIMIT`]; those that failed or did not make it in
/// time are left out, and the report says how many opened.
async fn open_all(
    server: &Server,
    key: Arc<PrivateKey>,
    count: usize,
) -> Vec<(Connection, SftpSession)> {
    let config = russh_client::config();
    let deadline = tokio::time::Instant::now() + LIMIT;
    let attempts = stream::iter(0..count)
        .map(|_| {
            russh_client::sftp_with_key(config.clone(), server.addr, &server.user, key.clone())
        })
        .buffer_unordered(OPENING)
        .take_until(tokio::time::sleep_until(deadline));
    let mut opened = Vec::with_capacity(count);
    let mut attempts = std::pin::pin!(attempts);
    let mut first_error = None;
    while let Some(result) = attempts.next().await {
        match result {
            Ok(session) => opened.push(session),
            Err(error) => first_error = first_error.or(Some(error)),
        }
    }
    if let Some(error) = first_error {
        println!(
            "  some sessions to {} failed to open: {error:#}",
            server.kind.name()
        );
    }
    opened
}

/// Downloads the file on a held session; returns the seconds it took.
async fn download(sftp: &SftpSession) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut body = Vec::with_capacity(MIB as usize);
    sftp.open(FILE).await?.read_to_end(&mut body).await?;
    ensure!(
        body.len() as u64 == MIB,
        "short download: {} bytes",
        body.len()
    );
    Ok(started.elapsed().as_secs_f64())
}

/// Gives the server a moment to finish what the last clients started before reading PSS.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}
