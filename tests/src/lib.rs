//! The end-to-end harness: [`spawn_app`] starts Gatehouse in-process, every front end on
//! port 0, against a fresh database (SQLite, or PostgreSQL when `TEST_POSTGRES_URL`
//! is set) and a fresh data folder; helpers then drive the real clients (OpenSSH `sftp` and
//! `scp`, paramiko, the `gatehouse` CLI) against it.

#![allow(clippy::unwrap_used)] // Test support: a failed setup should stop the test loudly.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use gatehouse::app::App;
use gatehouse_core::{Config, Store};
use tempfile::TempDir;

/// A running Gatehouse with its own data folder. Dropping it stops the servers.
pub struct TestApp {
    pub dir: TempDir,
    pub config: Config,
    pub store: Store,
    pub database_url: String,
    pub sftp: SocketAddr,
    pub web: SocketAddr,
    /// Set when the test switched FTP on (`config.ftp.enabled`).
    pub ftp: Option<SocketAddr>,
    _app: App,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the config first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (store, database_url) = Store::fresh_for_tests(dir.path()).await.unwrap();
    let mut config = Config {
        data_dir: dir.path().join("data"),
        ..Config::default()
    };
    config.database.url = Some(database_url.clone());
    config.sftp.listen = "127.0.0.1:0".parse().unwrap();
    config.web.listen = "127.0.0.1:0".parse().unwrap();
    // Keep refused logins quick in tests; the delay's constancy is russh's, not ours to test.
    config.sftp.auth_failure_delay_ms = 50;
    // FTP stays off unless a test switches it on; then it listens on loopback, with passive
    // data ports from a range of its own announced as 127.0.0.1.
    config.ftp.listen = "127.0.0.1:0".parse().unwrap();
    config.ftp.auth_failure_delay_ms = 50;
    config.ftp.passive_port_min = 40000;
    config.ftp.passive_port_max = 44999;
    config.ftp.public_address = Some(std::net::Ipv4Addr::LOCALHOST);
    change(&mut config);

    let app = App::start(config.clone()).await.unwrap();
    TestApp {
        sftp: app.sftp_addr.unwrap(),
        web: app.web_addr.unwrap(),
        ftp: app.ftp_addr,
        _app: app,
        dir,
        config,
        store,
        database_url,
    }
}

impl TestApp {
    /// Runs the real `gatehouse` binary against this app's database and data folder.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(gatehouse_binary());
        command
            .args(args)
            .env("GATEHOUSE_DATA_DIR", &self.config.data_dir)
            .env("GATEHOUSE_DATABASE__URL", &self.database_url)
            .env("GATEHOUSE_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// `gatehouse tenant create` with a known password; panics with the CLI's output on failure.
    pub fn create_tenant(&self, tenant: &str, owner: &str, password: &str) {
        let out = self.cli(
            &[
                "tenant",
                "create",
                tenant,
                "--owner",
                owner,
                "--password-stdin",
            ],
            Some(password),
        );
        assert!(
            out.status.success(),
            "tenant create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn add_user(&self, tenant: &str, username: &str, password: &str) {
        let args = [
            "user",
            "add",
            username,
            "--tenant",
            tenant,
            "--password-stdin",
        ];
        let out = self.cli(&args, Some(password));
        assert!(
            out.status.success(),
            "user add failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Where a tenant's files are on disk.
    pub fn tenant_dir(&self, tenant: &str) -> PathBuf {
        self.config.storage_root().join(tenant)
    }

    /// Runs OpenSSH `sftp -b` with a password (through sshpass) and the given commands.
    pub fn sftp_password(&self, user: &str, password: &str, batch: &str, cwd: &Path) -> Output {
        let batch_file = self.dir.path().join(format!("batch-{}", rand_suffix()));
        std::fs::write(&batch_file, batch).unwrap();
        let mut command = Command::new("sshpass");
        // `sftp -b` turns on BatchMode, which forbids password prompts; an option given
        // before `-b` wins, since ssh keeps the first value it sees.
        command
            .args(["-p", password, "sftp", "-o", "BatchMode=no", "-b"])
            .arg(&batch_file);
        command
            .args(ssh_options(self.sftp.port()))
            .args(["-o", "PubkeyAuthentication=no"]);
        command.arg(format!("{user}@127.0.0.1")).current_dir(cwd);
        command.output().unwrap()
    }

    /// Runs OpenSSH `sftp -b` with a private key file and no password.
    pub fn sftp_key(&self, user: &str, key: &Path, batch: &str, cwd: &Path) -> Output {
        let batch_file = self.dir.path().join(format!("batch-{}", rand_suffix()));
        std::fs::write(&batch_file, batch).unwrap();
        let mut command = Command::new("sftp");
        command
            .arg("-b")
            .arg(&batch_file)
            .args(ssh_options(self.sftp.port()));
        command.arg("-i").arg(key).args([
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "PasswordAuthentication=no",
        ]);
        command
            .args(["-o", "BatchMode=yes"])
            .arg(format!("{user}@127.0.0.1"))
            .current_dir(cwd);
        command.output().unwrap()
    }

    /// Runs OpenSSH `scp` with a password; `args` are the source and destination.
    pub fn scp_password(&self, password: &str, args: &[&str], cwd: &Path) -> Output {
        let mut command = Command::new("sshpass");
        command.args(["-p", password, "scp", "-P", &self.sftp.port().to_string()]);
        command.args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ]);
        command.args(["-o", "LogLevel=ERROR", "-o", "PubkeyAuthentication=no"]);
        command.args(args).current_dir(cwd);
        command.output().unwrap()
    }

    /// Runs `tests/scripts/paramiko_client.py` with the given arguments.
    pub fn paramiko(&self, args: &[&str]) -> Output {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/paramiko_client.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .args(["--port", &self.sftp.port().to_string()])
            .args(args);
        command.output().unwrap()
    }
}

fn ssh_options(port: u16) -> Vec<String> {
    [
        "-P",
        &port.to_string(),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "ConnectTimeout=10",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn rand_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// The `gatehouse` binary built beside this test (`cargo build --bins` builds it; `.ci/run`
/// does so before the tests).
pub fn gatehouse_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().and_then(Path::parent).unwrap();
    let binary = target.join("gatehouse");
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build --bins` first",
        binary.display()
    );
    binary
}

/// Output as text, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A file of `len` pseudo-random bytes (fast to make, incompressible enough for transfers).
pub fn random_file(path: &Path, len: usize) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ len as u64;
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(len);
    std::fs::write(path, data).unwrap();
}
