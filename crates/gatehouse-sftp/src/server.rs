//! The SSH side: listener, russh configuration, authentication and channel requests.
//!
//! Authentication goes to `gatehouse_core::auth::sftp` and nowhere else. The only service is
//! the `sftp` subsystem (which OpenSSH 9's `scp` uses too); shell, exec (including legacy
//! `scp -O`), port forwarding and agent forwarding are refused.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use gatehouse_core::auth::Authenticator;
use gatehouse_core::auth::sftp::SftpPrincipal;
use gatehouse_core::config::SftpConfig;
use gatehouse_core::jail::Jail;
use gatehouse_core::password::Password;
use russh::keys::PrivateKey;
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session};
use russh::server::{Handler, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Preferred, SshId, cipher};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::dispatch::{SftpSession, Traffic};
use crate::pump::{self, InputEnd};
use crate::quickack::QuickAck;
use crate::shards::Shards;

/// Session channels one connection may have open at once, as OpenSSH's `MaxSessions`
/// default. Each SFTP session has its own request queue and handle limit, so without this one
/// connection could multiply both at will.
pub const MAX_SESSIONS_PER_CONNECTION: usize = 10;

const SFTP_ONLY: &str = "This server provides SFTP only; use sftp, or scp from OpenSSH 9 or \
    later (it speaks SFTP). Shell, command execution and legacy scp (-O) are not available.\r\n";

#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    #[error("ssh: {0}")]
    Ssh(#[from] russh::Error),
}

/// What every connection shares.
struct Shared {
    auth: Authenticator,
    config: SftpConfig,
}

pub struct SftpServer {
    listener: TcpListener,
    ssh: Arc<russh::server::Config>,
    shared: Arc<Shared>,
}

impl SftpServer {
    /// Binds the listener; `run` serves it.
    pub async fn bind(
        config: &SftpConfig,
        host_key: PrivateKey,
        auth: Authenticator,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let shared = Arc::new(Shared {
            auth,
            config: config.clone(),
        });
        Ok(Self {
            listener,
            ssh: Arc::new(ssh_config(config, host_key)),
            shared,
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the task is dropped or aborted; the connections go with it.
    ///
    /// Accepted sockets are handed to [`Shards`], so each connection runs on one thread. A
    /// failed `accept` (out of file descriptors, a connection reset while queued) is logged
    /// and retried after a short pause rather than ending the listener.
    pub async fn run(self) -> io::Result<()> {
        let shards = Shards::start(self.shared.config.threads)?;
        loop {
            let (socket, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "SFTP accept failed; retrying");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            };
            // A tokio socket belongs to the runtime that registered it; the shard registers
            // it again with its own.
            let socket = match socket.into_std() {
                Ok(socket) => socket,
                Err(error) => {
                    tracing::warn!(%error, %peer, "could not hand over an SFTP connection");
                    continue;
                }
            };
            let connection = Connection::new(Arc::clone(&self.shared), peer);
            let ssh = Arc::clone(&self.ssh);
            shards.spawn(move || serve_connection(ssh, socket, connection));
        }
    }
}

/// A pause after a failed `accept`, so a full file table is not a busy loop.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

async fn serve_connection(
    ssh: Arc<russh::server::Config>,
    socket: std::net::TcpStream,
    connection: Connection,
) {
    let socket = match tokio::net::TcpStream::from_std(socket) {
        Ok(socket) => socket,
        Err(error) => {
            tracing::warn!(%error, "could not register an SFTP connection");
            return;
        }
    };
    // Without it small requests wait for Nagle's timer; paramiko uploads run at half speed.
    if let Err(error) = socket.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY");
    }
    tracing::debug!(peer = %connection.peer, "ssh connection");
    let socket = QuickAck::new(socket);
    let session = match russh::server::run_stream(ssh, socket, connection).await {
        Ok(session) => session,
        Err(error) => {
            tracing::debug!(%error, "ssh connection ended before its session began");
            return;
        }
    };
    if let Err(error) = session.await {
        tracing::debug!(%error, "ssh connection ended with an error");
    }
}

fn ssh_config(config: &SftpConfig, host_key: PrivateKey) -> russh::server::Config {
    let ciphers = [
        cipher::CHACHA20_POLY1305,
        cipher::AES_128_GCM,
        cipher::AES_256_GCM,
        cipher::AES_128_CTR,
        cipher::AES_192_CTR,
        cipher::AES_256_CTR,
    ];
    russh::server::Config {
        server_id: SshId::Standard(Cow::Borrowed("SSH-2.0-Gatehouse")),
        methods: MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..]),
        // Real failures wait a constant time so their cost says nothing. The OpenSSH client
        // opens with a `none` probe; delaying that would add the delay to every login.
        auth_rejection_time: Duration::from_millis(config.auth_failure_delay_ms),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        preferred: Preferred {
            cipher: Cow::Owned(ciphers.to_vec()),
            ..Preferred::DEFAULT
        },
        inactivity_timeout: Some(Duration::from_secs(config.idle_timeout_secs)),
        // Bigger SSH packets halve the per-packet work of uploads (OpenSSH's own client then
        // sends 64 KiB packets); a deeper window keeps a long fat pipe full. Downloads are
        // bounded by the client's packet size (32 KiB for OpenSSH) whatever we set here.
        maximum_packet_size: 65535,
        window_size: 8 * 1024 * 1024,
        // Outgoing channel data waits in this queue until the connection task encrypts what
        // is queued into one write buffer and sends it. That buffer keeps its largest size
        // for the life of the connection, so the queue depth bounds what every session that
        // ever downloaded holds: russh's default of 10 left about 400 KiB per session after
        // a transfer (heaptrack), two leaves about 128 KiB at the same throughput.
        event_buffer_size: 2,
        max_auth_attempts: 6,
        ..Default::default()
    }
}

/// One SSH connection.
pub struct Connection {
    shared: Arc<Shared>,
    peer: SocketAddr,
    principal: Option<SftpPrincipal>,
    /// Channels opened and not yet given a subsystem, each with its session permit.
    channels: HashMap<ChannelId, (Channel<Msg>, OwnedSemaphorePermit)>,
    sessions: Arc<Semaphore>,
}

impl Connection {
    fn new(shared: Arc<Shared>, peer: SocketAddr) -> Self {
        Self {
            shared,
            peer,
            principal: None,
            channels: HashMap::new(),
            sessions: Arc::new(Semaphore::new(MAX_SESSIONS_PER_CONNECTION)),
        }
    }

    fn admit(&mut self, outcome: Result<Option<SftpPrincipal>, gatehouse_core::CoreError>) -> Auth {
        match outcome {
            Ok(Some(principal)) => {
                self.principal = Some(principal);
                Auth::Accept
            }
            Ok(None) => Auth::reject(),
            Err(error) => {
                tracing::error!(%error, peer = %self.peer, "SFTP login could not be checked");
                Auth::reject()
            }
        }
    }

    /// Answers a shell or exec request with a readable refusal and a non-zero exit status.
    fn refuse_channel_request(
        &mut self,
        channel: ChannelId,
        what: &str,
        session: &mut Session,
    ) -> Result<(), SftpError> {
        let user = self
            .principal
            .as_ref()
            .map(|p| p.username.to_string())
            .unwrap_or_default();
        let peer = self.peer;
        tracing::info!(%user, %peer, request = what, "refused non-SFTP channel request");
        session.channel_success(channel)?;
        session.extended_data(channel, 1, SFTP_ONLY.as_bytes().to_vec())?;
        session.exit_status_request(channel, 1)?;
        session.eof(channel)?;
        session.close(channel)?;
        self.channels.remove(&channel);
        Ok(())
    }
}

// russh keeps each connection's handler futures inside the connection's own task, whose size
// is that of its largest state, for the whole life of the connection. The login checks run
// database queries whose futures are tens of KiB; boxing them costs one allocation per login
// and keeps every idle session that much smaller (measured with heaptrack: the session task
// was about 32 KiB).
impl Handler for Connection {
    type Error = SftpError;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, SftpError> {
        let password = Password::new(password);
        let auth = &self.shared.auth;
        let outcome =
            Box::pin(auth.sftp_password(user, &password, self.peer.ip(), Utc::now())).await;
        Ok(self.admit(outcome))
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, SftpError> {
        let auth = &self.shared.auth;
        let check = auth.sftp_key_acceptable(user, offer.public_key, self.peer.ip(), Utc::now());
        let acceptable = Box::pin(check).await;
        Ok(match acceptable {
            Ok(true) => Auth::Accept,
            Ok(false) => Auth::reject(),
            Err(error) => {
                tracing::error!(%error, peer = %self.peer, "SFTP key could not be checked");
                Auth::reject()
            }
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, SftpError> {
        let auth = &self.shared.auth;
        let check = auth.sftp_public_key(user, key.public_key, self.peer.ip(), Utc::now());
        let outcome = Box::pin(check).await;
        Ok(self.admit(outcome))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), SftpError> {
        if self.principal.is_none() {
            return Ok(()); // Dropping the handle rejects the channel.
        }
        let Ok(permit) = Arc::clone(&self.sessions).try_acquire_owned() else {
            let peer = self.peer;
            let limit = MAX_SESSIONS_PER_CONNECTION;
            tracing::warn!(%peer, limit, "refused a session channel over the limit");
            return Ok(());
        };
        self.channels.insert(channel.id(), (channel, permit));
        reply.accept().await;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel_id: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), SftpError> {
        let (Some(principal), true) = (self.principal.clone(), name == "sftp") else {
            session.channel_failure(channel_id)?;
            return Ok(());
        };
        let Some((channel, permit)) = self.channels.remove(&channel_id) else {
            session.channel_failure(channel_id)?;
            return Ok(());
        };
        let jail = match Jail::open(&principal.root) {
            Ok(jail) => jail,
            Err(error) => {
                let user = &principal.username;
                tracing::error!(%error, %user, "cannot open the user's root folder");
                session.channel_failure(channel_id)?;
                return Ok(());
            }
        };
        session.channel_success(channel_id)?;

        let config = &self.shared.config;
        let traffic = Arc::new(Traffic::default());
        let sftp = SftpSession::new(
            jail,
            principal.username.to_string(),
            config.max_open_handles,
            Arc::clone(&traffic),
        );
        let span = tracing::info_span!(
            "sftp",
            user = %principal.username,
            tenant = %principal.tenant,
            peer = %self.peer
        );
        let max_queued = config.max_queued_request_bytes;
        tokio::spawn(
            async move {
                tracing::info!("sftp session opened");
                let end = pump::serve(channel, sftp, max_queued).await;
                log_session_end(&end, &traffic);
                drop(permit);
            }
            .instrument(span),
        );
        Ok(())
    }

    /// A channel closed before it started SFTP gives its session permit back.
    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), SftpError> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), SftpError> {
        self.refuse_channel_request(channel, "exec", session)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), SftpError> {
        self.refuse_channel_request(channel, "shell", session)
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), SftpError> {
        session.channel_failure(channel)?;
        Ok(())
    }
}

/// The close line of a session, with the bytes it moved.
fn log_session_end(end: &InputEnd, traffic: &Traffic) {
    let bytes_read = traffic.read.load(Ordering::Relaxed);
    let bytes_written = traffic.written.load(Ordering::Relaxed);
    match end {
        InputEnd::Closed => tracing::info!(bytes_read, bytes_written, "sftp session closed"),
        other => {
            let reason = format!("{other:?}");
            tracing::warn!(bytes_read, bytes_written, %reason, "sftp session ended by the server");
        }
    }
}
