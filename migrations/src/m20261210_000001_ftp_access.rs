//! FTP access: a per-user switch for the FTP door, off for every existing user (FTP sends
//! passwords in clear text unless the client asks for TLS, so nobody gets it unasked), and a
//! tenant default that decides the switch for users created later.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(add_flag(Users::Table, Users::FtpEnabled))
            .await?;
        manager
            .alter_table(add_flag(
                TenantSettings::Table,
                TenantSettings::FtpEnabledByDefault,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(drop_column(Users::Table, Users::FtpEnabled))
            .await?;
        manager
            .alter_table(drop_column(
                TenantSettings::Table,
                TenantSettings::FtpEnabledByDefault,
            ))
            .await
    }
}

/// A `NOT NULL` boolean column defaulting to false; the default fills existing rows on
/// SQLite and PostgreSQL alike.
fn add_flag(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> TableAlterStatement {
    Table::alter()
        .table(table)
        .add_column(ColumnDef::new(column).boolean().not_null().default(false))
        .to_owned()
}

fn drop_column(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> TableAlterStatement {
    Table::alter().table(table).drop_column(column).to_owned()
}

#[derive(DeriveIden)]
enum Users {
    Table,
    FtpEnabled,
}

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    FtpEnabledByDefault,
}
