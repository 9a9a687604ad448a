//! The second step of a web login: a TOTP, SMS or recovery code against a pending login.
//!
//! A wrong code is audited and counts in the same per-account-and-address throttle as a wrong
//! password; the fifth wrong code on one pending login destroys it, so guessing goes on only
//! by typing the password again (and the throttle sees that too).

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::{
    PENDING_MAX_WRONG_CODES, PendingLogin, SessionToken, WebAuthError, WebDoor, WebPrincipal,
};
use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::auth::login::Refusal;
use crate::auth::recovery;
use crate::auth::sms::{PhoneNumber, SmsCheck, SmsError};
use crate::entity::user;
use crate::error::CoreError;
use crate::ids::UserId;
use crate::store::second_factors::Method;

/// What a submitted code did.
#[derive(Debug)]
pub enum ChallengeOutcome {
    SignedIn(SessionToken, WebPrincipal),
    /// Wrong (or already used) code; this many attempts remain on this pending login.
    Wrong {
        attempts_left: i32,
    },
    /// Too many wrong codes, a lockout, or the pending login is gone: start again.
    StartAgain,
}

/// What asking for an SMS code did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsSend {
    Sent,
    TooSoon,
    NotAvailable,
}

/// Which code a user typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeKind {
    Factor(Method),
    Recovery,
}

impl CodeKind {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "recovery" => Some(Self::Recovery),
            other => Method::parse(other).map(Self::Factor),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Factor(method) => method.as_str(),
            Self::Recovery => "recovery code",
        }
    }
}

impl WebDoor {
    pub async fn submit_code(
        &self,
        pending: &PendingLogin,
        kind: CodeKind,
        code: &str,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<ChallengeOutcome, WebAuthError> {
        let store = self.auth.store();
        let who = &pending.who;
        let user = store.user_by_id(who.user_id).await?;
        if store.is_locked_out(&user.username, peer, now).await? {
            self.auth
                .refuse(
                    Protocol::Web,
                    &user.username,
                    Some(&user),
                    Refusal::LockedOut,
                    peer,
                    now,
                )
                .await?;
            store.delete_session(who.session_id).await?;
            return Ok(ChallengeOutcome::StartAgain);
        }
        if !self.code_passes(&user, kind, code, now).await? {
            return Ok(self.wrong_code(pending, &user, kind, peer, now).await?);
        }
        let Some((token, principal)) = self.promote(who, now).await? else {
            return Ok(ChallengeOutcome::StartAgain);
        };
        let how = format!("password and {}", kind.as_str());
        self.auth
            .accept(Protocol::Web, &user, peer, &how, now)
            .await?;
        if kind == CodeKind::Recovery {
            let event = AuditEvent::new(AuditKind::RecoveryCodeUsed, Protocol::Web, &user.username)
                .tenant(user.tenant())
                .peer(peer);
            store.record(event, now).await?;
        }
        Ok(ChallengeOutcome::SignedIn(token, principal))
    }

    /// Checks a code and, when it passes, uses it up (TOTP step, recovery code) atomically.
    pub(super) async fn code_passes(
        &self,
        user: &user::Model,
        kind: CodeKind,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, WebAuthError> {
        let store = self.auth.store();
        match kind {
            CodeKind::Recovery => Ok(store
                .consume_recovery_code(user.user_id(), &recovery::hash(code))
                .await?),
            CodeKind::Factor(Method::Totp) => {
                let Some(factor) = store.factor(user.user_id(), Method::Totp).await? else {
                    return Ok(false);
                };
                let Some(sealed) = factor.secret_sealed.as_deref().filter(|_| factor.confirmed)
                else {
                    return Ok(false);
                };
                let secret = self.seal.open(user.user_id(), sealed)?;
                let Some(step) = secret.matching_step(code, now) else {
                    return Ok(false);
                };
                let accepted = store.accept_totp_step(factor.id, step).await?;
                if !accepted {
                    tracing::warn!(user = %user.username, "TOTP code replayed; refused");
                }
                Ok(accepted)
            }
            CodeKind::Factor(Method::Sms) => {
                let Some((provider, phone)) = self.sms_target(user.user_id(), true).await? else {
                    return Ok(false);
                };
                Ok(provider.check(&phone, code).await? == SmsCheck::Approved)
            }
        }
    }

    async fn wrong_code(
        &self,
        pending: &PendingLogin,
        user: &user::Model,
        kind: CodeKind,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<ChallengeOutcome, CoreError> {
        let store = self.auth.store();
        let refusal = Refusal::WrongSecondFactor;
        self.auth
            .refuse(
                Protocol::Web,
                &user.username,
                Some(user),
                refusal,
                peer,
                now,
            )
            .await?;
        let event = AuditEvent::new(AuditKind::SecondFactorFailed, Protocol::Web, &user.username)
            .failed()
            .tenant(user.tenant())
            .peer(peer)
            .detail(format!("wrong {}", kind.as_str()));
        store.record(event, now).await?;

        let wrong = store.count_wrong_code(pending.who.session_id).await?;
        if wrong >= PENDING_MAX_WRONG_CODES {
            store.delete_session(pending.who.session_id).await?;
            return Ok(ChallengeOutcome::StartAgain);
        }
        Ok(ChallengeOutcome::Wrong {
            attempts_left: PENDING_MAX_WRONG_CODES - wrong,
        })
    }

    /// Sends an SMS code to the user's number (confirmed, or being enrolled when
    /// `confirmed` is false), at most once per resend interval.
    pub async fn send_sms_code(
        &self,
        user: UserId,
        confirmed: bool,
        now: DateTime<Utc>,
    ) -> Result<SmsSend, WebAuthError> {
        let store = self.auth.store();
        let Some(factor) = store.factor(user, Method::Sms).await? else {
            return Ok(SmsSend::NotAvailable);
        };
        let Some((provider, phone)) = self.sms_target(user, confirmed).await? else {
            return Ok(SmsSend::NotAvailable);
        };
        if !store.claim_sms_send(factor.id, self.resend, now).await? {
            return Ok(SmsSend::TooSoon);
        }
        match provider.start(&phone).await {
            Ok(()) => Ok(SmsSend::Sent),
            Err(SmsError::RateLimited) => Ok(SmsSend::TooSoon),
            Err(err) => Err(err.into()),
        }
    }

    /// The provider and the user's number, when SMS is on and the factor is in the wanted
    /// state (confirmed for logins, unconfirmed for enrolment).
    pub(super) async fn sms_target(
        &self,
        user: UserId,
        confirmed: bool,
    ) -> Result<
        Option<(
            std::sync::Arc<dyn crate::auth::sms::SmsProvider>,
            PhoneNumber,
        )>,
        CoreError,
    > {
        let Some(provider) = self.sms.clone() else {
            return Ok(None);
        };
        let factor = self.auth.store().factor(user, Method::Sms).await?;
        let phone = factor
            .filter(|factor| factor.confirmed == confirmed)
            .and_then(|factor| factor.phone)
            .and_then(|phone| PhoneNumber::parse(&phone));
        Ok(phone.map(|phone| (provider, phone)))
    }
}
