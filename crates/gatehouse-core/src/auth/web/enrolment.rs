//! Enrolling a second factor, from the profile or from the Enforced-MFA enrolment pages.
//!
//! A new TOTP secret or phone number is stored unconfirmed; it counts only after a first
//! correct code. Showing the page again replaces the unconfirmed secret, so only the secret
//! shown last can be confirmed. The confirming TOTP step is remembered, so the same code
//! cannot then sign in. The first confirmed factor comes with a fresh set of recovery codes.

use chrono::{DateTime, Utc};

use super::{EnrolmentTicket, SessionToken, SessionUser, WebAuthError, WebDoor, WebPrincipal};
use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::auth::recovery;
use crate::auth::sms::{PhoneNumber, SmsCheck};
use crate::auth::totp::TotpSecret;
use crate::error::CoreError;
use crate::store::second_factors::Method;

/// What the TOTP page shows: the secret as text and the `otpauth://` URI for the QR code.
#[derive(Clone)]
pub struct TotpEnrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpEnrolment(..)")
    }
}

/// The result of a confirming code.
#[derive(Debug)]
pub enum TotpConfirmation {
    /// Confirmed; `recovery_codes` is the new set when this was the user's first factor.
    Confirmed {
        recovery_codes: Option<Vec<String>>,
    },
    WrongCode,
}

/// What asking to enrol a phone did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsEnrolment {
    CodeSent,
    InvalidNumber,
    TooSoon,
    NotOffered,
}

impl WebDoor {
    /// A new secret for `who`; refused with `Conflict` when TOTP is already confirmed.
    pub async fn start_totp(
        &self,
        who: &SessionUser,
        now: DateTime<Utc>,
    ) -> Result<TotpEnrolment, CoreError> {
        let store = self.auth.store();
        // The owner's allowed methods apply to new enrolments; factors already confirmed
        // keep working until they are removed.
        if !store.tenant_settings(who.tenant_id).await?.allow_totp {
            return Err(CoreError::invalid(
                "authenticator apps are not allowed in this tenant",
            ));
        }
        let secret = TotpSecret::generate();
        let sealed = self.seal.seal(who.user_id, &secret)?;
        if store
            .factor(who.user_id, Method::Totp)
            .await?
            .is_some_and(|f| f.confirmed)
        {
            return Err(CoreError::Conflict("TOTP second factor".to_owned()));
        }
        store
            .put_unconfirmed_factor(who.user_id, Method::Totp, Some(sealed), None, now)
            .await?;
        Ok(TotpEnrolment {
            secret_base32: secret.to_base32(),
            otpauth_uri: secret.otpauth_uri(&self.issuer, who.username.as_str()),
        })
    }

    /// The unconfirmed secret again (after a wrong confirming code), so the page can show
    /// the same QR code instead of a new one.
    pub async fn unconfirmed_totp(
        &self,
        who: &SessionUser,
    ) -> Result<Option<TotpEnrolment>, CoreError> {
        let factor = self.auth.store().factor(who.user_id, Method::Totp).await?;
        let Some(sealed) = factor
            .filter(|f| !f.confirmed)
            .and_then(|f| f.secret_sealed)
        else {
            return Ok(None);
        };
        let secret = self.seal.open(who.user_id, &sealed)?;
        Ok(Some(TotpEnrolment {
            secret_base32: secret.to_base32(),
            otpauth_uri: secret.otpauth_uri(&self.issuer, who.username.as_str()),
        }))
    }

    pub async fn confirm_totp(
        &self,
        who: &SessionUser,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<TotpConfirmation, CoreError> {
        let store = self.auth.store();
        let factor = store
            .factor(who.user_id, Method::Totp)
            .await?
            .filter(|f| !f.confirmed);
        let Some((factor, sealed)) = factor.and_then(|f| f.secret_sealed.clone().map(|s| (f, s)))
        else {
            return Ok(TotpConfirmation::WrongCode);
        };
        let secret = self.seal.open(who.user_id, &sealed)?;
        let Some(step) = secret.matching_step(code, now) else {
            return Ok(TotpConfirmation::WrongCode);
        };
        if !store.confirm_factor(factor.id, step).await? {
            return Ok(TotpConfirmation::WrongCode);
        }
        let recovery_codes = self.after_confirmation(who, Method::Totp, now).await?;
        Ok(TotpConfirmation::Confirmed { recovery_codes })
    }

    /// Stores the number unconfirmed and sends it a code.
    pub async fn start_sms(
        &self,
        who: &SessionUser,
        raw_phone: &str,
        now: DateTime<Utc>,
    ) -> Result<SmsEnrolment, WebAuthError> {
        if self.sms.is_none() {
            return Ok(SmsEnrolment::NotOffered);
        }
        let store = self.auth.store();
        if !store.tenant_settings(who.tenant_id).await?.allow_sms {
            return Ok(SmsEnrolment::NotOffered);
        }
        let Some(phone) = PhoneNumber::parse(raw_phone) else {
            return Ok(SmsEnrolment::InvalidNumber);
        };
        if store
            .factor(who.user_id, Method::Sms)
            .await?
            .is_some_and(|f| f.confirmed)
        {
            return Err(CoreError::Conflict("SMS second factor".to_owned()).into());
        }
        let phone = Some(phone.as_str().to_owned());
        store
            .put_unconfirmed_factor(who.user_id, Method::Sms, None, phone, now)
            .await?;
        Ok(match self.send_sms_code(who.user_id, false, now).await? {
            super::SmsSend::Sent => SmsEnrolment::CodeSent,
            super::SmsSend::TooSoon => SmsEnrolment::TooSoon,
            super::SmsSend::NotAvailable => SmsEnrolment::NotOffered,
        })
    }

    pub async fn confirm_sms(
        &self,
        who: &SessionUser,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<TotpConfirmation, WebAuthError> {
        let Some((provider, phone)) = self.sms_target(who.user_id, false).await? else {
            return Ok(TotpConfirmation::WrongCode);
        };
        if provider.check(&phone, code).await? != SmsCheck::Approved {
            return Ok(TotpConfirmation::WrongCode);
        }
        let store = self.auth.store();
        let Some(factor) = store.factor(who.user_id, Method::Sms).await? else {
            return Ok(TotpConfirmation::WrongCode);
        };
        if !store.confirm_factor(factor.id, 0).await? {
            return Ok(TotpConfirmation::WrongCode);
        }
        let recovery_codes = self.after_confirmation(who, Method::Sms, now).await?;
        Ok(TotpConfirmation::Confirmed { recovery_codes })
    }

    /// Audits the new factor and issues recovery codes when it is the user's first.
    async fn after_confirmation(
        &self,
        who: &SessionUser,
        method: Method,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<String>>, CoreError> {
        let store = self.auth.store();
        let event = AuditEvent::new(
            AuditKind::SecondFactorEnrolled,
            Protocol::Web,
            who.username.as_str(),
        )
        .tenant(who.tenant_id)
        .detail(method.as_str());
        store.record(event, now).await?;
        tracing::info!(user = %who.username, method = method.as_str(), "second factor enrolled");
        store.mark_second_factor(who.session_id, now).await?;
        if store.confirmed_factors(who.user_id).await?.len() > 1 {
            return Ok(None);
        }
        Ok(Some(self.issue_recovery_codes(who, now).await?))
    }

    pub(super) async fn issue_recovery_codes(
        &self,
        who: &SessionUser,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, CoreError> {
        let codes = recovery::generate();
        let hashes = codes.iter().map(|code| recovery::hash(code)).collect();
        self.auth
            .store()
            .replace_recovery_codes(who.user_id, hashes, now)
            .await?;
        Ok(codes)
    }

    /// Turns an enrolment-only session into a signed-in one once a factor is confirmed.
    pub async fn finish_enrolment(
        &self,
        ticket: &EnrolmentTicket,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionToken, WebPrincipal)>, CoreError> {
        let store = self.auth.store();
        if store
            .confirmed_factors(ticket.who.user_id)
            .await?
            .is_empty()
        {
            return Ok(None);
        }
        self.promote(&ticket.who, now).await
    }
}
