//! Gatehouse's schema, as an append-only list of sea-orm migrations.
//!
//! Each change is its own file with a timestamped name and is never edited once it has landed;
//! a later change adds a new file. Every migration runs on SQLite and PostgreSQL alike, so it
//! sticks to sea-query's portable column types.

pub use sea_orm_migration::prelude::*;

// Column names such as `Users::ManageUsers` are the schema; the lint would rename them.
#[allow(clippy::enum_variant_names)]
mod m20261203_000001_core_tables;
mod m20261203_000002_web;
mod m20261210_000001_ftp_access;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261203_000001_core_tables::Migration),
            Box::new(m20261203_000002_web::Migration),
            Box::new(m20261210_000001_ftp_access::Migration),
        ]
    }
}
