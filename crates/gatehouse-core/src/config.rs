//! Typed configuration, loaded once in layers: built-in defaults, then a TOML file, then
//! `GATEHOUSE_*` environment variables (`__` separates nesting, so `GATEHOUSE_SFTP__LISTEN`
//! sets `sftp.listen`). Unknown keys are rejected so a typo fails at start instead of being
//! silently ignored. `config/gatehouse.toml` in the repository documents every setting.
//!
//! The config is passed down explicitly; there is no global.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::error::CoreError;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Home of the default SQLite database, the file storage, host keys and server secrets.
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub sftp: SftpConfig,
    pub web: WebConfig,
    pub ftp: FtpConfig,
    pub security: SecurityConfig,
    pub sms: SmsConfig,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://...` or `postgres://...`; empty means `<data_dir>/gatehouse.db`.
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Where tenants' folders live; empty means `<data_dir>/files`.
    pub root: Option<PathBuf>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SftpConfig {
    pub enabled: bool,
    pub listen: SocketAddr,
    /// Ed25519 host key in OpenSSH format; empty means `<data_dir>/ssh_host_ed25519_key`,
    /// created on first start.
    pub host_key: Option<PathBuf>,
    /// Seconds a connection may stay silent before it is closed.
    pub idle_timeout_secs: u64,
    /// Every refused login attempt takes this long, whatever the reason, so timing reveals
    /// nothing. Each SSH key a client offers that is not registered costs it once.
    pub auth_failure_delay_ms: u64,
    /// Bytes of client requests a session may have queued before the server disconnects it.
    pub max_queued_request_bytes: usize,
    /// Open file and directory handles one session may hold.
    pub max_open_handles: usize,
    /// Threads serving SSH connections, each connection on one of them; 0 means one per
    /// CPU core.
    pub threads: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    pub enabled: bool,
    pub listen: SocketAddr,
    /// The address people type; an `https://` URL makes every cookie `Secure`.
    pub public_url: String,
    /// A signed-in session unused for this long ends.
    pub session_idle_secs: i64,
    /// A session ends this long after login, however active.
    pub session_absolute_secs: i64,
    /// The issuer authenticator apps show beside the account name.
    pub totp_issuer: String,
    /// File holding the key that seals TOTP secrets at rest; empty means
    /// `<data_dir>/web_secret_key`, created on first start with mode 0600.
    pub secret_key_file: Option<PathBuf>,
}

/// The FTP front end, with explicit FTPS (`AUTH TLS`). Off unless `enabled`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FtpConfig {
    pub enabled: bool,
    pub listen: SocketAddr,
    /// PEM certificate chain for FTPS; with `private_key`. Empty means a self-signed
    /// certificate in `<data_dir>/ftp_tls_cert.pem`, created on first start.
    pub certificate: Option<PathBuf>,
    pub private_key: Option<PathBuf>,
    /// Refuse logins and transfers without TLS. Empty means: required when `certificate` is
    /// set, optional with the self-signed one.
    pub require_tls: Option<bool>,
    /// Ports offered for passive-mode data connections, inclusive.
    pub passive_port_min: u16,
    pub passive_port_max: u16,
    /// The IPv4 address announced in replies to `PASV` (RFC 959 replies carry IPv4 only);
    /// empty means the address the client connected to. Set it when clients come through NAT.
    pub public_address: Option<Ipv4Addr>,
    /// Seconds a session may stay idle before it is closed.
    pub idle_timeout_secs: u64,
    /// Every refused login takes at least this long, so timing reveals nothing.
    pub auth_failure_delay_ms: u64,
}

/// Which SMS provider sends second-factor codes. With none, SMS is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProviderKind {
    None,
    Twilio,
    /// Writes codes to the server log. For development only; never in production.
    Development,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsConfig {
    pub provider: SmsProviderKind,
    /// Seconds before another code may be sent to the same user.
    pub resend_interval_secs: i64,
    /// Twilio Verify v2 endpoint; changed only to point tests at a local fake.
    pub twilio_base_url: String,
    pub twilio_account_sid: String,
    pub twilio_auth_token: SecretText,
    /// The Verify service (`VA...`) that sends the codes.
    pub twilio_service_sid: String,
}

/// A secret setting: its `Debug` prints nothing of it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "(unset)"
        } else {
            "(secret)"
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Failures within the window that block an account from one address.
    pub lockout_max_failures: u32,
    pub lockout_window_secs: i64,
    pub lockout_duration_secs: i64,
    /// Minimum password length for new tenants (NIST SP 800-63B asks for at least 8; we ask
    /// for more because SFTP logins are single-factor).
    pub password_min_length: u32,
    /// Argon2 hashes computed at once; each takes ~19 MiB and one core for ~20-50 ms.
    pub max_concurrent_hashes: usize,
    /// Password checks that may wait for a hashing slot; more are refused at once.
    pub max_queued_hashes: usize,
    /// How the hashing threads are scheduled against everything else.
    pub hash_priority: HashPriority,
    /// Audit events older than this many days are deleted at start and then daily; 0 keeps
    /// them forever.
    pub audit_retention_days: u32,
}

/// How password hashing competes for the CPU with everything else the server does (Linux;
/// elsewhere the hashing threads run at the server's own priority).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashPriority {
    /// `SCHED_IDLE`: hashing uses only cores nothing else wants, and a transfer whose
    /// thread wakes takes the core back at once. On a server whose every core is busy,
    /// password checks wait (and past the queue are refused); key logins never hash.
    #[default]
    Idle,
    /// Nice 10: a tenth of a normal thread's share of a contended core.
    Low,
    /// The server's own priority.
    Normal,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database: DatabaseConfig::default(),
            storage: StorageConfig::default(),
            sftp: SftpConfig::default(),
            web: WebConfig::default(),
            ftp: FtpConfig::default(),
            security: SecurityConfig::default(),
            sms: SmsConfig::default(),
        }
    }
}

impl Default for SftpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 2222)),
            host_key: None,
            idle_timeout_secs: 600,
            auth_failure_delay_ms: 500,
            max_queued_request_bytes: 64 * 1024 * 1024,
            max_open_handles: 256,
            threads: 0,
        }
    }
}

impl Default for FtpConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: SocketAddr::from(([0, 0, 0, 0], 2121)),
            certificate: None,
            private_key: None,
            require_tls: None,
            passive_port_min: 49152,
            passive_port_max: 65534,
            public_address: None,
            idle_timeout_secs: 600,
            auth_failure_delay_ms: 500,
        }
    }
}

impl FtpConfig {
    /// Whether plain-text logins are refused: as configured, else whenever a real
    /// certificate is configured.
    pub fn tls_required(&self) -> bool {
        self.require_tls.unwrap_or_else(|| {
            self.certificate
                .as_ref()
                .is_some_and(|p| !p.as_os_str().is_empty())
        })
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".to_owned(),
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 60 * 60,
            totp_issuer: "Gatehouse".to_owned(),
            secret_key_file: None,
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: SmsProviderKind::None,
            resend_interval_secs: 30,
            twilio_base_url: "https://verify.twilio.com".to_owned(),
            twilio_account_sid: String::new(),
            twilio_auth_token: SecretText::default(),
            twilio_service_sid: String::new(),
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            lockout_max_failures: 5,
            lockout_window_secs: 5 * 60,
            lockout_duration_secs: 15 * 60,
            password_min_length: 12,
            max_concurrent_hashes: 0,
            max_queued_hashes: 32,
            hash_priority: HashPriority::Idle,
            audit_retention_days: 365,
        }
    }
}

impl Config {
    /// Loads defaults, then `file` if given (it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, CoreError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(CoreError::invalid(format!(
                    "config file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        // GATEHOUSE_CONFIG names the file itself and GATEHOUSE_LOG the log filter (read by
        // the binary before any config exists); neither is a setting.
        let env = Env::prefixed("GATEHOUSE_")
            .split("__")
            .ignore(&["config", "log"]);
        figment
            .merge(env)
            .extract()
            .map_err(|err| CoreError::invalid(format!("configuration: {err}")))
    }

    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gatehouse.db").display()
            ),
        }
    }

    pub fn storage_root(&self) -> PathBuf {
        match &self.storage.root {
            Some(root) if !root.as_os_str().is_empty() => root.clone(),
            _ => self.data_dir.join("files"),
        }
    }

    pub fn web_secret_key_path(&self) -> PathBuf {
        match &self.web.secret_key_file {
            Some(path) if !path.as_os_str().is_empty() => path.clone(),
            _ => self.data_dir.join("web_secret_key"),
        }
    }

    /// The FTPS certificate and key: as configured, else the self-signed pair's paths.
    pub fn ftp_tls_paths(&self) -> (PathBuf, PathBuf) {
        let configured = |path: &Option<PathBuf>| {
            path.as_ref()
                .filter(|path| !path.as_os_str().is_empty())
                .cloned()
        };
        match (
            configured(&self.ftp.certificate),
            configured(&self.ftp.private_key),
        ) {
            (Some(cert), Some(key)) => (cert, key),
            _ => (
                self.data_dir.join("ftp_tls_cert.pem"),
                self.data_dir.join("ftp_tls_key.pem"),
            ),
        }
    }

    pub fn host_key_path(&self) -> PathBuf {
        match &self.sftp.host_key {
            Some(path) if !path.as_os_str().is_empty() => path.clone(),
            _ => self.data_dir.join("ssh_host_ed25519_key"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = Config::default();
        assert_eq!(config.sftp.listen.to_string(), "0.0.0.0:2222");
        assert_eq!(config.web.listen.to_string(), "127.0.0.1:8080");
        assert!(
            config
                .database_url()
                .starts_with("sqlite://./data/gatehouse.db")
        );
    }

    #[test]
    fn the_shipped_config_file_parses_and_holds_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/gatehouse.toml");
        let config = Config::load(Some(&path)).expect("config/gatehouse.toml should load");
        assert_eq!(config.sftp.listen, Config::default().sftp.listen);
        assert_eq!(config.security.lockout_max_failures, 5);
        assert_eq!(
            config.security.audit_retention_days,
            SecurityConfig::default().audit_retention_days
        );
        assert!(!config.ftp.enabled, "FTP must stay off unless switched on");
        assert_eq!(config.ftp.listen.to_string(), "0.0.0.0:2121");
        assert_eq!(
            config.ftp.passive_port_min,
            FtpConfig::default().passive_port_min
        );
        assert_eq!(
            config.ftp.passive_port_max,
            FtpConfig::default().passive_port_max
        );
        assert_eq!(
            config.ftp.idle_timeout_secs,
            FtpConfig::default().idle_timeout_secs
        );
    }

    #[test]
    fn tls_is_required_by_default_only_with_a_configured_certificate() {
        let mut ftp = FtpConfig::default();
        let self_signed = ftp.tls_required();
        ftp.certificate = Some(PathBuf::from("/etc/gatehouse/ftp.pem"));
        let configured = ftp.tls_required();
        ftp.require_tls = Some(false);
        let overridden = ftp.tls_required();

        assert!(
            !self_signed,
            "the self-signed certificate leaves plain FTP allowed"
        );
        assert!(configured, "a configured certificate makes TLS required");
        assert!(!overridden, "an explicit require_tls wins");
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[sftp]\nlisten_port = 22\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(
            err.contains("listen_port"),
            "error should name the unknown key: {err}"
        );
    }
}
