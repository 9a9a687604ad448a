//! `GET/POST /login/2fa`: the second step of a login, and `POST /login/2fa/sms` to have a
//! code texted. Success replaces the pending session with a new signed-in one.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use gatehouse_core::auth::web::{ChallengeOutcome, CodeKind, PendingLogin, SmsSend};
use gatehouse_core::store::second_factors::Method;
use serde::{Deserialize, Serialize};
use tower_cookies::Cookies;

use crate::AppState;
use crate::error::WebError;
use crate::gate::Pending;
use crate::session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/2fa", get(show).post(submit))
        .route("/login/2fa/sms", post(send_sms))
}

#[derive(Serialize)]
struct ChallengePage<'a> {
    csrf_token: &'a str,
    username: &'a str,
    totp: bool,
    sms: bool,
    recovery: bool,
    message: Option<String>,
}

#[derive(Deserialize)]
struct CodeForm {
    method: String,
    code: String,
}

fn page(
    state: &AppState,
    pending: &PendingLogin,
    message: Option<String>,
) -> Result<Response, WebError> {
    let page = ChallengePage {
        csrf_token: &pending.who.csrf_token,
        username: pending.who.username.as_str(),
        totp: pending.methods.contains(&Method::Totp),
        sms: pending.methods.contains(&Method::Sms),
        recovery: pending.recovery_codes_left > 0,
        message,
    };
    Ok(state
        .templates
        .page("pages/challenge.html", page)?
        .into_response())
}

async fn show(
    State(state): State<AppState>,
    Pending(pending): Pending,
) -> Result<Response, WebError> {
    page(&state, &pending, None)
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    cookies: Cookies,
    Pending(pending): Pending,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebError> {
    let Some(kind) = CodeKind::parse(&form.method) else {
        return Err(WebError::BadRequest("unknown method"));
    };
    let outcome = state
        .door
        .submit_code(&pending, kind, &form.code, peer.ip(), Utc::now())
        .await?;
    match outcome {
        ChallengeOutcome::SignedIn(token, principal) => {
            session::set_session(&cookies, token.as_str(), state.secure_cookies);
            let (user, peer) = (&principal.who.username, peer.ip());
            tracing::info!(%user, %peer, "web login with second factor");
            Ok(Redirect::to("/files").into_response())
        }
        ChallengeOutcome::Wrong { attempts_left } => {
            let message = format!("That code did not work. {attempts_left} attempts left.");
            page(&state, &pending, Some(message))
        }
        ChallengeOutcome::StartAgain => {
            session::clear_session(&cookies, state.secure_cookies);
            Ok(Redirect::to("/login?again=1").into_response())
        }
    }
}

async fn send_sms(
    State(state): State<AppState>,
    Pending(pending): Pending,
) -> Result<Response, WebError> {
    let sent = state
        .door
        .send_sms_code(pending.who.user_id, true, Utc::now())
        .await?;
    let message = match sent {
        SmsSend::Sent => "A code is on its way to your phone.",
        SmsSend::TooSoon => "A code was sent moments ago; wait a little before asking again.",
        SmsSend::NotAvailable => "Text messages are not available.",
    };
    page(&state, &pending, Some(message.to_owned()))
}
