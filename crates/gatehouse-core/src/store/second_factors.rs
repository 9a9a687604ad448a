//! Second factors: enrolment (an unconfirmed row), confirmation, the TOTP replay guard and
//! the SMS resend throttle. Every guard is one conditional UPDATE whose affected-row count
//! says whether this caller won, so two nodes can never both accept one TOTP step.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::Store;
use crate::entity::{recovery_code, second_factor};
use crate::error::CoreError;
use crate::ids::UserId;

/// A kind of second factor, as stored in the `method` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Totp,
    Sms,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Sms => "sms",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "totp" => Some(Self::Totp),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

impl second_factor::Model {
    pub fn method(&self) -> Option<Method> {
        Method::parse(&self.method)
    }
}

impl Store {
    pub async fn confirmed_factors(
        &self,
        user: UserId,
    ) -> Result<Vec<second_factor::Model>, CoreError> {
        Ok(second_factor::Entity::find()
            .filter(second_factor::Column::UserId.eq(user.0))
            .filter(second_factor::Column::Confirmed.eq(true))
            .order_by_asc(second_factor::Column::Id)
            .all(self.connection())
            .await?)
    }

    pub async fn factor(
        &self,
        user: UserId,
        method: Method,
    ) -> Result<Option<second_factor::Model>, CoreError> {
        Ok(second_factor::Entity::find()
            .filter(second_factor::Column::UserId.eq(user.0))
            .filter(second_factor::Column::Method.eq(method.as_str()))
            .one(self.connection())
            .await?)
    }

    /// Starts (or restarts) enrolment of `method`: any earlier unconfirmed row is replaced,
    /// so only the secret or number shown last can be confirmed. Refused when that method is
    /// already confirmed.
    pub async fn put_unconfirmed_factor(
        &self,
        user: UserId,
        method: Method,
        secret_sealed: Option<String>,
        phone: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<second_factor::Model, CoreError> {
        let txn = self.connection().begin().await?;
        // The resend clock survives the replacement, so asking again with the same (or
        // another) number cannot send texts faster than the throttle allows.
        let last_sent_at = second_factor::Entity::find()
            .filter(second_factor::Column::UserId.eq(user.0))
            .filter(second_factor::Column::Method.eq(method.as_str()))
            .one(&txn)
            .await?
            .and_then(|row| row.last_sent_at);
        second_factor::Entity::delete_many()
            .filter(second_factor::Column::UserId.eq(user.0))
            .filter(second_factor::Column::Method.eq(method.as_str()))
            .filter(second_factor::Column::Confirmed.eq(false))
            .exec(&txn)
            .await?;
        let row = second_factor::ActiveModel {
            user_id: Set(user.0),
            method: Set(method.as_str().to_owned()),
            confirmed: Set(false),
            secret_sealed: Set(secret_sealed),
            last_step: Set(-1),
            phone: Set(phone),
            last_sent_at: Set(last_sent_at),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|_| CoreError::Conflict(format!("{} second factor", method.as_str())))?;
        txn.commit().await?;
        Ok(row)
    }

    /// Confirms an unconfirmed factor; for TOTP `step` is the step of the confirming code,
    /// remembered so the same code cannot then sign in. False when someone else confirmed
    /// or replaced it first.
    pub async fn confirm_factor(&self, factor_id: i64, step: i64) -> Result<bool, CoreError> {
        use second_factor::Column as C;
        let changed = second_factor::Entity::update_many()
            .col_expr(C::Confirmed, Expr::value(true))
            .col_expr(C::LastStep, Expr::value(step))
            .filter(C::Id.eq(factor_id))
            .filter(C::Confirmed.eq(false))
            .filter(C::LastStep.lt(step))
            .exec(self.connection())
            .await?;
        Ok(changed.rows_affected == 1)
    }

    /// Records `step` as the last accepted one, only if it is newer: false means the code
    /// was already used (here or on another node), RFC 6238 section 5.2.
    pub async fn accept_totp_step(&self, factor_id: i64, step: i64) -> Result<bool, CoreError> {
        use second_factor::Column as C;
        let changed = second_factor::Entity::update_many()
            .col_expr(C::LastStep, Expr::value(step))
            .filter(C::Id.eq(factor_id))
            .filter(C::Confirmed.eq(true))
            .filter(C::LastStep.lt(step))
            .exec(self.connection())
            .await?;
        Ok(changed.rows_affected == 1)
    }

    /// Claims the right to send an SMS code now; false while the last one is too recent.
    pub async fn claim_sms_send(
        &self,
        factor_id: i64,
        interval: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        use second_factor::Column as C;
        let changed = second_factor::Entity::update_many()
            .col_expr(C::LastSentAt, Expr::value(Some(now)))
            .filter(C::Id.eq(factor_id))
            .filter(
                C::LastSentAt
                    .is_null()
                    .or(C::LastSentAt.lte(now - interval)),
            )
            .exec(self.connection())
            .await?;
        Ok(changed.rows_affected == 1)
    }

    /// Removes every second factor and recovery code of the user, in one transaction.
    pub async fn remove_second_factors(&self, user: UserId) -> Result<u64, CoreError> {
        let txn = self.connection().begin().await?;
        let factors = second_factor::Entity::delete_many()
            .filter(second_factor::Column::UserId.eq(user.0))
            .exec(&txn)
            .await?;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(user.0))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(factors.rows_affected)
    }
}
