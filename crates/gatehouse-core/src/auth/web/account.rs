//! What a signed-in user does to their own account: see their second factors, disable them
//! (password and a current code), regenerate recovery codes and change their password.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use super::challenge::CodeKind;
use super::{WebAuthError, WebDoor, WebPrincipal};
use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::auth::sms::PhoneNumber;
use crate::error::CoreError;
use crate::password::{Password, Verified};
use crate::store::second_factors::Method;

/// A user's second factors as the profile shows them.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FactorSummary {
    pub totp: bool,
    /// The confirmed phone number, masked.
    pub sms: Option<String>,
    pub recovery_codes_left: u64,
}

impl FactorSummary {
    pub fn any(&self) -> bool {
        self.totp || self.sms.is_some()
    }
}

/// Actions that need a second factor this recently when the user has one (adding an SSH
/// key, which then skips 2FA on SFTP).
pub const RECENT_SECOND_FACTOR: i64 = 10 * 60;

impl WebDoor {
    pub async fn factor_summary(
        &self,
        principal: &WebPrincipal,
    ) -> Result<FactorSummary, CoreError> {
        let store = self.auth.store();
        let mut summary = FactorSummary::default();
        for factor in store.confirmed_factors(principal.who.user_id).await? {
            match factor.method() {
                Some(Method::Totp) => summary.totp = true,
                Some(Method::Sms) => {
                    let phone = factor.phone.as_deref().and_then(PhoneNumber::parse);
                    summary.sms = phone.map(|p| p.masked());
                }
                None => {}
            }
        }
        summary.recovery_codes_left = store.recovery_codes_left(principal.who.user_id).await?;
        Ok(summary)
    }

    /// Whether the session passed a second factor recently enough, or the user has none.
    pub async fn recent_second_factor(
        &self,
        principal: &WebPrincipal,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        if !self.factor_summary(principal).await?.any() {
            return Ok(true);
        }
        let recent = now - Duration::seconds(RECENT_SECOND_FACTOR);
        Ok(principal.second_factor_at.is_some_and(|at| at >= recent))
    }

    async fn password_matches(
        &self,
        principal: &WebPrincipal,
        password: &Password,
    ) -> Result<bool, CoreError> {
        let user = self.auth.store().user_by_id(principal.who.user_id).await?;
        let verified = self
            .auth
            .hasher()
            .verify(password, Some(&user.password_hash))
            .await?;
        Ok(verified != Verified::No)
    }

    /// Removes every factor and recovery code, given the password and a current code (TOTP,
    /// SMS or recovery). False when either is wrong.
    pub async fn disable_second_factors(
        &self,
        principal: &WebPrincipal,
        password: &Password,
        kind: CodeKind,
        code: &str,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<bool, WebAuthError> {
        let user = self.auth.store().user_by_id(principal.who.user_id).await?;
        if !self.password_matches(principal, password).await?
            || !self.code_passes(&user, kind, code, now).await?
        {
            return Ok(false);
        }
        self.auth
            .store()
            .remove_second_factors(principal.who.user_id)
            .await?;
        let event = AuditEvent::new(
            AuditKind::SecondFactorDisabled,
            Protocol::Web,
            &user.username,
        )
        .tenant(user.tenant())
        .peer(peer)
        .detail("by the user, with password and a current code");
        self.auth.store().record(event, now).await?;
        Ok(true)
    }

    /// A new set of recovery codes replacing the old one; the user must have a factor.
    pub async fn regenerate_recovery_codes(
        &self,
        principal: &WebPrincipal,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<String>>, CoreError> {
        if !self.factor_summary(principal).await?.any() {
            return Ok(None);
        }
        let codes = self.issue_recovery_codes(&principal.who, now).await?;
        let event = AuditEvent::new(
            AuditKind::RecoveryCodesRegenerated,
            Protocol::Web,
            principal.who.username.as_str(),
        )
        .tenant(principal.who.tenant_id);
        self.auth.store().record(event, now).await?;
        Ok(Some(codes))
    }

    /// Changes the password given the current one. `Ok(Err(message))` is a refusal to show.
    pub async fn change_password(
        &self,
        principal: &WebPrincipal,
        current: &Password,
        new: &Password,
        now: DateTime<Utc>,
    ) -> Result<Result<(), String>, CoreError> {
        if !self.password_matches(principal, current).await? {
            return Ok(Err("The current password is not right.".to_owned()));
        }
        let user = self.auth.store().user_by_id(principal.who.user_id).await?;
        let policy = self.auth.password_policy(&user).await?;
        if let Err(err) = policy.check(new, &user.username) {
            return Ok(Err(err.to_string()));
        }
        let hash = self.auth.hasher().hash(new).await?;
        self.auth
            .store()
            .set_password_hash(user.user_id(), hash, now)
            .await?;
        let event = AuditEvent::new(AuditKind::PasswordChanged, Protocol::Web, &user.username)
            .tenant(user.tenant());
        self.auth.store().record(event, now).await?;
        Ok(Ok(()))
    }
}
