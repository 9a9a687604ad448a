//! The core layer's one error type. Front ends map it outward in exactly one place each.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CoreError {
    /// Input that failed validation; the message is safe to show to the person who typed it.
    #[error("{0}")]
    Invalid(String),

    #[error("{0} not found")]
    NotFound(&'static str),

    #[error("{0} already exists")]
    Conflict(String),

    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),

    #[error("password hashing failed: {0}")]
    Hashing(String),

    /// Too many password checks already waiting: shed load instead of queueing forever.
    #[error("too many logins in progress")]
    Busy,
}

impl CoreError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}
