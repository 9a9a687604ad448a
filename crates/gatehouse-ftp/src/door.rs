//! libunftp's authentication hooks, wired to the core FTP door.
//!
//! libunftp splits a login in two: an `Authenticator` turns a name and password into a bare
//! principal (a username), then a `UserDetailProvider` turns that into the session's user.
//! Both are made per connection here and share a one-slot hand-over, so the provider gets
//! exactly the principal core returned for this connection without a second lookup.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use gatehouse_core::auth::Authenticator;
use gatehouse_core::auth::ftp::FtpPrincipal;
use gatehouse_core::jail::Jail;
use gatehouse_core::password::Password;
use unftp_core::auth::{
    AuthenticationError, ChannelEncryptionState, Credentials, Principal, UserDetail,
    UserDetailError, UserDetailProvider,
};

/// The session's user: who logged in, and their jail.
#[derive(Debug)]
pub struct FtpUser {
    pub principal: FtpPrincipal,
    pub jail: Arc<Jail>,
}

impl UserDetail for FtpUser {}

impl fmt::Display for FtpUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.principal.username.as_str())
    }
}

type Slot = Arc<Mutex<Option<FtpPrincipal>>>;

/// What one connection's authenticator needs.
#[derive(Clone)]
pub(crate) struct DoorSettings {
    pub auth: Authenticator,
    pub tls_required: bool,
    pub failure_delay: Duration,
}

pub(crate) struct Door {
    settings: DoorSettings,
    slot: Slot,
}

impl fmt::Debug for Door {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("gatehouse FTP door")
    }
}

#[derive(Debug)]
pub(crate) struct Provider {
    slot: Slot,
}

/// One connection's pair of hooks.
pub(crate) fn per_connection(settings: DoorSettings) -> (Door, Provider) {
    let slot = Slot::default();
    let door = Door {
        settings,
        slot: slot.clone(),
    };
    (door, Provider { slot })
}

#[async_trait]
impl unftp_core::auth::Authenticator for Door {
    async fn authenticate(
        &self,
        username: &str,
        creds: &Credentials,
    ) -> Result<Principal, AuthenticationError> {
        let peer = creds.source_ip;
        // libunftp already refuses PASS on a plain channel when TLS is required; checking
        // again here keeps the rule true even if that setting were ever lost.
        if self.settings.tls_required
            && creds.command_channel_security != ChannelEncryptionState::Tls
        {
            tracing::warn!(user = %username, %peer, "ftp login without TLS refused");
            return Err(AuthenticationError::new("TLS required"));
        }
        let Some(password) = creds.password.as_deref() else {
            return Err(AuthenticationError::BadPassword);
        };
        let password = Password::new(password);
        let now = Utc::now();
        let result = self
            .settings
            .auth
            .ftp_password(username, &password, peer, now)
            .await;
        match result {
            Ok(Some(principal)) => {
                let (user, tenant) = (&principal.username, &principal.tenant);
                tracing::info!(%user, %tenant, %peer, "ftp login");
                let name = principal.username.as_str().to_owned();
                *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(principal);
                Ok(Principal { username: name })
            }
            Ok(None) => {
                tokio::time::sleep(self.settings.failure_delay).await;
                Err(AuthenticationError::BadPassword)
            }
            Err(err) => {
                tracing::error!(user = %username, %peer, error = %err, "ftp login failed");
                tokio::time::sleep(self.settings.failure_delay).await;
                Err(AuthenticationError::new("internal error"))
            }
        }
    }
}

#[async_trait]
impl UserDetailProvider for Provider {
    type User = FtpUser;

    async fn provide_user_detail(&self, principal: &Principal) -> Result<FtpUser, UserDetailError> {
        let taken = self
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(admitted) = taken.filter(|p| p.username.as_str() == principal.username) else {
            return Err(UserDetailError::UserNotFound {
                username: principal.username.clone(),
            });
        };
        let root = admitted.root.clone();
        let jail = tokio::task::spawn_blocking(move || Jail::open(&root))
            .await
            .map_err(|err| UserDetailError::with_source("opening the root folder", err))?
            .map_err(|err| {
                tracing::error!(user = %admitted.username, error = %err, "cannot open ftp root");
                UserDetailError::with_source("opening the root folder", err)
            })?;
        Ok(FtpUser {
            principal: admitted,
            jail: Arc::new(jail),
        })
    }
}
