//! The router: one module per page family, each with its own `router()`, all behind the gate.

mod admin;
mod assets;
mod challenge;
mod enroll;
mod factor_pages;
mod files;
mod login;
mod profile;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower_cookies::CookieManagerLayer;

use crate::AppState;
use crate::gate::gate;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .merge(assets::router())
        .merge(login::router())
        .merge(challenge::router())
        .merge(enroll::router())
        .merge(profile::router())
        .merge(files::router())
        .merge(admin::router())
        .layer(from_fn_with_state(state.clone(), gate))
        .layer(CookieManagerLayer::new())
        .with_state(state)
}
