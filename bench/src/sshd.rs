//! Starts the reference: Debian's OpenSSH `sshd` with `internal-sftp`, on a free loopback
//! port, with its own host key, config and `AuthorizedKeysFile` in the bench's folder.
//!
//! It runs as the current user and logs that user in (root here: `PermitRootLogin yes`).
//! `internal-sftp -d` starts every session in the bench's folder, so relative paths in the
//! batches mean the same on both servers. No chroot, so no root-owned folder is needed.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, ensure};

use crate::keys;
use crate::pin;
use crate::server::{Kind, Server, free_port};

pub const SSHD: &str = "/usr/sbin/sshd";

/// Starts sshd, on `cpus` if given (its session processes inherit them).
pub async fn start(work: &Path, client_key: &Path, cpus: Option<&str>) -> anyhow::Result<Server> {
    let dir = work.join("openssh");
    let root = dir.join("root");
    std::fs::create_dir_all(&root)?;
    let host_key = keys::generate(&dir.join("host_key"))?;
    let authorized = dir.join("authorized_keys");
    std::fs::copy(keys::public(client_key), &authorized)?;
    // sshd refuses to start as root without its privilege-separation folder.
    std::fs::create_dir_all("/run/sshd")?;

    let addr = free_port()?;
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        config_text(addr.port(), &host_key, &authorized, &root),
    )?;
    let log = work.join("sshd.log");
    let child = pin::command(SSHD, cpus)
        .args(["-D", "-e", "-f"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log)?)
        .stderr(std::fs::File::create(&log)?)
        .kill_on_drop(true)
        .spawn()
        .context("starting /usr/sbin/sshd (Debian package openssh-server)")?;

    Server::ready(Kind::OpenSsh, addr, current_user()?, root, log, child).await
}

/// Defaults everywhere except what a benchmark on loopback needs: many unauthenticated
/// connections at once (the login and flood phases), no DNS lookups, no PAM.
fn config_text(port: u16, host_key: &Path, authorized: &Path, root: &Path) -> String {
    let lines = [
        format!("Port {port}"),
        "ListenAddress 127.0.0.1".into(),
        format!("HostKey {}", host_key.display()),
        format!("AuthorizedKeysFile {}", authorized.display()),
        format!("PidFile {}", root.with_file_name("sshd.pid").display()),
        "StrictModes no".into(),
        "PermitRootLogin yes".into(),
        "PasswordAuthentication yes".into(),
        "KbdInteractiveAuthentication no".into(),
        "UsePAM no".into(),
        "UseDNS no".into(),
        "PrintMotd no".into(),
        "MaxStartups 10000".into(),
        format!("Subsystem sftp internal-sftp -d {}", root.display()),
    ];
    lines.join("\n") + "\n"
}

fn current_user() -> anyhow::Result<String> {
    let out = Command::new("id").arg("-un").output()?;
    ensure!(out.status.success(), "id -un failed");
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}
