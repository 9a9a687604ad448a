//! Starting Gatehouse: open (and migrate) the store, load the host key, bind every enabled
//! front end, start the audit retention task, then serve until one of them stops or the
//! process is interrupted.

use std::net::SocketAddr;

use anyhow::Context;
use gatehouse_core::auth::Authenticator;
use gatehouse_core::auth::web::WebDoor;
use gatehouse_core::{Config, Store};
use gatehouse_ftp::{FtpServer, TlsFiles};
use gatehouse_sftp::SftpServer;
use gatehouse_web::WebServer;
use tokio::task::JoinSet;

use crate::retention;

/// The running front ends. Dropping it stops them.
pub struct App {
    pub store: Store,
    pub sftp_addr: Option<SocketAddr>,
    pub web_addr: Option<SocketAddr>,
    pub ftp_addr: Option<SocketAddr>,
    tasks: JoinSet<(&'static str, std::io::Result<()>)>,
}

impl App {
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
        let store = Store::open(&config.database_url())
            .await
            .context("opening the database")?;
        let mut tasks = JoinSet::new();

        let mut sftp_addr = None;
        if config.sftp.enabled {
            let key_path = config.host_key_path();
            let host_key = gatehouse_sftp::host_key::load_or_create(&key_path)?;
            let fingerprint = gatehouse_sftp::host_key::fingerprint(&host_key);
            let auth = Authenticator::new(store.clone(), &config)?;
            let server = SftpServer::bind(&config.sftp, host_key, auth)
                .await
                .with_context(|| format!("binding SFTP to {}", config.sftp.listen))?;
            let addr = server.local_addr()?;
            tracing::info!(%addr, host_key = %fingerprint, "SFTP listening");
            sftp_addr = Some(addr);
            tasks.spawn(async move { ("sftp", server.run().await) });
        }

        let mut web_addr = None;
        if config.web.enabled {
            let auth = Authenticator::new(store.clone(), &config)?;
            let door = WebDoor::new(auth, &config).context("preparing the web door")?;
            let server = WebServer::bind(&config.web, door)
                .await
                .with_context(|| format!("binding the web app to {}", config.web.listen))?;
            let addr = server.local_addr()?;
            tracing::info!(%addr, "web app listening");
            web_addr = Some(addr);
            tasks.spawn(async move { ("web", server.run().await) });
        }

        match config.security.audit_retention_days {
            0 => tracing::info!("audit retention off; events are kept forever"),
            days => {
                let store = store.clone();
                tasks.spawn(async move { ("audit retention", retention::run(store, days).await) });
            }
        }

        let ftp_addr = if config.ftp.enabled {
            Some(start_ftp(&config, &store, &mut tasks).await?)
        } else {
            None
        };

        Ok(Self {
            store,
            sftp_addr,
            web_addr,
            ftp_addr,
            tasks,
        })
    }

    /// Serves until interrupted (Ctrl-C or SIGTERM) or until a front end fails.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; shutting down"),
            _ = terminate.recv() => tracing::info!("terminated; shutting down"),
            Some(ended) = self.tasks.join_next() => {
                let (name, result) = ended.context("a front end panicked")?;
                result.with_context(|| format!("the {name} front end stopped"))?;
                anyhow::bail!("the {name} front end stopped unexpectedly");
            }
        }
        Ok(())
    }
}

/// Binds FTP (with FTPS on the same port), making the self-signed certificate on first start
/// when none is configured.
async fn start_ftp(
    config: &Config,
    store: &Store,
    tasks: &mut JoinSet<(&'static str, std::io::Result<()>)>,
) -> anyhow::Result<SocketAddr> {
    let (certificate, private_key) = config.ftp_tls_paths();
    let configured = config.ftp.certificate.is_some() && config.ftp.private_key.is_some();
    if !configured {
        gatehouse_ftp::tls::ensure_self_signed(&certificate, &private_key)
            .context("preparing the FTPS certificate")?;
    }
    let tls = TlsFiles {
        certificate,
        private_key,
    };
    let auth = Authenticator::new(store.clone(), config)?;
    let server = FtpServer::bind(&config.ftp, tls, auth)
        .await
        .with_context(|| format!("binding FTP to {}", config.ftp.listen))?;
    let addr = server.local_addr()?;
    let tls_required = config.ftp.tls_required();
    tracing::info!(%addr, tls_required, "FTP listening");
    tasks.spawn(async move { ("ftp", server.run().await) });
    Ok(addr)
}
