//! OpenSSH's `sftp` client in batch mode, with exactly the same options for both servers:
//! the bench's key only, no user config (`-F /dev/null`), no host-key check, and OpenSSH's
//! defaults for everything else (64 requests in flight, 32 KiB requests unless the server
//! advertises larger `limits@openssh.com`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::pin;
use crate::server::Server;
use anyhow::{Context, bail};
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone)]
pub struct SftpClient {
    pub key: PathBuf,
    /// Longest any one `sftp` run may take before it is killed and counted as a failure.
    pub limit: Duration,
    /// The CPUs the client runs on, with `--pin`.
    pub cpus: Option<&'static str>,
}

/// What one `sftp -b` run took, and what it printed.
pub struct Run {
    pub elapsed: Duration,
    pub stdout: String,
}

impl SftpClient {
    /// Runs `commands` (one per line) in `cwd` with `cipher` or OpenSSH's default.
    pub async fn batch(
        &self,
        server: &Server,
        cipher: Option<&str>,
        commands: &str,
        cwd: &Path,
    ) -> anyhow::Result<Run> {
        let mut command = pin::command("sftp", self.cpus);
        command
            .args(["-q", "-b", "-", "-F", "/dev/null", "-P"])
            .arg(server.addr.port().to_string())
            .arg("-i")
            .arg(&self.key)
            .args(["-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no"])
            .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]);
        if let Some(cipher) = cipher {
            command.args(["-c", cipher]);
        }
        command
            .arg(format!("{}@{}", server.user, server.addr.ip()))
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);

        let started = Instant::now();
        let mut child = command.spawn().context("running sftp (openssh-client)")?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(commands.as_bytes()).await?;
        }
        let waited = tokio::time::timeout(self.limit, child.wait_with_output()).await;
        let elapsed = started.elapsed();
        let Ok(out) = waited else {
            bail!("sftp to {} took over {:?}", server.kind.name(), self.limit);
        };
        let out = out?;
        if !out.status.success() {
            bail!(
                "sftp to {} failed ({}): {}",
                server.kind.name(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        Ok(Run { elapsed, stdout })
    }
}
