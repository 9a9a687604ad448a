//! russh's own client, for the tests that need more control than OpenSSH's `sftp` gives:
//! raw SFTP bytes, and connections dropped on purpose.

use std::net::SocketAddr;
use std::sync::Arc;

use russh::client::{self, Handle};
use russh::keys::PublicKeyOrCertificate;

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

/// Connects and logs in with a password; panics if the login is refused.
pub async fn russh_login(addr: SocketAddr, user: &str, password: &str) -> Handle<AcceptAnyHostKey> {
    let config = Arc::new(client::Config::default());
    let mut handle = client::connect(config, addr, AcceptAnyHostKey)
        .await
        .unwrap();
    let result = handle.authenticate_password(user, password).await.unwrap();
    assert!(
        result.success(),
        "{user} should be able to log in with a password"
    );
    handle
}

/// An SFTP channel on a logged-in connection.
pub async fn sftp_channel(handle: &Handle<AcceptAnyHostKey>) -> russh::Channel<client::Msg> {
    let channel = handle.channel_open_session().await.unwrap();
    channel.request_subsystem(true, "sftp").await.unwrap();
    channel
}

/// A length-prefixed SFTP packet of `kind` with `body`.
pub fn packet(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 1) as u32).to_be_bytes().to_vec();
    out.push(kind);
    out.extend_from_slice(body);
    out
}

pub fn sftp_string(text: &str) -> Vec<u8> {
    let mut out = (text.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out
}

pub const PASSWORD: &str = "correct-horse-battery-staple";
