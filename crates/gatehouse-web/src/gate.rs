//! The gate every request passes: it resolves the session, decides what the visitor may
//! reach, and checks the CSRF token of every state-changing request. Handlers then take the
//! state they need through the extractors below; the allow-lists live here and only here.
//!
//! - no session: `/login` only;
//! - a pending login (password given, second factor owed): `/login/2fa` and logout;
//! - an enrolment-only session (Enforced MFA, no factor yet): `/enroll`, `/enroll/totp`,
//!   `/enroll/sms` and logout;
//! - signed in: everything else.
//!
//! Paths are matched exactly as received, so `/enroll/totp/../files` or an encoded variant
//! is simply not on a list. Static assets and `/healthz` need no session.

use std::collections::HashMap;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use gatehouse_core::auth::web::{
    EnrolmentTicket, PendingLogin, SessionUser, WebLogin, WebPrincipal,
};
use tower_cookies::Cookies;

use crate::AppState;
use crate::error::WebError;
use crate::session;

/// Largest url-encoded form the gate reads to find the CSRF token.
const FORM_LIMIT: usize = 64 * 1024;

/// Who is asking, as far as the session says.
#[derive(Clone, Debug)]
pub enum Visitor {
    Anonymous { csrf_token: String },
    Pending(PendingLogin),
    Enrolling(EnrolmentTicket),
    SignedIn(WebPrincipal),
}

impl Visitor {
    pub fn csrf_token(&self) -> &str {
        match self {
            Self::Anonymous { csrf_token } => csrf_token,
            Self::Pending(pending) => &pending.who.csrf_token,
            Self::Enrolling(ticket) => &ticket.who.csrf_token,
            Self::SignedIn(principal) => &principal.who.csrf_token,
        }
    }

    pub fn who(&self) -> Option<&SessionUser> {
        match self {
            Self::Anonymous { .. } => None,
            Self::Pending(pending) => Some(&pending.who),
            Self::Enrolling(ticket) => Some(&ticket.who),
            Self::SignedIn(principal) => Some(&principal.who),
        }
    }

    /// Where this visitor belongs, and whether `path` is on its list.
    fn may_reach(&self, path: &str) -> Result<(), &'static str> {
        let (home, allowed): (&str, &[&str]) = match self {
            Self::Anonymous { .. } => ("/login", &["/login"]),
            Self::Pending(_) => (
                "/login/2fa",
                &["/login", "/login/2fa", "/login/2fa/sms", "/logout"],
            ),
            Self::Enrolling(_) => (
                "/enroll",
                &["/enroll", "/enroll/totp", "/enroll/sms", "/logout"],
            ),
            Self::SignedIn(_) => {
                let closed = path == "/"
                    || path == "/login"
                    || path.starts_with("/login/")
                    || path == "/enroll"
                    || path.starts_with("/enroll/");
                return if closed { Err("/files") } else { Ok(()) };
            }
        };
        if allowed.contains(&path) {
            Ok(())
        } else {
            Err(home)
        }
    }
}

pub async fn gate(
    State(state): State<AppState>,
    cookies: Cookies,
    request: Request,
    next: Next,
) -> Result<Response, WebError> {
    let path = request.uri().path().to_owned();
    if path.starts_with("/static/") || path == "/healthz" {
        return Ok(next.run(request).await);
    }
    let visitor = resolve(&state, &cookies).await?;
    if let Err(home) = visitor.may_reach(&path) {
        tracing::debug!(%path, to = home, "gate redirect");
        return Ok(Redirect::to(home).into_response());
    }
    let mut request = check_csrf(request, visitor.csrf_token()).await?;
    request.extensions_mut().insert(visitor);
    Ok(next.run(request).await)
}

async fn resolve(state: &AppState, cookies: &Cookies) -> Result<Visitor, WebError> {
    if let Some(token) = session::session_token(cookies) {
        match state.door.resume(&token, Utc::now()).await? {
            Some(WebLogin::SecondFactorRequired(pending)) => return Ok(Visitor::Pending(pending)),
            Some(WebLogin::EnrolmentRequired(ticket)) => return Ok(Visitor::Enrolling(ticket)),
            Some(WebLogin::SignedIn(principal)) => return Ok(Visitor::SignedIn(principal)),
            None => session::clear_session(cookies, state.secure_cookies),
        }
    }
    let csrf_token = session::anonymous_csrf(cookies, state.secure_cookies);
    Ok(Visitor::Anonymous { csrf_token })
}

/// State-changing requests carry `csrf_token` in the query (uploads, whose body is streamed)
/// or in the url-encoded form body, which is read here and handed on unchanged.
async fn check_csrf(request: Request, expected: &str) -> Result<Request, WebError> {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return Ok(request);
    }
    let query = request.uri().query().unwrap_or_default();
    let from_query: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
    if let Some(given) = from_query.get("csrf_token") {
        return if session::tokens_match(expected, given) {
            Ok(request)
        } else {
            Err(WebError::Csrf)
        };
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(WebError::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| WebError::BadRequest("form too large"))?;
    let fields: HashMap<String, String> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let given = fields
        .get("csrf_token")
        .map(String::as_str)
        .unwrap_or_default();
    if !session::tokens_match(expected, given) {
        return Err(WebError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn visitor(parts: &Parts) -> Option<&Visitor> {
    parts.extensions.get::<Visitor>()
}

/// Any visitor, for pages every state may see.
pub struct AnyVisitor(pub Visitor);

/// A signed-in user; nothing else gets through.
pub struct SignedIn(pub WebPrincipal);

/// A pending login.
pub struct Pending(pub PendingLogin);

/// Someone who may enrol a factor: an enrolment-only session or a signed-in user.
pub struct Enroller {
    pub who: SessionUser,
    pub ticket: Option<EnrolmentTicket>,
}

impl<S: Send + Sync> FromRequestParts<S> for AnyVisitor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        visitor(parts)
            .cloned()
            .map(Self)
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match visitor(parts) {
            Some(Visitor::SignedIn(principal)) => Ok(Self(principal.clone())),
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Pending {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match visitor(parts) {
            Some(Visitor::Pending(pending)) => Ok(Self(pending.clone())),
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Enroller {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match visitor(parts) {
            Some(Visitor::Enrolling(ticket)) => Ok(Self {
                who: ticket.who.clone(),
                ticket: Some(ticket.clone()),
            }),
            Some(Visitor::SignedIn(principal)) => Ok(Self {
                who: principal.who.clone(),
                ticket: None,
            }),
            _ => Err(Redirect::to("/login").into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anonymous_visitor_reaches_only_the_login_page() {
        let visitor = Visitor::Anonymous {
            csrf_token: String::new(),
        };
        assert_eq!(visitor.may_reach("/login"), Ok(()));
        for path in [
            "/",
            "/files",
            "/profile",
            "/login/2fa",
            "/enroll",
            "/logout",
        ] {
            assert_eq!(visitor.may_reach(path), Err("/login"), "{path}");
        }
    }
}
