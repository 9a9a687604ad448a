//! Gatehouse's schema, as an append-only list of sea-orm migrations.
//!
//! Each change is its own file with a timestamped name and is never edited once it has landed;
//! a later change adds a new file. Every migration runs on SQLite and PostgreSQL alike, so it
//! sticks to sea-query's portable column types.

pub use sea_orm_migration::prelude::*;

mod m20261203_000001_core_tables;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261203_000001_core_tables::Migration)]
    }
}
