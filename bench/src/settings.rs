//! Command-line flags. `--quick` lowers every default so a run takes a couple of minutes;
//! any flag given explicitly wins over both presets.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use serde::Serialize;

/// The bench's phases, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Sessions,
    Logins,
    Listing,
    LargeFile,
    Parallel,
    Flood,
}

#[derive(Debug, Parser)]
#[command(about = "Gatehouse's SFTP server against OpenSSH's sshd, same machine, same run")]
pub struct Args {
    /// Small sizes and counts for a run of a couple of minutes.
    #[arg(long)]
    pub quick: bool,
    /// Size of the large file moved up and down, in MiB [full 1024, quick 128].
    #[arg(long)]
    pub file_mib: Option<u64>,
    /// Rounds of each transfer per server and cipher [full 5, quick 3].
    #[arg(long)]
    pub rounds: Option<usize>,
    /// Sessions in the parallel transfer [16].
    #[arg(long)]
    pub parallel: Option<usize>,
    /// MiB each parallel session moves [64].
    #[arg(long)]
    pub parallel_mib: Option<u64>,
    /// Idle authenticated SFTP sessions held at once [full 5000, quick 200].
    #[arg(long)]
    pub sessions: Option<usize>,
    /// Key logins timed one after another, per server [full 30, quick 10].
    #[arg(long)]
    pub logins: Option<usize>,
    /// Clients logging in at once for logins per second [8].
    #[arg(long)]
    pub login_clients: Option<usize>,
    /// Logins each of those clients makes [full 20, quick 5].
    #[arg(long)]
    pub logins_per_client: Option<usize>,
    /// Files in the listed folder [10000].
    #[arg(long)]
    pub listing_files: Option<usize>,
    /// Wrong-password attempts per second during the flood figure [200].
    #[arg(long)]
    pub flood_rate: Option<u32>,
    /// Both servers on CPU 1 and the sftp clients on CPU 0, to see each server's ceiling
    /// when its client does not compete for its core (needs two CPUs) [off].
    #[arg(long)]
    pub pin: bool,
    /// Seconds to keep the sessions open after their last reading, to attach a profiler [0].
    #[arg(long, default_value_t = 0)]
    pub hold_secs: u64,
    /// Run only these phases (comma-separated) [all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Phase>,
    /// The Gatehouse binary to measure.
    #[arg(long, default_value = "target/release/gatehouse")]
    pub gatehouse_bin: PathBuf,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench/results.json")]
    pub json: PathBuf,
    /// Parent of the run's scratch folder (needs room for about 3 x the large file).
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub quick: bool,
    pub file_mib: u64,
    pub rounds: usize,
    pub parallel: usize,
    pub parallel_mib: u64,
    pub sessions: usize,
    pub logins: usize,
    pub login_clients: usize,
    pub logins_per_client: usize,
    pub listing_files: usize,
    pub flood_rate: u32,
    pub phases: Vec<Phase>,
    pub hold_secs: u64,
    pub pin: bool,
}

impl Settings {
    pub fn runs(&self, phase: Phase) -> bool {
        self.phases.contains(&phase)
    }
}

impl Settings {
    pub fn from_args(args: &Args) -> Settings {
        let quick = args.quick;
        Settings {
            quick: args.quick,
            file_mib: args.file_mib.unwrap_or(pick(quick, 1024, 128)),
            rounds: args.rounds.unwrap_or(pick(quick, 5, 3)).max(1),
            parallel: args.parallel.unwrap_or(16),
            parallel_mib: args.parallel_mib.unwrap_or(64),
            sessions: args.sessions.unwrap_or(pick(quick, 5000, 200)),
            logins: args.logins.unwrap_or(pick(quick, 30, 10)),
            login_clients: args.login_clients.unwrap_or(8),
            logins_per_client: args.logins_per_client.unwrap_or(pick(quick, 20, 5)),
            listing_files: args.listing_files.unwrap_or(10_000),
            flood_rate: args.flood_rate.unwrap_or(200).max(1),
            phases: match args.only.is_empty() {
                true => Phase::value_variants().to_vec(),
                false => args.only.clone(),
            },
            hold_secs: args.hold_secs,
            pin: args.pin,
        }
    }
}

/// The full run's value, or the quick run's.
fn pick<T>(quick: bool, full: T, small: T) -> T {
    if quick { small } else { full }
}
