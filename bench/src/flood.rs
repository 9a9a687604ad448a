//! One download's throughput with and without a flood of wrong passwords in the background.
//!
//! The flood makes `rate` attempts per second, each on a fresh connection with one wrong
//! password, from russh in this process, on a thread of its own at a lower priority.
//! Gatehouse locks an account+address after 5 failures in 5 minutes and then answers without
//! hashing, so usernames rotate through a pool large enough that none fails more than 4 times
//! in that window: every attempt costs the server a full password check.
//! On sshd the names do not exist; it checks a fake hash.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

use crate::Bench;
use crate::report::{Better, Report};
use crate::russh_client;
use crate::server::Server;
use crate::stats::BySide;
use crate::transfer::{LARGE, MIB, ensure_file, timed};

/// Attempts that may be open at once; past it, ticks are skipped and counted.
const IN_FLIGHT: usize = 2000;
const ATTEMPT_LIMIT: Duration = Duration::from_secs(20);

pub async fn run(bench: &Bench, report: &mut Report) -> anyhow::Result<()> {
    let mib = bench.settings.file_mib;
    let rate = bench.settings.flood_rate;
    ensure_file(&bench.work.join(LARGE), mib * MIB)?;
    let (mut calm, mut flooded, mut kept) = Default::default();
    for round in 0..bench.settings.rounds.min(3) {
        for server in bench.in_order(round) {
            ensure_file(&server.root.join(LARGE), mib * MIB)?;
            let batch = [format!("get {LARGE} {LARGE}.flood")];
            let (quiet_secs, _) = timed(bench, server, None, &batch).await?;

            let flood = Flood::start(server, rate)?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let (busy_secs, _) = timed(bench, server, None, &batch).await?;
            let counts = flood.stop().await;

            push(
                &mut calm,
                &mut flooded,
                &mut kept,
                server,
                mib,
                quiet_secs,
                busy_secs,
            );
            report.note(format!(
                "{} flood round {round}: {counts}",
                server.kind.name()
            ));
        }
    }
    report.add(
        format!("{mib} MiB download, quiet"),
        "MiB/s",
        Better::Higher,
        &calm,
    );
    let name = format!("{mib} MiB download, {rate} bad passwords/s");
    report.add(name, "MiB/s", Better::Higher, &flooded);
    report.add("  flooded over quiet speed", "x", Better::Higher, &kept);
    Ok(())
}

fn push(
    calm: &mut BySide,
    flooded: &mut BySide,
    kept: &mut BySide,
    server: &Server,
    mib: u64,
    quiet_secs: f64,
    busy_secs: f64,
) {
    calm.push(server.kind, mib as f64 / quiet_secs);
    flooded.push(server.kind, mib as f64 / busy_secs);
    kept.push(server.kind, quiet_secs / busy_secs);
}

/// What the flood did, for the report.
#[derive(Debug, Default)]
pub struct Counts {
    started: AtomicU64,
    refused: AtomicU64,
    accepted: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        write!(
            f,
            "{} attempts started, {} refused, {} accepted, {} errors or timeouts, {} skipped",
            get(&self.started),
            get(&self.refused),
            get(&self.accepted),
            get(&self.failed),
            get(&self.skipped)
        )
    }
}

pub struct Flood {
    stop: oneshot::Sender<()>,
    done: oneshot::Receiver<()>,
    counts: Arc<Counts>,
}

impl Flood {
    /// Starts the flood on its own thread and runtime, at a lower priority (nice 10). The
    /// attacker's half of every key exchange would run on the attacker's machine; here it
    /// shares the two cores with the transfer being measured, so it yields to it instead of
    /// standing in for server load it is not. The server gets no such help: it still
    /// answers every attempt it is sent, and the note shows how many that were.
    pub fn start(server: &Server, rate: u32) -> anyhow::Result<Flood> {
        let (stop, stopped) = oneshot::channel();
        let (finished, done) = oneshot::channel();
        let counts = Arc::new(Counts::default());
        let work = flood(server.addr, rate, counts.clone(), stopped);
        std::thread::Builder::new()
            .name("flood".into())
            .spawn(move || {
                let thread = Some(rustix::thread::gettid());
                let _ = rustix::process::setpriority_process(thread, 10);
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(work);
                }
                let _ = finished.send(());
            })?;
        Ok(Flood { stop, done, counts })
    }

    /// Stops starting attempts and abandons those still open.
    pub async fn stop(self) -> Arc<Counts> {
        let _ = self.stop.send(());
        let _ = self.done.await;
        self.counts
    }
}

async fn flood(
    addr: std::net::SocketAddr,
    rate: u32,
    counts: Arc<Counts>,
    mut stopped: oneshot::Receiver<()>,
) {
    let config = russh_client::config();
    let pool = u64::from(rate) * 300 / 4 + 1;
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut attempts = JoinSet::new();
    for n in 0u64.. {
        tokio::select! {
            _ = &mut stopped => break,
            _ = ticks.tick() => {}
        }
        while attempts.try_join_next().is_some() {}
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            counts.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        counts.started.fetch_add(1, Ordering::Relaxed);
        let (config, counts) = (config.clone(), counts.clone());
        let user = format!("flood{}", n % pool);
        attempts.spawn(async move {
            let attempt = russh_client::try_password(config, addr, &user, "not-the-password");
            let counter = match tokio::time::timeout(ATTEMPT_LIMIT, attempt).await {
                Ok(Ok(false)) => &counts.refused,
                Ok(Ok(true)) => &counts.accepted,
                _ => &counts.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    attempts.abort_all();
}
