//! `/admin/security`: the owner's Password Policies (Enforced MFA), lockout policy and the
//! allowed second-factor methods. Admins get a refusal, never the form; their POSTs are
//! refused and audited in core. The owner also hands the tenant to someone else here
//! (`POST /admin/transfer`), which core allows only after a fresh second factor.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gatehouse_core::admin::settings::SecuritySettings;
use serde::{Deserialize, Serialize};

use super::{actor, context};
use crate::AppState;
use crate::error::WebError;
use crate::gate::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/security", get(show).post(save))
        .route("/admin/transfer", post(transfer))
}

#[derive(Serialize)]
struct SecurityPage<'a> {
    csrf_token: &'a str,
    signed_in: bool,
    is_admin: bool,
    enforce_mfa: bool,
    password_min_length: i32,
    lockout_max_failures: i32,
    lockout_window_minutes: i64,
    lockout_duration_minutes: i64,
    allow_totp: bool,
    allow_sms: bool,
    message: Option<&'a str>,
}

#[derive(Deserialize)]
struct SecurityForm {
    enforce_mfa: Option<String>,
    password_min_length: i32,
    lockout_max_failures: i32,
    lockout_window_minutes: i64,
    lockout_duration_minutes: i64,
    allow_totp: Option<String>,
    allow_sms: Option<String>,
}

fn page<'a>(
    csrf_token: &'a str,
    settings: &SecuritySettings,
    message: Option<&'a str>,
) -> SecurityPage<'a> {
    SecurityPage {
        csrf_token,
        signed_in: true,
        is_admin: true,
        enforce_mfa: settings.enforce_mfa,
        password_min_length: settings.password_min_length,
        lockout_max_failures: settings.lockout_max_failures,
        lockout_window_minutes: settings.lockout_window_secs / 60,
        lockout_duration_minutes: settings.lockout_duration_secs / 60,
        allow_totp: settings.allow_totp,
        allow_sms: settings.allow_sms,
        message,
    }
}

async fn show(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let settings = actor
        .security_settings(state.door.authenticator().store(), context(peer))
        .await?;
    let page = page(&principal.who.csrf_token, &settings, None);
    Ok(state
        .templates
        .page("pages/admin_security.html", page)?
        .into_response())
}

async fn save(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Form(form): Form<SecurityForm>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let store = state.door.authenticator().store();
    let settings = SecuritySettings {
        enforce_mfa: form.enforce_mfa.is_some(),
        password_min_length: form.password_min_length,
        lockout_max_failures: form.lockout_max_failures,
        lockout_window_secs: form.lockout_window_minutes.saturating_mul(60),
        lockout_duration_secs: form.lockout_duration_minutes.saturating_mul(60),
        allow_totp: form.allow_totp.is_some(),
        allow_sms: form.allow_sms.is_some(),
    };
    actor
        .update_security_settings(store, settings.clone(), context(peer))
        .await?;
    let page = page(
        &principal.who.csrf_token,
        &settings,
        Some("Security settings saved."),
    );
    Ok(state
        .templates
        .page("pages/admin_security.html", page)?
        .into_response())
}

#[derive(Deserialize)]
struct TransferForm {
    username: String,
}

/// Hands ownership to `username`. Core refuses (and audits) unless this session passed a
/// second factor in the last ten minutes; the 403 page says to log in again with a code.
async fn transfer(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Form(form): Form<TransferForm>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let store = state.door.authenticator().store();
    let username = form.username.trim();
    actor
        .transfer_ownership_with_factor(store, username, principal.second_factor_at, context(peer))
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}
