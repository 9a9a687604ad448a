//! Key logins with OpenSSH's `sftp`: the time from starting `sftp -b` to the end of its
//! first listing (`ls` of the empty start folder), one at a time; then logins per second
//! with several such clients running back to back at once.

use std::time::Instant;

use futures::future::try_join_all;

use crate::Bench;
use crate::report::{Better, Report};
use crate::server::Server;
use crate::stats::BySide;

pub async fn run(bench: &Bench, report: &mut Report) -> anyhow::Result<()> {
    let mut latency = BySide::default();
    for round in 0..bench.settings.logins {
        for server in bench.in_order(round) {
            let run = bench
                .client
                .batch(server, None, "ls\n", &bench.work)
                .await?;
            latency.push(server.kind, run.elapsed.as_secs_f64() * 1000.0);
        }
    }
    report.add("key login to first listing", "ms", Better::Lower, &latency);

    let mut rate = BySide::default();
    for round in 0..bench.settings.rounds.min(3) {
        for server in bench.in_order(round) {
            rate.push(server.kind, logins_per_second(bench, server).await?);
        }
    }
    let clients = bench.settings.login_clients;
    let name = format!("key logins per second, {clients} clients");
    report.add(name, "logins/s", Better::Higher, &rate);
    Ok(())
}

async fn logins_per_second(bench: &Bench, server: &Server) -> anyhow::Result<f64> {
    let each = bench.settings.logins_per_client;
    let started = Instant::now();
    let clients = (0..bench.settings.login_clients).map(|_| async move {
        for _ in 0..each {
            bench
                .client
                .batch(server, None, "ls\n", &bench.work)
                .await?;
        }
        anyhow::Ok(())
    });
    try_join_all(clients).await?;
    let total = (each * bench.settings.login_clients) as f64;
    Ok(total / started.elapsed().as_secs_f64())
}
