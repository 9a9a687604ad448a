//! The password check every door shares: throttle first, then argon2 (against a dummy hash
//! for unknown users), then the account's state, auditing each outcome with its real reason
//! while the caller only ever learns "refused".

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::config::Config;
use crate::entity::user;
use crate::error::CoreError;
use crate::ids::{TenantName, Username};
use crate::password::{Password, PasswordHasher, PasswordPolicy, Verified};
use crate::store::Store;
use crate::store::throttle::LockoutPolicy;

/// Shared by every door: the store, the hasher, where files live and the default lockout.
#[derive(Clone, Debug)]
pub struct Authenticator {
    pub(crate) store: Store,
    pub(crate) hasher: PasswordHasher,
    pub(crate) storage_root: PathBuf,
    pub(crate) default_lockout: LockoutPolicy,
}

/// Why an attempt was refused. Only the audit log and the server log ever see this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    LockedOut,
    UnknownUser,
    WrongPassword,
    UnknownKey,
    Disabled,
    DoorClosed,
    /// Shed under load: the password was not checked at all.
    Busy,
    /// A wrong TOTP, SMS or recovery code on a pending web login.
    WrongSecondFactor,
}

impl Refusal {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::LockedOut => "locked out after repeated failures",
            Self::UnknownUser => "unknown username",
            Self::WrongPassword => "wrong password",
            Self::UnknownKey => "key not registered for this user",
            Self::Disabled => "account disabled",
            Self::DoorClosed => "access through this protocol is switched off",
            Self::Busy => "too many logins in progress; refused without checking the password",
            Self::WrongSecondFactor => "wrong second-factor code",
        }
    }

    /// Refusals that count toward the lockout: guesses, not state.
    fn counts_as_failure(self) -> bool {
        matches!(
            self,
            Self::UnknownUser | Self::WrongPassword | Self::UnknownKey | Self::WrongSecondFactor
        )
    }
}

impl Authenticator {
    pub fn new(store: Store, config: &Config) -> Result<Self, CoreError> {
        Ok(Self {
            store,
            hasher: PasswordHasher::with_queue_limit(
                match config.security.max_concurrent_hashes {
                    0 => PasswordHasher::default_concurrency(),
                    n => n,
                },
                config.security.max_queued_hashes,
                config.security.hash_priority,
            )?,
            storage_root: config.storage_root(),
            default_lockout: LockoutPolicy::from(&config.security),
        })
    }

    /// Where a user's files are on the host: the tenant's folder, then the user's root
    /// folder inside it. Every door uses this, so both sides see one tree.
    pub(crate) fn user_root(&self, tenant: &TenantName, user: &user::Model) -> PathBuf {
        self.storage_root
            .join(tenant.as_str())
            .join(&user.root_folder)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The password policy of the user's tenant.
    pub async fn password_policy(&self, user: &user::Model) -> Result<PasswordPolicy, CoreError> {
        let settings = self.store.tenant_settings(user.tenant()).await?;
        Ok(PasswordPolicy {
            min_length: usize::try_from(settings.password_min_length).unwrap_or(12),
        })
    }

    /// Checks throttle and password; returns the user when both pass. The account's state
    /// (disabled, door switches) is left to the caller, which knows the door.
    pub(crate) async fn check_password(
        &self,
        typed_name: &str,
        password: &Password,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Result<user::Model, (Refusal, Option<user::Model>)>, CoreError> {
        if self.store.is_locked_out(typed_name, peer, now).await? {
            return Ok(Err((Refusal::LockedOut, None)));
        }
        let user = match Username::parse(typed_name) {
            Ok(name) => self.store.find_user(&name).await?,
            Err(_) => None,
        };
        let stored = user.as_ref().map(|user| user.password_hash.as_str());
        let verified = match self.hasher.verify(password, stored).await {
            Err(CoreError::Busy) => return Ok(Err((Refusal::Busy, user))),
            other => other?,
        };
        match (user, verified) {
            (None, _) => Ok(Err((Refusal::UnknownUser, None))),
            (Some(user), Verified::No) => Ok(Err((Refusal::WrongPassword, Some(user)))),
            (Some(user), Verified::Yes) => Ok(Ok(user)),
            (Some(user), Verified::YesRehash) => {
                let fresh = self.hasher.hash(password).await?;
                self.store
                    .upgrade_password_hash(user.user_id(), &user.password_hash, fresh)
                    .await?;
                let name = &user.username;
                tracing::info!(user = %name, "password hash upgraded to current parameters");
                Ok(Ok(user))
            }
        }
    }

    /// Audits a refusal and counts it toward the lockout when it was a guess.
    pub(crate) async fn refuse(
        &self,
        protocol: Protocol,
        typed_name: &str,
        user: Option<&user::Model>,
        refusal: Refusal,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let mut event = AuditEvent::new(AuditKind::Login, protocol, bounded(typed_name))
            .failed()
            .peer(peer)
            .detail(refusal.as_str());
        if let Some(user) = user {
            event = event.tenant(user.tenant());
        }
        self.store.record(event, now).await?;

        if !refusal.counts_as_failure() {
            return Ok(());
        }
        let policy = match user {
            Some(user) => LockoutPolicy::from(&self.store.tenant_settings(user.tenant()).await?),
            None => self.default_lockout,
        };
        if self
            .store
            .record_login_failure(typed_name, peer, policy, now)
            .await?
        {
            let mut event = AuditEvent::new(AuditKind::LockedOut, protocol, bounded(typed_name))
                .failed()
                .peer(peer)
                .detail(format!(
                    "{} failures within {} s; blocked for {} s",
                    policy.max_failures,
                    policy.window.num_seconds(),
                    policy.duration.num_seconds()
                ));
            if let Some(user) = user {
                event = event.tenant(user.tenant());
            }
            self.store.record(event, now).await?;
        }
        Ok(())
    }

    pub(crate) async fn accept(
        &self,
        protocol: Protocol,
        user: &user::Model,
        peer: IpAddr,
        how: &str,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        self.store
            .clear_login_failures(&user.username, peer)
            .await?;
        let event = AuditEvent::new(AuditKind::Login, protocol, user.username.clone())
            .tenant(user.tenant())
            .peer(peer)
            .detail(how);
        self.store.record(event, now).await
    }
}

/// What was typed, cut to a length the audit columns hold.
fn bounded(typed: &str) -> String {
    typed.chars().take(64).collect()
}
