//! The web door: a password, then (per policy) a second factor or enrolment of one.
//!
//! A password alone yields one of three [`WebLogin`] states, each tied to a server-side
//! session. Only [`WebPrincipal`] reaches files and the profile, and it has no public
//! constructor: this module builds one only from a session whose state core itself set to
//! signed in, after the second factor passed (or when the user owes none). The web crate's
//! gate can therefore not hand out a page to a pending login by mistake.
//!
//! Unlike `auth::sftp`, this door reads second-factor state; that is the whole difference.

mod account;
mod challenge;
mod enrolment;
mod keys;

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use account::FactorSummary;
pub use challenge::{ChallengeOutcome, CodeKind, SmsSend};
pub use enrolment::{SmsEnrolment, TotpConfirmation, TotpEnrolment};
pub use keys::KeyRefusal;

use super::login::{Authenticator, Refusal};
use super::sms::{SmsError, SmsProvider};
use super::totp::SealKey;
use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::config::Config;
use crate::entity::{user, web_session};
use crate::error::CoreError;
use crate::ids::{Role, TenantId, TenantName, UserId, Username};
use crate::password::Password;
use crate::store::second_factors::Method;
use crate::store::sessions::{NewSession, SessionState};

/// A pending login lives this long, and allows this many wrong codes.
pub const PENDING_LIFETIME_SECS: i64 = 5 * 60;
pub const PENDING_MAX_WRONG_CODES: i32 = 5;
/// An enrolment-only session lives this long.
const ENROLMENT_LIFETIME_SECS: i64 = 15 * 60;

#[derive(Debug, Error)]
pub enum WebAuthError {
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Sms(#[from] SmsError),
}

/// The secret in the session cookie. Its `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl SessionToken {
    fn generate() -> Self {
        Self(random_text())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 256 random bits as URL-safe text; also used for CSRF tokens.
pub fn random_text() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Who a session belongs to, as every state sees it.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub session_id: i64,
    pub csrf_token: String,
    pub user_id: UserId,
    pub username: Username,
    pub tenant_id: TenantId,
}

/// Password accepted; a second factor is owed. Reaches only `/login/2fa`.
#[derive(Clone, Debug)]
pub struct PendingLogin {
    pub who: SessionUser,
    pub methods: Vec<Method>,
    pub recovery_codes_left: u64,
}

/// Password accepted; Enforced MFA requires a factor first. Reaches only enrolment pages.
#[derive(Clone, Debug)]
pub struct EnrolmentTicket {
    pub who: SessionUser,
    pub tenant: TenantName,
}

/// Signed in. No public constructor (`non_exhaustive` forbids building one outside core):
/// only this module builds one.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WebPrincipal {
    pub who: SessionUser,
    pub tenant: TenantName,
    pub role: Role,
    /// The user's root folder on the host, the same as SFTP's.
    pub root: PathBuf,
    /// When this session last passed a second factor, if ever.
    pub second_factor_at: Option<DateTime<Utc>>,
}

/// Where a session stands.
#[derive(Clone, Debug)]
pub enum WebLogin {
    SecondFactorRequired(PendingLogin),
    EnrolmentRequired(EnrolmentTicket),
    SignedIn(WebPrincipal),
}

/// Everything the web app needs from core: the shared authenticator, the key that seals
/// TOTP secrets, the SMS provider (if any) and the session lifetimes.
#[derive(Clone, Debug)]
pub struct WebDoor {
    auth: Authenticator,
    seal: SealKey,
    sms: Option<Arc<dyn SmsProvider>>,
    issuer: String,
    idle: Duration,
    absolute: Duration,
    resend: Duration,
}

impl WebDoor {
    pub fn new(auth: Authenticator, config: &Config) -> Result<Self, CoreError> {
        Ok(Self {
            auth,
            seal: SealKey::load_or_create(&config.web_secret_key_path())?,
            sms: super::sms::provider(&config.sms),
            issuer: config.web.totp_issuer.clone(),
            idle: Duration::seconds(config.web.session_idle_secs),
            absolute: Duration::seconds(config.web.session_absolute_secs),
            resend: Duration::seconds(config.sms.resend_interval_secs),
        })
    }

    /// The shared store, hasher and policy, for the administration pages.
    pub fn authenticator(&self) -> &Authenticator {
        &self.auth
    }

    pub fn sms_offered(&self) -> bool {
        self.sms.is_some()
    }

    /// Password login. `Ok(None)` is a refusal, already audited and counted. Every success
    /// starts a brand-new session, so no cookie from before login survives it.
    pub async fn login(
        &self,
        typed_name: &str,
        password: &Password,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionToken, WebLogin)>, WebAuthError> {
        let user = match self
            .auth
            .check_password(typed_name, password, peer, now)
            .await?
        {
            Ok(user) => user,
            Err((refusal, user)) => {
                self.auth
                    .refuse(Protocol::Web, typed_name, user.as_ref(), refusal, peer, now)
                    .await?;
                return Ok(None);
            }
        };
        if let Some(refusal) = web_refusal(&user) {
            self.auth
                .refuse(Protocol::Web, typed_name, Some(&user), refusal, peer, now)
                .await?;
            return Ok(None);
        }
        let store = self.auth.store();
        let has_factor = !store.confirmed_factors(user.user_id()).await?.is_empty();
        let enforced = store.tenant_settings(user.tenant()).await?.enforce_mfa;
        let (state, lifetime) = match (has_factor, enforced) {
            (true, _) => (
                SessionState::Pending,
                Duration::seconds(PENDING_LIFETIME_SECS),
            ),
            (false, true) => (
                SessionState::Enrolment,
                Duration::seconds(ENROLMENT_LIFETIME_SECS),
            ),
            (false, false) => (SessionState::Full, self.absolute),
        };
        if state == SessionState::Full {
            self.auth
                .accept(
                    Protocol::Web,
                    &user,
                    peer,
                    "password (no second factor)",
                    now,
                )
                .await?;
        }
        let token = self
            .open_session(user.user_id(), state, None, now + lifetime, now)
            .await?;
        let login = self.resume(token.as_str(), now).await?;
        Ok(login.map(|login| (token, login)))
    }

    async fn open_session(
        &self,
        user: UserId,
        state: SessionState,
        second_factor_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<SessionToken, CoreError> {
        let token = SessionToken::generate();
        let new = NewSession {
            token_hash: token_hash(token.as_str()),
            user,
            state,
            csrf_token: random_text(),
            second_factor_at,
            expires_at,
        };
        self.auth.store().create_session(new, now).await?;
        // A signed-in session opens only when a login completes (password alone, a code, or
        // a first factor under Enforced MFA), so this is the one place to stamp it.
        if state == SessionState::Full {
            self.auth.store().touch_web_login(user, now).await?;
        }
        Ok(token)
    }

    /// The state of the session behind a cookie's token, or `None` when there is no live one.
    pub async fn resume(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebLogin>, CoreError> {
        let store = self.auth.store();
        let Some(row) = store
            .live_session(&token_hash(token), self.idle, now)
            .await?
        else {
            return Ok(None);
        };
        let user = store.user_by_id(UserId(row.user_id)).await?;
        let state = SessionState::parse(&row.state);
        let (Some(state), None) = (state, web_refusal(&user)) else {
            store.delete_session(row.id).await?;
            return Ok(None);
        };
        let tenant = TenantName::parse(&store.tenant_by_id(user.tenant()).await?.name)?;
        let who = session_user(&row, &user)?;
        Ok(Some(match state {
            SessionState::Pending => WebLogin::SecondFactorRequired(self.pending(who).await?),
            SessionState::Enrolment => WebLogin::EnrolmentRequired(EnrolmentTicket { who, tenant }),
            SessionState::Full => WebLogin::SignedIn(WebPrincipal {
                root: self.auth.user_root(&tenant, &user),
                who,
                tenant,
                role: user.role(),
                second_factor_at: row.second_factor_at,
            }),
        }))
    }

    async fn pending(&self, who: SessionUser) -> Result<PendingLogin, CoreError> {
        let store = self.auth.store();
        let mut methods = Vec::new();
        for factor in store.confirmed_factors(who.user_id).await? {
            match factor.method() {
                Some(Method::Sms) if self.sms.is_none() => {}
                Some(method) => methods.push(method),
                None => {}
            }
        }
        let recovery_codes_left = store.recovery_codes_left(who.user_id).await?;
        Ok(PendingLogin {
            who,
            methods,
            recovery_codes_left,
        })
    }

    /// Ends a session on the server, whatever its state.
    pub async fn logout(&self, who: &SessionUser, now: DateTime<Utc>) -> Result<(), CoreError> {
        self.auth.store().delete_session(who.session_id).await?;
        let event = AuditEvent::new(AuditKind::Logout, Protocol::Web, who.username.as_str())
            .tenant(who.tenant_id);
        self.auth.store().record(event, now).await
    }

    /// Replaces a pending or enrolment session with a signed-in one (a fresh id, so the
    /// token that carried the password step is worthless). `None` when another request
    /// already did so with the same session.
    async fn promote(
        &self,
        who: &SessionUser,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionToken, WebPrincipal)>, CoreError> {
        if !self.auth.store().delete_session(who.session_id).await? {
            return Ok(None);
        }
        let token = self
            .open_session(
                who.user_id,
                SessionState::Full,
                Some(now),
                now + self.absolute,
                now,
            )
            .await?;
        match self.resume(token.as_str(), now).await? {
            Some(WebLogin::SignedIn(principal)) => Ok(Some((token, principal))),
            _ => Ok(None),
        }
    }
}

fn session_user(row: &web_session::Model, user: &user::Model) -> Result<SessionUser, CoreError> {
    Ok(SessionUser {
        session_id: row.id,
        csrf_token: row.csrf_token.clone(),
        user_id: user.user_id(),
        username: Username::parse(&user.username)?,
        tenant_id: user.tenant(),
    })
}

fn web_refusal(user: &user::Model) -> Option<Refusal> {
    if user.disabled {
        Some(Refusal::Disabled)
    } else if !user.web_enabled {
        Some(Refusal::DoorClosed)
    } else {
        None
    }
}
