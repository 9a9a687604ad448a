//! The web app's state: second factors (TOTP and SMS), recovery codes and web sessions. All of
//! it lives in the database so that several nodes behind a load balancer agree on it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(second_factors()).await?;
        manager.create_table(recovery_codes()).await?;
        manager.create_table(web_sessions()).await?;
        manager.create_index(web_sessions_by_user()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebSessions::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            SecondFactors::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn user_fk(
    table: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// One row per user and method; `confirmed` is false while enrolment waits for a first code.
fn second_factors() -> TableCreateStatement {
    Table::create()
        .table(SecondFactors::Table)
        .col(id(SecondFactors::Id))
        .col(
            ColumnDef::new(SecondFactors::UserId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(SecondFactors::Method)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(SecondFactors::Confirmed)
                .boolean()
                .not_null(),
        )
        .col(ColumnDef::new(SecondFactors::SecretSealed).text().null())
        .col(
            ColumnDef::new(SecondFactors::LastStep)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(SecondFactors::Phone).string_len(32).null())
        .col(
            ColumnDef::new(SecondFactors::LastSentAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(SecondFactors::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .index(
            Index::create()
                .name("uq_second_factors_user_method")
                .col(SecondFactors::UserId)
                .col(SecondFactors::Method)
                .unique(),
        )
        .foreign_key(&mut user_fk(SecondFactors::Table, SecondFactors::UserId))
        .to_owned()
}

fn recovery_codes() -> TableCreateStatement {
    Table::create()
        .table(RecoveryCodes::Table)
        .col(id(RecoveryCodes::Id))
        .col(
            ColumnDef::new(RecoveryCodes::UserId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(RecoveryCodes::CodeHash)
                .string_len(64)
                .not_null(),
        )
        .col(
            ColumnDef::new(RecoveryCodes::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .index(
            Index::create()
                .name("uq_recovery_codes_user_hash")
                .col(RecoveryCodes::UserId)
                .col(RecoveryCodes::CodeHash)
                .unique(),
        )
        .foreign_key(&mut user_fk(RecoveryCodes::Table, RecoveryCodes::UserId))
        .to_owned()
}

fn web_sessions() -> TableCreateStatement {
    Table::create()
        .table(WebSessions::Table)
        .col(id(WebSessions::Id))
        .col(
            ColumnDef::new(WebSessions::TokenHash)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(WebSessions::UserId).big_integer().not_null())
        .col(ColumnDef::new(WebSessions::State).string_len(16).not_null())
        .col(
            ColumnDef::new(WebSessions::CsrfToken)
                .string_len(64)
                .not_null(),
        )
        .col(
            ColumnDef::new(WebSessions::FailedCodes)
                .integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(WebSessions::SecondFactorAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(WebSessions::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(WebSessions::LastSeenAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(WebSessions::ExpiresAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .foreign_key(&mut user_fk(WebSessions::Table, WebSessions::UserId))
        .to_owned()
}

fn web_sessions_by_user() -> IndexCreateStatement {
    Index::create()
        .name("idx_web_sessions_user")
        .table(WebSessions::Table)
        .col(WebSessions::UserId)
        .to_owned()
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SecondFactors {
    Table,
    Id,
    UserId,
    Method,
    Confirmed,
    SecretSealed,
    LastStep,
    Phone,
    LastSentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebSessions {
    Table,
    Id,
    TokenHash,
    UserId,
    State,
    CsrfToken,
    FailedCodes,
    SecondFactorAt,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}
