//! Starts the Gatehouse release binary on a fresh data folder: one tenant whose owner logs
//! in with the bench's client key, SFTP on a free loopback port, the web app off.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, ensure};

use crate::keys;
use crate::pin;
use crate::server::{Kind, Server, free_port};

const TENANT: &str = "bench";
const USER: &str = "bench";
/// Only for the tenant's creation; the bench logs in with its key.
const PASSWORD: &str = "quiet-harbour-owner-7f3k";

/// Starts the server, on `cpus` if given.
pub async fn start(
    binary: &Path,
    work: &Path,
    client_key: &Path,
    cpus: Option<&str>,
) -> anyhow::Result<Server> {
    let data = work.join("gatehouse");
    std::fs::create_dir_all(&data)?;
    let owner = [
        "tenant",
        "create",
        TENANT,
        "--owner",
        USER,
        "--password-stdin",
    ];
    cli(binary, &data, &owner, PASSWORD)?;
    let public_key = keys::public(client_key);
    let key_file = public_key.to_string_lossy();
    cli(binary, &data, &["user", "key", "add", USER, &key_file], "")?;

    let addr = free_port()?;
    let log = work.join("gatehouse.log");
    let child = pin::command(binary, cpus)
        .arg("serve")
        .env("GATEHOUSE_DATA_DIR", &data)
        .env("GATEHOUSE_SFTP__LISTEN", addr.to_string())
        .env("GATEHOUSE_WEB__ENABLED", "false")
        // The idle-session phase can outlast the default 600 s idle timeout at 5,000 sessions.
        .env("GATEHOUSE_SFTP__IDLE_TIMEOUT_SECS", "7200")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log)?)
        .stderr(std::fs::File::create(&log)?)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;

    let root = data.join("files").join(TENANT);
    Server::ready(Kind::Gatehouse, addr, USER.into(), root, log, child).await
}

fn cli(binary: &Path, data: &Path, args: &[&str], stdin: &str) -> anyhow::Result<()> {
    let mut child = Command::new(binary)
        .args(args)
        .env("GATEHOUSE_DATA_DIR", data)
        .env("GATEHOUSE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", binary.display()))?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    ensure!(
        out.status.success(),
        "gatehouse {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
