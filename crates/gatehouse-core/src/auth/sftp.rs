//! The SFTP door: a password or an SSH public key, nothing else.
//!
//! This module never reads second-factor state, by design: 2FA applies to the web app only,
//! so a user who enables it (or is made to, by Enforced MFA) keeps uploading by SFTP with
//! the same password or key. The only way through this door is [`SftpPrincipal`], which this
//! module alone constructs.

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use ssh_key::PublicKey;

use super::login::{Authenticator, Refusal};
use crate::audit::Protocol;
use crate::entity::user;
use crate::error::CoreError;
use crate::ids::{Role, TenantId, TenantName, UserId, Username};
use crate::password::Password;
use crate::store::keys::fingerprint;

/// A user who passed the SFTP door: who they are and where their files are.
#[derive(Clone, Debug)]
pub struct SftpPrincipal {
    pub tenant_id: TenantId,
    pub tenant: TenantName,
    pub user_id: UserId,
    pub username: Username,
    pub role: Role,
    /// The user's root folder on the host; every path resolves inside it.
    pub root: PathBuf,
}

impl Authenticator {
    /// Password login for SFTP. `Ok(None)` is a refusal, already audited and counted.
    pub async fn sftp_password(
        &self,
        typed_name: &str,
        password: &Password,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Option<SftpPrincipal>, CoreError> {
        let user = match self.check_password(typed_name, password, peer, now).await? {
            Ok(user) => user,
            Err((refusal, user)) => {
                self.refuse(
                    Protocol::Sftp,
                    typed_name,
                    user.as_ref(),
                    refusal,
                    peer,
                    now,
                )
                .await?;
                return Ok(None);
            }
        };
        self.admit(typed_name, user, peer, "password", now).await
    }

    /// Whether `key` is worth a signature from the client: registered for a usable account.
    /// Called before the client proves it holds the key, so it neither audits nor counts.
    pub async fn sftp_key_acceptable(
        &self,
        typed_name: &str,
        key: &PublicKey,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        if self.store.is_locked_out(typed_name, peer, now).await? {
            return Ok(false);
        }
        let Some(user) = self.find(typed_name).await? else {
            return Ok(false);
        };
        let usable = sftp_refusal(&user).is_none();
        Ok(usable
            && self
                .store
                .find_key(user.user_id(), &fingerprint(key))
                .await?
                .is_some())
    }

    /// Public-key login, after the SSH layer verified the client's signature with `key`.
    pub async fn sftp_public_key(
        &self,
        typed_name: &str,
        key: &PublicKey,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Option<SftpPrincipal>, CoreError> {
        if self.store.is_locked_out(typed_name, peer, now).await? {
            self.refuse(
                Protocol::Sftp,
                typed_name,
                None,
                Refusal::LockedOut,
                peer,
                now,
            )
            .await?;
            return Ok(None);
        }
        let Some(user) = self.find(typed_name).await? else {
            self.refuse(
                Protocol::Sftp,
                typed_name,
                None,
                Refusal::UnknownUser,
                peer,
                now,
            )
            .await?;
            return Ok(None);
        };
        let fingerprint = fingerprint(key);
        let Some(stored) = self.store.find_key(user.user_id(), &fingerprint).await? else {
            let refusal = Refusal::UnknownKey;
            self.refuse(Protocol::Sftp, typed_name, Some(&user), refusal, peer, now)
                .await?;
            return Ok(None);
        };
        self.store.touch_key(stored.id, now).await?;
        self.admit(
            typed_name,
            user,
            peer,
            &format!("public key {fingerprint}"),
            now,
        )
        .await
    }

    async fn find(&self, typed_name: &str) -> Result<Option<user::Model>, CoreError> {
        match Username::parse(typed_name) {
            Ok(name) => self.store.find_user(&name).await,
            Err(_) => Ok(None),
        }
    }

    /// The account's own state, checked after the credential so that a wrong password on a
    /// disabled account looks the same as on any other.
    async fn admit(
        &self,
        typed_name: &str,
        user: user::Model,
        peer: IpAddr,
        how: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SftpPrincipal>, CoreError> {
        if let Some(refusal) = sftp_refusal(&user) {
            self.refuse(Protocol::Sftp, typed_name, Some(&user), refusal, peer, now)
                .await?;
            return Ok(None);
        }
        let tenant = self.store.tenant_by_id(user.tenant()).await?;
        let tenant_name = TenantName::parse(&tenant.name)?;
        self.accept(Protocol::Sftp, &user, peer, how, now).await?;
        self.store.touch_sftp_login(user.user_id(), now).await?;
        Ok(Some(SftpPrincipal {
            tenant_id: user.tenant(),
            root: self.user_root(&tenant_name, &user),
            tenant: tenant_name,
            user_id: user.user_id(),
            username: Username::parse(&user.username)?,
            role: user.role(),
        }))
    }
}

fn sftp_refusal(user: &user::Model) -> Option<Refusal> {
    if user.disabled {
        Some(Refusal::Disabled)
    } else if !user.sftp_enabled {
        Some(Refusal::DoorClosed)
    } else {
        None
    }
}
