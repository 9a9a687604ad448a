//! Static assets, compiled into the binary from `web/static`.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const STYLE: &str = include_str!("../../../../web/static/style.css");

pub fn router() -> Router<AppState> {
    Router::new().route("/static/style.css", get(style))
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}
