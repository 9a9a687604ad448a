use std::process::ExitCode;

use clap::Parser;
use gatehouse::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();

    // Logs go to stderr so that command output (generated passwords, listings) stays clean.
    // The server logs its lifecycle and audit events; a one-shot command prints its result
    // and stays quiet unless something is wrong (its actions are in the audit table).
    let default = match cli.command {
        Command::Serve => "info,sea_orm_migration=warn,russh=warn",
        _ => "warn",
    };
    let filter =
        EnvFilter::try_from_env("GATEHOUSE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // Colour only for a terminal: a log file or journal gets plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();

    match gatehouse::commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
