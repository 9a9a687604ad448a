//! SSH key pairs made with OpenSSH's `ssh-keygen`: one client key for every client and
//! server, and sshd's host key.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};

/// Makes an unencrypted Ed25519 key pair at `path` and `path.pub`; returns `path`.
pub fn generate(path: &Path) -> anyhow::Result<PathBuf> {
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "gatehouse-bench",
            "-f",
        ])
        .arg(path)
        .output()
        .context("running ssh-keygen (Debian package openssh-client)")?;
    ensure!(
        out.status.success(),
        "ssh-keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(path.to_path_buf())
}

pub fn public(path: &Path) -> PathBuf {
    path.with_extension("pub")
}
