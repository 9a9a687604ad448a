//! The listener and libunftp's server, one per connection.
//!
//! libunftp's own `listen` binds an address it is given and never says which port it got,
//! so this module binds the socket itself (port 0 works, as the tests need) and hands each
//! accepted connection to a libunftp server built for that connection. Building per
//! connection also gives each connection its own pair of login hooks (see `door`). The cost
//! is that the TLS certificate is read from disk at every connection; it is checked once at
//! bind time, so a broken certificate stops the start instead of every login.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gatehouse_core::auth::Authenticator;
use gatehouse_core::config::FtpConfig;
use libunftp::ServerBuilder;
use libunftp::options::{FtpsRequired, PassiveHost};
use tokio::net::{TcpListener, TcpStream};
use tracing::Instrument;

use crate::door::{self, DoorSettings, FtpUser};
use crate::storage::JailStorage;

const GREETING: &str = "Gatehouse FTP ready";

#[derive(Debug, thiserror::Error)]
pub enum FtpError {
    #[error("ftp server: {0}")]
    Server(#[from] libunftp::ServerError),
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
}

/// The FTPS certificate chain and private key, both PEM.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

struct Shared {
    door: DoorSettings,
    config: FtpConfig,
    tls: TlsFiles,
}

pub struct FtpServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl FtpServer {
    /// Binds the listener and checks the TLS files; `run` serves it.
    pub async fn bind(
        config: &FtpConfig,
        tls: TlsFiles,
        auth: Authenticator,
    ) -> Result<Self, FtpError> {
        if config.passive_port_min > config.passive_port_max {
            return Err(FtpError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "ftp.passive_port_min is above ftp.passive_port_max",
            )));
        }
        let shared = Arc::new(Shared {
            door: DoorSettings {
                auth,
                tls_required: config.tls_required(),
                failure_delay: Duration::from_millis(config.auth_failure_delay_ms),
            },
            config: config.clone(),
            tls,
        });
        build(&shared)?;
        let listener = TcpListener::bind(config.listen).await?;
        Ok(Self { listener, shared })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until the listener fails.
    pub async fn run(self) -> io::Result<()> {
        loop {
            let (stream, peer) = self.listener.accept().await?;
            let shared = self.shared.clone();
            let span = tracing::info_span!("ftp", %peer);
            tokio::spawn(serve(shared, stream).instrument(span));
        }
    }
}

async fn serve(shared: Arc<Shared>, stream: TcpStream) {
    tracing::debug!("ftp connection opened");
    let server = match build(&shared) {
        Ok(server) => server,
        Err(err) => {
            tracing::error!(error = %err, "cannot set up an ftp session");
            return;
        }
    };
    if let Err(err) = server.service(stream).await {
        tracing::debug!(error = %err, "ftp connection ended with an error");
    }
    tracing::debug!("ftp connection closed");
}

fn build(shared: &Shared) -> Result<libunftp::Server<JailStorage, FtpUser>, FtpError> {
    let config = &shared.config;
    let (door, provider) = door::per_connection(shared.door.clone());
    let storage: Box<dyn Fn() -> JailStorage + Send + Sync> = Box::new(|| JailStorage);
    let passive_host = match config.public_address {
        Some(ip) => PassiveHost::Ip(ip),
        None => PassiveHost::FromConnection,
    };
    let required = if shared.door.tls_required {
        FtpsRequired::All
    } else {
        FtpsRequired::None
    };
    let server = ServerBuilder::<JailStorage, FtpUser>::with_user_detail_provider(
        storage,
        Arc::new(provider),
    )
    .authenticator(Arc::new(door))
    .greeting(GREETING)
    .passive_ports(config.passive_port_min..=config.passive_port_max)
    .passive_host(passive_host)
    .idle_session_timeout(config.idle_timeout_secs)
    .ftps(&shared.tls.certificate, &shared.tls.private_key)
    .ftps_required(required, required)
    .build()?;
    Ok(server)
}
