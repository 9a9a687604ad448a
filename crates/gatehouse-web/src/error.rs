//! The web layer's one error type, turned into a response here and nowhere else. Clients see
//! a short fixed message; the cause goes to the log.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use gatehouse_core::CoreError;
use gatehouse_core::auth::web::WebAuthError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("the form was stale or forged (CSRF check failed)")]
    Csrf,
    /// Refused by the administration rules; the reason is one of core's fixed messages.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Auth(#[from] WebAuthError),
    #[error("template: {0}")]
    Render(#[from] minijinja::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("upload: {0}")]
    Multipart(#[from] axum::extract::multipart::MultipartError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found."),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "That request was not understood."),
            Self::Forbidden(why) => (StatusCode::FORBIDDEN, *why),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired. Go back, reload the page and try again.",
            ),
            Self::Core(CoreError::Invalid(_)) => {
                (StatusCode::BAD_REQUEST, "That input is not valid.")
            }
            Self::Core(CoreError::NotFound(_)) => (StatusCode::NOT_FOUND, "Not found."),
            Self::Core(CoreError::Conflict(_)) => (StatusCode::CONFLICT, "That already exists."),
            Self::Io(err) if err.kind() == std::io::ErrorKind::NotFound => {
                (StatusCode::NOT_FOUND, "No such file or folder.")
            }
            Self::Io(err) if err.kind() == std::io::ErrorKind::IsADirectory => (
                StatusCode::BAD_REQUEST,
                "That is a folder; open it instead.",
            ),
            Self::Io(err) if err.kind() == std::io::ErrorKind::AlreadyExists => (
                StatusCode::CONFLICT,
                "A file or folder of that name already exists.",
            ),
            Self::Multipart(_) => (StatusCode::BAD_REQUEST, "The upload was cut short."),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.",
            ),
        };
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        (status, Html(error_page(status, message))).into_response()
    }
}

/// A fixed page: the message is one of the constants above, never input, so no escaping is
/// needed and rendering cannot fail.
fn error_page(status: StatusCode, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{status}</title><link rel=\"stylesheet\" href=\"/static/style.css\"></head>\
         <body><main class=\"card\"><h1>{status}</h1><p class=\"error\">{message}</p>\
         <p><a href=\"/\">Back to the start</a></p></main></body></html>"
    )
}
