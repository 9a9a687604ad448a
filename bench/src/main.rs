//! `gatehouse-bench`: starts a release Gatehouse and a reference OpenSSH `sshd` on free
//! loopback ports, drives both with the same clients in the same run, and reports every
//! figure as Gatehouse over OpenSSH. `scripts/bench.sh` builds and runs it; README's
//! "Benchmark" section says what each figure means.

mod client;
mod flood;
mod gatehouse;
mod keys;
mod listing;
mod logins;
mod pin;
mod procfs;
mod report;
mod russh_client;
mod server;
mod sessions;
mod settings;
mod sshd;
mod stats;
mod transfer;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::client::SftpClient;
use crate::report::Report;
use crate::server::Server;
use crate::settings::{Args, Phase, Settings};

/// Both servers, the clients' key and the scratch folder, shared by every phase.
pub struct Bench {
    pub gatehouse: Server,
    pub openssh: Server,
    pub client: SftpClient,
    pub key: PathBuf,
    /// The clients' working folder: local files to upload, downloads land here.
    pub work: PathBuf,
    pub settings: Settings,
}

impl Bench {
    /// Both servers, Gatehouse first in even rounds, so neither always runs on a warm cache.
    pub fn in_order(&self, round: usize) -> [&Server; 2] {
        match round % 2 {
            0 => [&self.gatehouse, &self.openssh],
            _ => [&self.openssh, &self.gatehouse],
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = Settings::from_args(&args);
    let mut report = Report {
        settings: serde_json::to_value(&settings)?,
        machine: machine(),
        ..Report::default()
    };

    tokio::select! {
        result = run(&args, settings, &mut report) => result?,
        _ = tokio::signal::ctrl_c() => println!("interrupted: servers stopped, partial results"),
    }

    report.print_table();
    report.write_json(&args.json)?;
    println!("JSON written to {}", args.json.display());
    Ok(())
}

/// Runs one phase; a failure is reported and the next phase still runs.
macro_rules! phase {
    ($bench:expr, $report:expr, $phase:expr, $name:expr, $work:expr) => {{
        if $bench.settings.runs($phase) {
            println!("\n== {}", $name);
            if let Err(error) = $work.await {
                $report.fail($name, &error);
            }
        }
    }};
}

async fn run(args: &Args, settings: Settings, report: &mut Report) -> anyhow::Result<()> {
    let parent = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let scratch = tempfile::Builder::new()
        .prefix("gatehouse-bench-")
        .tempdir_in(parent)?;
    let key = keys::generate(&scratch.path().join("client_key"))?;
    let work = scratch.path().join("client");
    std::fs::create_dir_all(&work)?;

    let pin = settings.pin.then_some(pin::PIN);
    if pin.is_some() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        anyhow::ensure!(cores >= 2, "--pin needs two CPUs, this machine has {cores}");
    }
    let server_cpus = pin.map(|pin| pin.servers);
    let gatehouse =
        gatehouse::start(&args.gatehouse_bin, scratch.path(), &key, server_cpus).await?;
    let openssh = sshd::start(scratch.path(), &key, server_cpus).await?;
    if let Some(pin) = pin {
        report.note(format!(
            "pinned: both servers on CPU {}, the sftp clients on CPU {}",
            pin.servers, pin.clients
        ));
    }
    println!(
        "Gatehouse on {} (log {})",
        gatehouse.addr,
        gatehouse.log.display()
    );
    println!(
        "OpenSSH   on {} (log {})",
        openssh.addr,
        openssh.log.display()
    );
    let client = SftpClient {
        key: key.clone(),
        limit: Duration::from_secs(600),
        cpus: pin.map(|pin| pin.clients),
    };
    let bench = Bench {
        gatehouse,
        openssh,
        client,
        key,
        work,
        settings,
    };

    // First, while the servers are fresh: a Gatehouse that already moved gigabytes has
    // freed heap to hand to new sessions, which would hide their cost.
    let b = &bench;
    phase!(
        b,
        report,
        Phase::Sessions,
        "idle sessions",
        sessions::run(b, report)
    );
    phase!(
        b,
        report,
        Phase::Logins,
        "key login",
        logins::run(b, report)
    );
    phase!(
        b,
        report,
        Phase::Listing,
        "listing",
        listing::run(b, report)
    );
    phase!(
        b,
        report,
        Phase::LargeFile,
        "large file",
        transfer::large_file(b, report)
    );
    phase!(
        b,
        report,
        Phase::Parallel,
        "parallel",
        transfer::parallel(b, report)
    );
    phase!(
        b,
        report,
        Phase::Flood,
        "password flood",
        flood::run(b, report)
    );
    Ok(())
}

fn machine() -> serde_json::Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let model = read("/proc/cpuinfo")
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split(':').nth(1))
        .map(|name| name.trim().to_string());
    serde_json::json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu_model": model,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
    })
}
