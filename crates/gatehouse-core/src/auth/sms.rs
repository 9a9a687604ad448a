//! SMS codes through a provider. The production provider speaks Twilio Verify v2: Twilio
//! makes, sends and checks the code, so it never passes through Gatehouse. The development
//! provider makes the code itself and writes it to the server log; it exists only when the
//! operator sets `sms.provider = "development"`. With no provider, SMS is not offered.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Deserialize;
use thiserror::Error;

use crate::config::{SmsConfig, SmsProviderKind};

/// A phone number in E.164 form: `+`, a country code, at most 15 digits in all.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts spaces, dashes, dots and brackets as people type them, then checks E.164.
    pub fn parse(raw: &str) -> Option<Self> {
        let kept: String = raw.chars().filter(|c| !" -.()".contains(*c)).collect();
        let digits = kept.strip_prefix('+')?;
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        valid.then_some(Self(kept))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but its last two digits hidden, for pages and logs.
    pub fn masked(&self) -> String {
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("+…{tail}")
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// What the provider said about a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmsCheck {
    Approved,
    Wrong,
    /// The provider refuses further attempts on this verification (Twilio 60202).
    TooManyAttempts,
    /// No verification is running for the number any more (Twilio 20404).
    Expired,
}

#[derive(Debug, Error)]
pub enum SmsError {
    #[error("SMS provider unreachable: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("SMS provider answered {status}: {detail}")]
    Provider { status: u16, detail: String },
    #[error("too many codes requested; try again later")]
    RateLimited,
}

#[async_trait::async_trait]
pub trait SmsProvider: Send + Sync + fmt::Debug {
    /// Sends a fresh code to `phone`.
    async fn start(&self, phone: &PhoneNumber) -> Result<(), SmsError>;
    /// Checks a code the user typed.
    async fn check(&self, phone: &PhoneNumber, code: &str) -> Result<SmsCheck, SmsError>;
}

/// The configured provider, or none when SMS is off.
pub fn provider(config: &SmsConfig) -> Option<Arc<dyn SmsProvider>> {
    match config.provider {
        SmsProviderKind::None => None,
        SmsProviderKind::Twilio => Some(Arc::new(TwilioVerify::new(config))),
        SmsProviderKind::Development => {
            tracing::warn!("SMS development provider on: codes are written to this log");
            Some(Arc::new(DevelopmentSms::default()))
        }
    }
}

/// Twilio Verify v2: `POST /v2/Services/{sid}/Verifications` and `.../VerificationCheck`.
pub struct TwilioVerify {
    http: reqwest::Client,
    base_url: String,
    account_sid: String,
    auth_token: String,
    service_sid: String,
}

impl fmt::Debug for TwilioVerify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioVerify")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct VerificationCheck {
    status: String,
}

#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

impl TwilioVerify {
    pub fn new(config: &SmsConfig) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
            base_url: config.twilio_base_url.trim_end_matches('/').to_owned(),
            account_sid: config.twilio_account_sid.clone(),
            auth_token: config.twilio_auth_token.0.clone(),
            service_sid: config.twilio_service_sid.clone(),
        }
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<reqwest::Response, SmsError> {
        let url = format!("{}/v2/Services/{}/{path}", self.base_url, self.service_sid);
        Ok(self
            .http
            .post(url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(form)
            .send()
            .await?)
    }
}

async fn provider_error(response: reqwest::Response) -> SmsError {
    let status = response.status().as_u16();
    let body: Option<TwilioError> = response.json().await.ok();
    if status == 429 || body.as_ref().and_then(|b| b.code) == Some(60203) {
        return SmsError::RateLimited;
    }
    let detail = body.and_then(|b| b.message).unwrap_or_default();
    SmsError::Provider { status, detail }
}

#[async_trait::async_trait]
impl SmsProvider for TwilioVerify {
    async fn start(&self, phone: &PhoneNumber) -> Result<(), SmsError> {
        let response = self
            .post(
                "Verifications",
                &[("To", phone.as_str()), ("Channel", "sms")],
            )
            .await?;
        if response.status().is_success() {
            return Ok(());
        }
        Err(provider_error(response).await)
    }

    async fn check(&self, phone: &PhoneNumber, code: &str) -> Result<SmsCheck, SmsError> {
        let response = self
            .post(
                "VerificationCheck",
                &[("To", phone.as_str()), ("Code", code)],
            )
            .await?;
        match response.status().as_u16() {
            200..=299 => {
                let body: VerificationCheck = response.json().await?;
                // A wrong code leaves the verification `pending`; only `approved` passes.
                Ok(if body.status == "approved" {
                    SmsCheck::Approved
                } else {
                    SmsCheck::Wrong
                })
            }
            429 => Ok(SmsCheck::TooManyAttempts),
            404 => Ok(SmsCheck::Expired),
            _ => Err(provider_error(response).await),
        }
    }
}

/// Makes codes itself and logs them. Codes live in this process only, for ten minutes.
#[derive(Debug, Default)]
pub struct DevelopmentSms {
    codes: Mutex<HashMap<String, (String, Instant)>>,
}

const DEVELOPMENT_CODE_LIFETIME: Duration = Duration::from_secs(600);

#[async_trait::async_trait]
impl SmsProvider for DevelopmentSms {
    async fn start(&self, phone: &PhoneNumber) -> Result<(), SmsError> {
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        // Logging the code is this provider's whole purpose; it is never built unless the
        // operator asked for it by name.
        tracing::warn!(phone = %phone.as_str(), %code, "development SMS provider: code sent");
        if let Ok(mut codes) = self.codes.lock() {
            codes.insert(phone.as_str().to_owned(), (code, Instant::now()));
        }
        Ok(())
    }

    async fn check(&self, phone: &PhoneNumber, code: &str) -> Result<SmsCheck, SmsError> {
        let Ok(mut codes) = self.codes.lock() else {
            return Ok(SmsCheck::Expired);
        };
        let Some((expected, sent)) = codes.get(phone.as_str()).cloned() else {
            return Ok(SmsCheck::Expired);
        };
        if sent.elapsed() > DEVELOPMENT_CODE_LIFETIME {
            codes.remove(phone.as_str());
            return Ok(SmsCheck::Expired);
        }
        if expected == code.trim() {
            codes.remove(phone.as_str());
            return Ok(SmsCheck::Approved);
        }
        Ok(SmsCheck::Wrong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers_parse_and_others_do_not() {
        assert_eq!(
            PhoneNumber::parse("+44 20 7946-0958").unwrap().as_str(),
            "+442079460958"
        );
        for bad in [
            "",
            "442079460958",
            "+0441234567",
            "+12",
            "+1234567890123456",
            "+12abc45678",
        ] {
            assert!(
                PhoneNumber::parse(bad).is_none(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn a_masked_number_shows_only_its_last_two_digits() {
        assert_eq!(PhoneNumber::parse("+15551234567").unwrap().masked(), "+…67");
    }

    #[tokio::test]
    async fn the_development_provider_accepts_its_code_once() {
        let sms = DevelopmentSms::default();
        let phone = PhoneNumber::parse("+15551234567").unwrap();
        sms.start(&phone).await.unwrap();
        let code = sms.codes.lock().unwrap()[phone.as_str()].0.clone();

        assert_eq!(sms.check(&phone, "not it").await.unwrap(), SmsCheck::Wrong);
        assert_eq!(sms.check(&phone, &code).await.unwrap(), SmsCheck::Approved);
        assert_eq!(sms.check(&phone, &code).await.unwrap(), SmsCheck::Expired);
    }
}
