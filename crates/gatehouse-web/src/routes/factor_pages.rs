//! The TOTP and SMS enrolment pages, shared by `/enroll/*` (Enforced MFA) and
//! `/profile/2fa/*` (self-service): same contract, different base path.
//!
//! Showing the TOTP page makes a new secret each time, so only the last one shown confirms.
//! The QR code is drawn here as SVG and embedded as a data URI, so no markup is injected.

use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use gatehouse_core::CoreError;
use gatehouse_core::auth::web::{SmsEnrolment, TotpConfirmation, TotpEnrolment, WebAuthError};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::{Deserialize, Serialize};
use tower_cookies::Cookies;

use crate::AppState;
use crate::error::WebError;
use crate::gate::Enroller;
use crate::session;

#[derive(Serialize)]
struct TotpPage<'a> {
    csrf_token: &'a str,
    action: String,
    secret: &'a str,
    otpauth_uri: &'a str,
    qr_code: String,
    message: Option<&'a str>,
    signed_in: bool,
}

#[derive(Serialize)]
struct SmsPage<'a> {
    csrf_token: &'a str,
    action: String,
    waiting_for_code: bool,
    offered: bool,
    message: Option<&'a str>,
    signed_in: bool,
}

#[derive(Serialize)]
struct RecoveryPage<'a> {
    codes: &'a [String],
    next: &'a str,
    signed_in: bool,
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

#[derive(Deserialize)]
pub struct SmsForm {
    phone: Option<String>,
    code: Option<String>,
}

fn qr_data_uri(text: &str) -> Result<String, WebError> {
    let code = QrCode::new(text.as_bytes()).map_err(|_| WebError::BadRequest("QR code"))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

fn totp_page(
    state: &AppState,
    enroller: &Enroller,
    base: &str,
    enrolment: &TotpEnrolment,
    message: Option<&str>,
) -> Result<Response, WebError> {
    let page = TotpPage {
        csrf_token: &enroller.who.csrf_token,
        action: format!("{base}/totp"),
        secret: &enrolment.secret_base32,
        otpauth_uri: &enrolment.otpauth_uri,
        qr_code: qr_data_uri(&enrolment.otpauth_uri)?,
        message,
        signed_in: enroller.ticket.is_none(),
    };
    Ok(state
        .templates
        .page("pages/totp.html", page)?
        .into_response())
}

pub async fn totp_show(
    state: &AppState,
    enroller: &Enroller,
    base: &str,
) -> Result<Response, WebError> {
    match state.door.start_totp(&enroller.who, Utc::now()).await {
        Ok(enrolment) => totp_page(state, enroller, base, &enrolment, None),
        Err(CoreError::Conflict(_)) => Ok(Redirect::to("/profile").into_response()),
        Err(err) => Err(err.into()),
    }
}

pub async fn totp_confirm(
    state: &AppState,
    cookies: &Cookies,
    enroller: &Enroller,
    base: &str,
    form: CodeForm,
) -> Result<Response, WebError> {
    let now = Utc::now();
    match state
        .door
        .confirm_totp(&enroller.who, &form.code, now)
        .await?
    {
        TotpConfirmation::Confirmed { recovery_codes } => {
            confirmed(state, cookies, enroller, recovery_codes).await
        }
        TotpConfirmation::WrongCode => {
            let Some(enrolment) = state.door.unconfirmed_totp(&enroller.who).await? else {
                return totp_show(state, enroller, base).await;
            };
            let message =
                Some("That code did not match. Check the time on your phone and try again.");
            totp_page(state, enroller, base, &enrolment, message)
        }
    }
}

/// After a first factor: an enrolment-only session becomes a signed-in one (a new session
/// id), then the recovery codes are shown, once.
async fn confirmed(
    state: &AppState,
    cookies: &Cookies,
    enroller: &Enroller,
    recovery_codes: Option<Vec<String>>,
) -> Result<Response, WebError> {
    if let Some(ticket) = &enroller.ticket {
        let Some((token, _)) = state.door.finish_enrolment(ticket, Utc::now()).await? else {
            return Ok(Redirect::to("/login?again=1").into_response());
        };
        session::set_session(cookies, token.as_str(), state.secure_cookies);
    }
    let next = if enroller.ticket.is_some() {
        "/files"
    } else {
        "/profile"
    };
    let Some(codes) = recovery_codes else {
        return Ok(Redirect::to(next).into_response());
    };
    let page = RecoveryPage {
        codes: &codes,
        next,
        signed_in: true,
    };
    Ok(state
        .templates
        .page("pages/recovery_codes.html", page)?
        .into_response())
}

fn sms_page(
    state: &AppState,
    enroller: &Enroller,
    base: &str,
    waiting_for_code: bool,
    message: Option<&str>,
) -> Result<Response, WebError> {
    let page = SmsPage {
        csrf_token: &enroller.who.csrf_token,
        action: format!("{base}/sms"),
        waiting_for_code,
        offered: state.door.sms_offered(),
        message,
        signed_in: enroller.ticket.is_none(),
    };
    Ok(state
        .templates
        .page("pages/sms.html", page)?
        .into_response())
}

pub fn sms_show(state: &AppState, enroller: &Enroller, base: &str) -> Result<Response, WebError> {
    sms_page(state, enroller, base, false, None)
}

pub async fn sms_submit(
    state: &AppState,
    cookies: &Cookies,
    enroller: &Enroller,
    base: &str,
    form: SmsForm,
) -> Result<Response, WebError> {
    let now = Utc::now();
    if let Some(code) = form.code.filter(|c| !c.trim().is_empty()) {
        return match state.door.confirm_sms(&enroller.who, &code, now).await? {
            TotpConfirmation::Confirmed { recovery_codes } => {
                confirmed(state, cookies, enroller, recovery_codes).await
            }
            TotpConfirmation::WrongCode => sms_page(
                state,
                enroller,
                base,
                true,
                Some("That code did not match."),
            ),
        };
    }
    let phone = form.phone.unwrap_or_default();
    let outcome = match state.door.start_sms(&enroller.who, &phone, now).await {
        Err(WebAuthError::Core(CoreError::Conflict(_))) => {
            return Ok(Redirect::to("/profile").into_response());
        }
        other => other?,
    };
    let (waiting, message) = match outcome {
        SmsEnrolment::CodeSent => (true, "We sent a code to that number. Type it below."),
        SmsEnrolment::TooSoon => (true, "A code was sent moments ago; use that one."),
        SmsEnrolment::InvalidNumber => (
            false,
            "Give the number in international form, starting with + and the country code.",
        ),
        SmsEnrolment::NotOffered => (false, "Text messages are not available."),
    };
    sms_page(state, enroller, base, waiting, Some(message))
}
