//! Login throttling per account and address, shared by every node through the database.
//!
//! Each failure is one atomic statement (an increment in SQL, not read-modify-write), so two
//! nodes counting at once never lose a failure. The policy comes from the tenant's settings,
//! or from the configured defaults for usernames that match no account: those are throttled
//! the same way, so the lockout itself does not reveal which usernames exist.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Store;
use crate::config::SecurityConfig;
use crate::entity::{login_throttle, tenant_settings};
use crate::error::CoreError;

/// How many failures, within which window, block an account from an address for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub duration: Duration,
}

impl From<&SecurityConfig> for LockoutPolicy {
    fn from(config: &SecurityConfig) -> Self {
        Self {
            max_failures: config.lockout_max_failures,
            window: Duration::seconds(config.lockout_window_secs),
            duration: Duration::seconds(config.lockout_duration_secs),
        }
    }
}

impl From<&tenant_settings::Model> for LockoutPolicy {
    fn from(settings: &tenant_settings::Model) -> Self {
        Self {
            max_failures: u32::try_from(settings.lockout_max_failures).unwrap_or(0),
            window: Duration::seconds(settings.lockout_window_secs),
            duration: Duration::seconds(settings.lockout_duration_secs),
        }
    }
}

/// The throttle key: the name folded the way logins fold it (`Alice`, ` alice` and `alice`
/// are one account, so they share one count), bounded, and the address.
fn key(username: &str, peer: IpAddr) -> (String, String) {
    let name: String = username.trim().to_lowercase().chars().take(64).collect();
    (name, peer.to_string())
}

impl Store {
    pub async fn is_locked_out(
        &self,
        username: &str,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let (name, peer) = key(username, peer);
        let row = login_throttle::Entity::find_by_id((name, peer))
            .one(self.connection())
            .await?;
        Ok(row
            .and_then(|row| row.blocked_until)
            .is_some_and(|until| until > now))
    }

    /// Counts one failure and returns true when this failure started a block.
    pub async fn record_login_failure(
        &self,
        username: &str,
        peer: IpAddr,
        policy: LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        use login_throttle::Column as C;
        let (name, peer) = key(username, peer);
        let db = self.connection();

        let fresh = login_throttle::ActiveModel {
            username: Set(name.clone()),
            peer: Set(peer.clone()),
            window_start: Set(now),
            failures: Set(0),
            blocked_until: Set(None),
        };
        login_throttle::Entity::insert(fresh)
            .on_conflict(
                OnConflict::columns([C::Username, C::Peer])
                    .do_nothing()
                    .to_owned(),
            )
            .do_nothing()
            .exec(db)
            .await?;

        // A window that has passed (and is not holding a live block) starts again.
        login_throttle::Entity::update_many()
            .col_expr(C::Failures, Expr::value(0))
            .col_expr(C::WindowStart, Expr::value(now))
            .col_expr(C::BlockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(C::Username.eq(&name))
            .filter(C::Peer.eq(&peer))
            .filter(C::WindowStart.lt(now - policy.window))
            .filter(C::BlockedUntil.is_null().or(C::BlockedUntil.lte(now)))
            .exec(db)
            .await?;

        login_throttle::Entity::update_many()
            .col_expr(C::Failures, Expr::col(C::Failures).add(1))
            .filter(C::Username.eq(&name))
            .filter(C::Peer.eq(&peer))
            .exec(db)
            .await?;

        // Start a block once the count reaches the limit, unless one is already running.
        let blocked = login_throttle::Entity::update_many()
            .col_expr(C::BlockedUntil, Expr::value(Some(now + policy.duration)))
            .filter(C::Username.eq(&name))
            .filter(C::Peer.eq(&peer))
            .filter(C::Failures.gte(i64::from(policy.max_failures)))
            .filter(C::BlockedUntil.is_null().or(C::BlockedUntil.lte(now)))
            .exec(db)
            .await?;
        Ok(blocked.rows_affected > 0)
    }

    /// Lifts every block and forgets every failure of an account, from all addresses (the
    /// operator's unlock). Returns how many addresses were tracked.
    pub async fn clear_all_login_failures(&self, username: &str) -> Result<u64, CoreError> {
        let (name, _) = key(username, IpAddr::from([0, 0, 0, 0]));
        let cleared = login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Username.eq(name))
            .exec(self.connection())
            .await?;
        Ok(cleared.rows_affected)
    }

    /// A successful login forgets the failures of that account from that address.
    pub async fn clear_login_failures(
        &self,
        username: &str,
        peer: IpAddr,
    ) -> Result<(), CoreError> {
        let (name, peer) = key(username, peer);
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Username.eq(name))
            .filter(login_throttle::Column::Peer.eq(peer))
            .exec(self.connection())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LockoutPolicy {
        LockoutPolicy::from(&SecurityConfig::default())
    }

    fn peer() -> IpAddr {
        IpAddr::from([192, 0, 2, 7])
    }

    /// SQLite, or PostgreSQL when the test run names one (CI runs both).
    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn the_fifth_failure_in_the_window_blocks_for_the_lockout_duration() {
        let (store, _dir) = store().await;
        let start = Utc::now();

        for i in 0..4 {
            let at = start + Duration::seconds(i);
            assert!(
                !store
                    .record_login_failure("alice", peer(), policy(), at)
                    .await
                    .unwrap()
            );
        }
        let blocked = store
            .record_login_failure("alice", peer(), policy(), start)
            .await
            .unwrap();

        assert!(blocked, "the fifth failure should start a block");
        assert!(
            store
                .is_locked_out("alice", peer(), start + Duration::minutes(14))
                .await
                .unwrap()
        );
        assert!(
            !store
                .is_locked_out("alice", peer(), start + Duration::minutes(16))
                .await
                .unwrap()
        );
        let other = IpAddr::from([192, 0, 2, 8]);
        assert!(
            !store.is_locked_out("alice", other, start).await.unwrap(),
            "per address"
        );
    }

    #[tokio::test]
    async fn failures_spread_beyond_the_window_never_block() {
        let (store, _dir) = store().await;
        let start = Utc::now();

        for i in 0..10 {
            let at = start + Duration::minutes(2 * i);
            let blocked = store
                .record_login_failure("bob", peer(), policy(), at)
                .await
                .unwrap();
            assert!(!blocked, "failure {i} should not have blocked");
        }

        // Window of five minutes: at most three failures ever share one, so no block.
        assert!(
            !store
                .is_locked_out("bob", peer(), start + Duration::minutes(19))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn spellings_of_one_username_share_one_count() {
        let (store, _dir) = store().await;
        let now = Utc::now();

        for typed in ["alice", "Alice", " alice", "ALICE "] {
            store
                .record_login_failure(typed, peer(), policy(), now)
                .await
                .unwrap();
        }
        let blocked = store
            .record_login_failure("aLiCe", peer(), policy(), now)
            .await
            .unwrap();

        assert!(
            blocked,
            "five failures of one account, however typed, start a block"
        );
        assert!(store.is_locked_out("Alice", peer(), now).await.unwrap());
    }

    #[tokio::test]
    async fn the_operator_unlock_lifts_blocks_from_every_address() {
        let (store, _dir) = store().await;
        let now = Utc::now();
        let other = IpAddr::from([198, 51, 100, 9]);
        for from in [peer(), other] {
            for _ in 0..5 {
                store
                    .record_login_failure("dave", from, policy(), now)
                    .await
                    .unwrap();
            }
        }

        let cleared = store.clear_all_login_failures("Dave").await.unwrap();

        assert_eq!(cleared, 2, "both addresses were tracked");
        assert!(!store.is_locked_out("dave", peer(), now).await.unwrap());
        assert!(!store.is_locked_out("dave", other, now).await.unwrap());
    }

    #[tokio::test]
    async fn a_success_clears_the_count() {
        let (store, _dir) = store().await;
        let now = Utc::now();
        for _ in 0..4 {
            store
                .record_login_failure("carol", peer(), policy(), now)
                .await
                .unwrap();
        }

        store.clear_login_failures("carol", peer()).await.unwrap();

        let blocked = store
            .record_login_failure("carol", peer(), policy(), now)
            .await
            .unwrap();
        assert!(!blocked, "after a success the count starts from zero");
    }
}
