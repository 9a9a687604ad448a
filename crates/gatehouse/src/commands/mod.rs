//! What each CLI command does. Every command opens the store (migrating it), acts through
//! core, prints a short result, and fails with a one-line reason.

mod support;
mod tenant;
mod user;

use std::io::BufRead;

use anyhow::{Context, bail};
use gatehouse_core::password::{Password, PasswordPolicy};
use gatehouse_core::{Config, Store};

use crate::app::App;
use crate::cli::{Cli, Command, PasswordSource};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => App::start(config).await?.wait().await,
        Command::Migrate => {
            let store = Store::connect(&config.database_url()).await?;
            let applied = store.migrate().await?;
            println!("database is up to date ({applied} migrations applied)");
            Ok(())
        }
        Command::Tenant(command) => tenant::run(&config, command).await,
        Command::User(command) => user::run(&config, command).await,
        Command::Support(command) => support::run(&config, command).await,
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    if config.database.url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
    }
    Ok(Store::open(&config.database_url()).await?)
}

/// The password from standard input, or a generated one that is printed once.
fn obtain_password(
    source: &PasswordSource,
    policy: PasswordPolicy,
    username: &str,
) -> anyhow::Result<(Password, bool)> {
    if !source.password_stdin {
        return Ok((Password::generate(), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = Password::new(line.trim_end_matches(['\r', '\n']));
    if password.expose().is_empty() {
        bail!("no password on standard input");
    }
    policy.check(&password, username)?;
    Ok((password, false))
}

fn announce_generated(username: &str, password: &Password) {
    println!(
        "generated password for {username} (shown once): {}",
        password.expose()
    );
}
