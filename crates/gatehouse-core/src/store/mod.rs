//! The shared user store on sea-orm: one `Store` per process, cheap to clone, talking to
//! SQLite (the embedded default) or PostgreSQL (for more than one node). Queries and rules are
//! grouped by noun in the submodules; every query here runs unchanged on both databases.

pub mod audit;
pub mod ftp_access;
pub mod keys;
pub mod recovery_codes;
pub mod second_factors;
pub mod sessions;
pub mod tenants;
pub mod throttle;
pub mod users;

use std::time::Duration;

use gatehouse_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use crate::error::CoreError;

#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects without touching the schema; see [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Self, CoreError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .max_connections(if url.starts_with("sqlite:") { 8 } else { 16 });
        let db = Database::connect(options).await?;
        if url.starts_with("sqlite:") {
            // WAL lets readers run beside the one writer; the busy timeout makes a second
            // writer wait for the lock instead of failing with SQLITE_BUSY.
            db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;")
                .await?;
            db.execute_unprepared("PRAGMA foreign_keys=ON;").await?;
        }
        Ok(Self { db })
    }

    /// Connects and brings the schema up to date; what `serve` and the CLI use.
    pub async fn open(url: &str) -> Result<Self, CoreError> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies every pending migration and returns how many ran.
    pub async fn migrate(&self) -> Result<usize, CoreError> {
        let pending = Migrator::get_pending_migrations(&self.db).await?.len();
        Migrator::up(&self.db, None).await?;
        if pending > 0 {
            tracing::info!(applied = pending, "database migrations applied");
        }
        Ok(pending)
    }

    /// A fresh, migrated in-memory SQLite database, for tests.
    pub async fn in_memory() -> Result<Self, CoreError> {
        // One connection only: each new connection to `:memory:` would be a new empty database.
        let mut options = ConnectOptions::new("sqlite::memory:".to_owned());
        options
            .sqlx_logging(false)
            .max_connections(1)
            .min_connections(1);
        let store = Self {
            db: Database::connect(options).await?,
        };
        store
            .db
            .execute_unprepared("PRAGMA foreign_keys=ON;")
            .await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A fresh, migrated database for a test: a new PostgreSQL database when
    /// `TEST_POSTGRES_URL` (deliberately not a `GATEHOUSE_` name, which the config loader
    /// would take for a setting and refuse) names a server to create it on (for example
    /// `postgres://postgres@127.0.0.1:5432/test`), otherwise a SQLite file under `dir`.
    /// Returns the store and its URL, so a server under test can open the same database.
    #[cfg(any(test, feature = "test-support"))]
    pub async fn fresh_for_tests(dir: &std::path::Path) -> Result<(Self, String), CoreError> {
        let url = match std::env::var("TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("gatehouse_test_{}", hex::encode(rand::random::<[u8; 8]>()));
                let admin = Database::connect(admin_url.as_str()).await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                admin.close().await?;
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(base, _)| base);
                format!("{base}/{name}")
            }
            _ => format!("sqlite://{}?mode=rwc", dir.join("gatehouse.db").display()),
        };
        Ok((Self::open(&url).await?, url))
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}
