//! russh's client, for what OpenSSH's `sftp` cannot do from one process: thousands of held
//! sessions and a stream of password guesses.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::ensure;
use russh::client::{self, Handle};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;

/// Loopback only, to servers the bench started itself, so any host key is theirs.
pub struct AcceptAnyHostKey;

impl client::Handler for AcceptAnyHostKey {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

pub type Connection = Handle<AcceptAnyHostKey>;

/// How long one SFTP request may wait for its answer. russh-sftp's default is 10 s, and
/// sshd holding 5,000 sessions (10,000 processes) on two cores busy with the bench itself
/// sometimes answers dozens of the held sessions' downloads later than that; the phase
/// measures memory, not latency, so a slow answer is not a failure.
const REQUEST_TIMEOUT_SECS: u64 = 120;

pub fn config() -> Arc<client::Config> {
    Arc::new(client::Config::default())
}

/// Logs in with the key and opens an SFTP session; the connection must be kept with it.
pub async fn sftp_with_key(
    config: Arc<client::Config>,
    addr: SocketAddr,
    user: &str,
    key: Arc<PrivateKey>,
) -> anyhow::Result<(Connection, SftpSession)> {
    let mut connection = client::connect(config, addr, AcceptAnyHostKey).await?;
    let key = PrivateKeyWithHashAlg::new(key, None);
    let auth = connection.authenticate_publickey(user, key).await?;
    ensure!(
        auth.success(),
        "the server refused the bench's key for {user}"
    );
    let channel = connection.channel_open_session().await?;
    channel.request_subsystem(true, "sftp").await?;
    let sftp = SftpSession::new(channel.into_stream()).await?;
    sftp.set_timeout(REQUEST_TIMEOUT_SECS);
    Ok((connection, sftp))
}

/// One password attempt on a fresh connection; true if the server let it in.
pub async fn try_password(
    config: Arc<client::Config>,
    addr: SocketAddr,
    user: &str,
    password: &str,
) -> anyhow::Result<bool> {
    let mut connection = client::connect(config, addr, AcceptAnyHostKey).await?;
    let auth = connection.authenticate_password(user, password).await?;
    Ok(auth.success())
}
