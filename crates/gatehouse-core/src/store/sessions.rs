//! Web sessions, server-side so that every node sees the same ones. Rows are found by the
//! SHA-256 of the cookie's token; the token itself is never stored. Expiry (idle and
//! absolute) is checked on every lookup.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Store;
use crate::entity::web_session;
use crate::error::CoreError;
use crate::ids::UserId;

/// How far a session has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Password accepted, a second factor is owed.
    Pending,
    /// Password accepted, Enforced MFA requires enrolling a factor first.
    Enrolment,
    /// Signed in.
    Full,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Enrolment => "enrol",
            Self::Full => "full",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "enrol" => Some(Self::Enrolment),
            "full" => Some(Self::Full),
            _ => None,
        }
    }
}

/// A session row to insert.
#[derive(Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user: UserId,
    pub state: SessionState,
    pub csrf_token: String,
    pub second_factor_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_session(
        &self,
        new: NewSession,
        now: DateTime<Utc>,
    ) -> Result<web_session::Model, CoreError> {
        Ok(web_session::ActiveModel {
            token_hash: Set(new.token_hash),
            user_id: Set(new.user.0),
            state: Set(new.state.as_str().to_owned()),
            csrf_token: Set(new.csrf_token),
            failed_codes: Set(0),
            second_factor_at: Set(new.second_factor_at),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(new.expires_at),
            ..Default::default()
        }
        .insert(self.connection())
        .await?)
    }

    /// The live session with this token hash, refreshing its idle clock. An expired one
    /// (idle or absolute) is deleted and reported as absent.
    pub async fn live_session(
        &self,
        token_hash: &str,
        idle: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<web_session::Model>, CoreError> {
        let Some(row) = web_session::Entity::find()
            .filter(web_session::Column::TokenHash.eq(token_hash))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        if row.expires_at <= now || row.last_seen_at + idle <= now {
            self.delete_session(row.id).await?;
            return Ok(None);
        }
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
            .filter(web_session::Column::Id.eq(row.id))
            .exec(self.connection())
            .await?;
        Ok(Some(row))
    }

    /// Deletes a session; true for the one caller that deleted it, so promoting a pending
    /// login to a full session happens at most once.
    pub async fn delete_session(&self, id: i64) -> Result<bool, CoreError> {
        let deleted = web_session::Entity::delete_by_id(id)
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected == 1)
    }

    /// Counts a wrong code on a pending login and returns the new count.
    pub async fn count_wrong_code(&self, id: i64) -> Result<i32, CoreError> {
        use web_session::Column as C;
        web_session::Entity::update_many()
            .col_expr(C::FailedCodes, Expr::col(C::FailedCodes).add(1))
            .filter(C::Id.eq(id))
            .exec(self.connection())
            .await?;
        let row = web_session::Entity::find_by_id(id)
            .one(self.connection())
            .await?;
        Ok(row.map_or(i32::MAX, |row| row.failed_codes))
    }

    pub async fn mark_second_factor(&self, id: i64, now: DateTime<Utc>) -> Result<(), CoreError> {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::SecondFactorAt, Expr::value(Some(now)))
            .filter(web_session::Column::Id.eq(id))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    /// Ends every session of a user, for example after a password change elsewhere.
    pub async fn delete_sessions_of(&self, user: UserId) -> Result<u64, CoreError> {
        let deleted = web_session::Entity::delete_many()
            .filter(web_session::Column::UserId.eq(user.0))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }
}
