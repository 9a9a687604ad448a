//! The Enforced-MFA enrolment pages: `/enroll`, `/enroll/totp`, `/enroll/sms`. The gate lets
//! an enrolment-only session reach these and logout, nothing else.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Serialize;
use tower_cookies::Cookies;

use super::factor_pages::{self, CodeForm, SmsForm};
use crate::AppState;
use crate::error::WebError;
use crate::gate::Enroller;

const BASE: &str = "/enroll";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/enroll", get(show))
        .route("/enroll/totp", get(totp_show).post(totp_confirm))
        .route("/enroll/sms", get(sms_show).post(sms_submit))
}

#[derive(Serialize)]
struct EnrollPage<'a> {
    csrf_token: &'a str,
    username: &'a str,
    sms: bool,
    signed_in: bool,
}

async fn show(State(state): State<AppState>, enroller: Enroller) -> Result<Response, WebError> {
    let page = EnrollPage {
        csrf_token: &enroller.who.csrf_token,
        username: enroller.who.username.as_str(),
        sms: state.door.sms_offered(),
        signed_in: false,
    };
    Ok(state
        .templates
        .page("pages/enroll.html", page)?
        .into_response())
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
