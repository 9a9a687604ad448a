//! `/profile`: the user's own 2FA state and password. Enabling TOTP or SMS uses the same
//! pages as enrolment; disabling needs the password and a current code.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use gatehouse_core::auth::web::{CodeKind, FactorSummary, KeyRefusal, WebPrincipal};
use gatehouse_core::password::Password;
use serde::{Deserialize, Serialize};
use tower_cookies::Cookies;

use super::factor_pages::{self, CodeForm, SmsForm};
use crate::AppState;
use crate::error::WebError;
use crate::gate::{Enroller, SignedIn};

const BASE: &str = "/profile/2fa";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(show))
        .route("/profile/2fa/totp", get(totp_show).post(totp_confirm))
        .route("/profile/2fa/sms", get(sms_show).post(sms_submit))
        .route("/profile/2fa/disable", post(disable))
        .route("/profile/recovery-codes", post(regenerate))
        .route("/profile/password", post(change_password))
        .route("/profile/keys", post(add_key))
        .route("/profile/keys/remove", post(remove_key))
}

#[derive(Serialize)]
struct ProfilePage<'a> {
    csrf_token: &'a str,
    username: &'a str,
    tenant: &'a str,
    factors: FactorSummary,
    has_factor: bool,
    sms_offered: bool,
    keys: Vec<KeyView>,
    message: Option<&'a str>,
    signed_in: bool,
}

#[derive(Serialize)]
struct KeyView {
    fingerprint: String,
    algorithm: String,
    comment: String,
}

#[derive(Deserialize)]
struct KeyForm {
    public_key: String,
}

#[derive(Deserialize)]
struct RemoveKeyForm {
    fingerprint: String,
}

#[derive(Serialize)]
struct RecoveryPage<'a> {
    codes: &'a [String],
    next: &'a str,
    signed_in: bool,
}

#[derive(Deserialize)]
struct DisableForm {
    password: String,
    method: String,
    code: String,
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn page(
    state: &AppState,
    principal: &WebPrincipal,
    message: Option<&str>,
) -> Result<Response, WebError> {
    let factors = state.door.factor_summary(principal).await?;
    let keys = state.door.ssh_keys(principal).await?;
    let keys = keys
        .into_iter()
        .map(|k| KeyView {
            fingerprint: k.fingerprint,
            algorithm: k.algorithm,
            comment: k.comment,
        })
        .collect();
    let page = ProfilePage {
        keys,
        csrf_token: &principal.who.csrf_token,
        username: principal.who.username.as_str(),
        tenant: principal.tenant.as_str(),
        has_factor: factors.any(),
        factors,
        sms_offered: state.door.sms_offered(),
        message,
        signed_in: true,
    };
    Ok(state
        .templates
        .page("pages/profile.html", page)?
        .into_response())
}

async fn show(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
) -> Result<Response, WebError> {
    page(&state, &principal, None).await
}

async fn totp_show(
    State(state): State<AppState>,
    enroller: Enroller,
) -> Result<Response, WebError> {
    factor_pages::totp_show(&state, &enroller, BASE).await
}

async fn totp_confirm(
    State(state): State<AppState>,
    cookies: Cookies,
    enroller: Enroller,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    factor_pages::totp_confirm(&state, &cookies, &enroller, BASE, form).await
}

async fn sms_show(State(state): State<AppState>, enroller: Enroller) -> Result<Response, WebError> {
    factor_pages::sms_show(&state, &enroller, BASE)
}

async fn sms_submit(
    State(state): State<AppState>,
    cookies: Cookies,
    enroller: Enroller,
    Form(form): Form<SmsForm>,
) -> Result<Response, WebError> {
    factor_pages::sms_submit(&state, &cookies, &enroller, BASE, form).await
}

async fn disable(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Form(form): Form<DisableForm>,
) -> Result<Response, WebError> {
    let kind = CodeKind::parse(&form.method).ok_or(WebError::BadRequest("unknown method"))?;
    let password = Password::new(form.password);
    let now = Utc::now();
    let done = state
        .door
        .disable_second_factors(&principal, &password, kind, &form.code, peer.ip(), now)
        .await?;
    let message = if done {
        "Two-factor authentication is off. Every factor and recovery code was removed."
    } else {
        "The password or the code was not right; nothing changed."
    };
    page(&state, &principal, Some(message)).await
}

async fn regenerate(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
) -> Result<Response, WebError> {
    let Some(codes) = state
        .door
        .regenerate_recovery_codes(&principal, Utc::now())
        .await?
    else {
        return page(&state, &principal, Some("Enable a second factor first.")).await;
    };
    let page = RecoveryPage {
        codes: &codes,
        next: "/profile",
        signed_in: true,
    };
    Ok(state
        .templates
        .page("pages/recovery_codes.html", page)?
        .into_response())
}

async fn change_password(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let current = Password::new(form.current_password);
    let new = Password::new(form.new_password);
    let outcome = state
        .door
        .change_password(&principal, &current, &new, Utc::now())
        .await?;
    let message = match &outcome {
        Ok(()) => "Your password was changed. It is also your SFTP password.",
        Err(reason) => reason.as_str(),
    };
    page(&state, &principal, Some(message)).await
}

async fn add_key(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Form(form): Form<KeyForm>,
) -> Result<Response, WebError> {
    let outcome = state
        .door
        .add_ssh_key(&principal, &form.public_key, Utc::now())
        .await?;
    let message = match outcome {
        Ok(_) => "The key was added. It signs you in by SFTP without a second factor.",
        Err(KeyRefusal::NeedsRecentSecondFactor) => {
            "Adding a key needs a second factor in the last ten minutes: log out and back in."
        }
        Err(KeyRefusal::Malformed) => "That is not an OpenSSH public key line.",
        Err(KeyRefusal::AlreadyAdded) => "That key is already on your account.",
    };
    page(&state, &principal, Some(message)).await
}

async fn remove_key(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Form(form): Form<RemoveKeyForm>,
) -> Result<Response, WebError> {
    let removed = state
        .door
        .remove_ssh_key(&principal, &form.fingerprint, Utc::now())
        .await?;
    let message = if removed {
        "The key was removed."
    } else {
        "No such key."
    };
    page(&state, &principal, Some(message)).await
}
