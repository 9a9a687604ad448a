//! `GET/POST /login` and `POST /logout`.
//!
//! A successful password always starts a new session (a new token and row), and any session
//! the browser had before is ended, so a cookie planted before login is never the session
//! after it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use gatehouse_core::auth::web::WebLogin;
use gatehouse_core::password::Password;
use serde::{Deserialize, Serialize};
use tower_cookies::Cookies;

use crate::AppState;
use crate::error::WebError;
use crate::gate::AnyVisitor;
use crate::session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/logout", post(logout))
}

#[derive(Serialize)]
struct LoginPage<'a> {
    csrf_token: &'a str,
    message: Option<&'a str>,
    username: &'a str,
}

#[derive(Deserialize)]
struct LoginQuery {
    again: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn show(
    State(state): State<AppState>,
    AnyVisitor(visitor): AnyVisitor,
    Query(query): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let message = query.again.map(|_| "Please sign in again.");
    let page = LoginPage {
        csrf_token: visitor.csrf_token(),
        message,
        username: "",
    };
    Ok(state
        .templates
        .page("pages/login.html", page)?
        .into_response())
}

async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    cookies: Cookies,
    AnyVisitor(visitor): AnyVisitor,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let now = Utc::now();
    let password = Password::new(form.password);
    let Some((token, login)) = state
        .door
        .login(&form.username, &password, peer.ip(), now)
        .await?
    else {
        let page = LoginPage {
            csrf_token: visitor.csrf_token(),
            message: Some("Wrong username or password."),
            username: &form.username,
        };
        return Ok(state
            .templates
            .page("pages/login.html", page)?
            .into_response());
    };
    if let Some(previous) = visitor.who() {
        state.door.logout(previous, now).await?;
    }
    session::set_session(&cookies, token.as_str(), state.secure_cookies);
    let to = match login {
        WebLogin::SecondFactorRequired(_) => "/login/2fa",
        WebLogin::EnrolmentRequired(_) => "/enroll",
        WebLogin::SignedIn(principal) => {
            tracing::info!(user = %principal.who.username, peer = %peer.ip(), "web login");
            "/files"
        }
    };
    Ok(Redirect::to(to).into_response())
}

async fn logout(
    State(state): State<AppState>,
    cookies: Cookies,
    AnyVisitor(visitor): AnyVisitor,
) -> Result<Response, WebError> {
    if let Some(who) = visitor.who() {
        state.door.logout(who, Utc::now()).await?;
    }
    session::clear_session(&cookies, state.secure_cookies);
    Ok(Redirect::to("/login").into_response())
}
