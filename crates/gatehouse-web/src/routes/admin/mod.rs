//! Administration pages: users, Security (the owner's Password Policies), the audit log.
//!
//! Handlers only translate between forms and `gatehouse_core::admin`, where every rule
//! lives; a refused action renders a 403 page saying why, and core has already written the
//! attempt to the audit log.

mod audit;
mod security;
mod users;

use std::net::SocketAddr;

use axum::Router;
use chrono::Utc;
use gatehouse_core::admin::users::Context;
use gatehouse_core::admin::{Actor, AdminError};
use gatehouse_core::auth::web::WebPrincipal;

use crate::AppState;
use crate::error::WebError;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(users::router())
        .merge(security::router())
        .merge(audit::router())
}

/// The signed-in user as an acting principal, reloaded so role changes apply at once.
async fn actor(state: &AppState, principal: &WebPrincipal) -> Result<Actor, WebError> {
    Ok(Actor::load(state.door.authenticator().store(), principal.who.user_id).await?)
}

fn context(peer: SocketAddr) -> Context {
    Context {
        peer: Some(peer.ip()),
        now: Utc::now(),
    }
}

impl From<AdminError> for WebError {
    fn from(err: AdminError) -> Self {
        match err {
            AdminError::Forbidden(why) => Self::Forbidden(why),
            AdminError::NotFound => Self::NotFound,
            AdminError::Invalid(_) => Self::BadRequest("invalid administration input"),
            AdminError::Core(err) => Self::Core(err),
        }
    }
}
