//! Recovery codes, stored hashed. Using one is a single DELETE of that row: whoever deletes
//! it (one affected row) used it; a concurrent second attempt deletes nothing and fails.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, TransactionTrait};

use super::Store;
use crate::entity::recovery_code;
use crate::error::CoreError;
use crate::ids::UserId;

impl Store {
    /// Replaces the user's codes with a new set, in one transaction.
    pub async fn replace_recovery_codes(
        &self,
        user: UserId,
        hashes: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let txn = self.connection().begin().await?;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(user.0))
            .exec(&txn)
            .await?;
        let rows = hashes.into_iter().map(|hash| recovery_code::ActiveModel {
            user_id: Set(user.0),
            code_hash: Set(hash),
            created_at: Set(now),
            ..Default::default()
        });
        recovery_code::Entity::insert_many(rows).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Uses up one code; true only for the one caller that deleted it.
    pub async fn consume_recovery_code(&self, user: UserId, hash: &str) -> Result<bool, CoreError> {
        let deleted = recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::UserId.eq(user.0))
            .filter(recovery_code::Column::CodeHash.eq(hash))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected == 1)
    }

    pub async fn recovery_codes_left(&self, user: UserId) -> Result<u64, CoreError> {
        Ok(recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(user.0))
            .count(self.connection())
            .await?)
    }
}
