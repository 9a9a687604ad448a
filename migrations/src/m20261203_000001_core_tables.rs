//! The foundation: tenants and their security settings, users, SSH keys, login throttling and
//! the audit log. Second factors and web sessions arrive in their own later migrations.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(tenants()).await?;
        manager.create_table(tenant_settings()).await?;
        manager.create_table(users()).await?;
        manager.create_index(users_by_tenant()).await?;
        manager.create_table(ssh_keys()).await?;
        manager.create_table(login_throttle()).await?;
        manager.create_table(audit_events()).await?;
        manager.create_index(audit_by_tenant_time()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            SshKeys::Table.into_iden(),
            Users::Table.into_iden(),
            TenantSettings::Table.into_iden(),
            Tenants::Table.into_iden(),
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

fn tenants() -> TableCreateStatement {
    Table::create()
        .table(Tenants::Table)
        .col(id(Tenants::Id))
        .col(
            ColumnDef::new(Tenants::Name)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(
            ColumnDef::new(Tenants::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned()
}

fn tenant_settings() -> TableCreateStatement {
    Table::create()
        .table(TenantSettings::Table)
        .col(
            ColumnDef::new(TenantSettings::TenantId)
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(TenantSettings::EnforceMfa)
                .boolean()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::PasswordMinLength)
                .integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::LockoutMaxFailures)
                .integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::LockoutWindowSecs)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::LockoutDurationSecs)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::AllowTotp)
                .boolean()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::AllowSms)
                .boolean()
                .not_null(),
        )
        .col(
            ColumnDef::new(TenantSettings::UpdatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(TenantSettings::Table, TenantSettings::TenantId)
                .to(Tenants::Table, Tenants::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn users() -> TableCreateStatement {
    Table::create()
        .table(Users::Table)
        .col(id(Users::Id))
        .col(ColumnDef::new(Users::TenantId).big_integer().not_null())
        .col(
            ColumnDef::new(Users::Username)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Users::Email).string_len(254).null())
        .col(ColumnDef::new(Users::Role).string_len(16).not_null())
        .col(ColumnDef::new(Users::ManageUsers).boolean().not_null())
        .col(
            ColumnDef::new(Users::RootFolder)
                .string_len(1024)
                .not_null(),
        )
        .col(ColumnDef::new(Users::SftpEnabled).boolean().not_null())
        .col(ColumnDef::new(Users::WebEnabled).boolean().not_null())
        .col(ColumnDef::new(Users::Disabled).boolean().not_null())
        .col(ColumnDef::new(Users::PasswordHash).text().not_null())
        .col(
            ColumnDef::new(Users::MustChangePassword)
                .boolean()
                .not_null(),
        )
        .col(
            ColumnDef::new(Users::PasswordChangedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Users::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(Users::LastSftpLoginAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .col(
            ColumnDef::new(Users::LastWebLoginAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Users::Table, Users::TenantId)
                .to(Tenants::Table, Tenants::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn users_by_tenant() -> IndexCreateStatement {
    Index::create()
        .name("idx_users_tenant")
        .table(Users::Table)
        .col(Users::TenantId)
        .to_owned()
}

fn ssh_keys() -> TableCreateStatement {
    Table::create()
        .table(SshKeys::Table)
        .col(id(SshKeys::Id))
        .col(ColumnDef::new(SshKeys::UserId).big_integer().not_null())
        .col(ColumnDef::new(SshKeys::Algorithm).string_len(64).not_null())
        .col(ColumnDef::new(SshKeys::PublicKey).text().not_null())
        .col(
            ColumnDef::new(SshKeys::Fingerprint)
                .string_len(128)
                .not_null(),
        )
        .col(ColumnDef::new(SshKeys::Comment).string_len(256).not_null())
        .col(
            ColumnDef::new(SshKeys::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(
            ColumnDef::new(SshKeys::LastUsedAt)
                .timestamp_with_time_zone()
                .null(),
        )
        .index(
            Index::create()
                .name("uq_ssh_keys_user_fingerprint")
                .col(SshKeys::UserId)
                .col(SshKeys::Fingerprint)
                .unique(),
        )
        .foreign_key(
            ForeignKey::create()
                .from(SshKeys::Table, SshKeys::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn login_throttle() -> TableCreateStatement {
    Table::create()
        .table(LoginThrottle::Table)
        .col(
            ColumnDef::new(LoginThrottle::Username)
                .string_len(64)
                .not_null(),
        )
        .col(
            ColumnDef::new(LoginThrottle::Peer)
                .string_len(64)
                .not_null(),
        )
        .col(
            ColumnDef::new(LoginThrottle::WindowStart)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
        .col(
            ColumnDef::new(LoginThrottle::BlockedUntil)
                .timestamp_with_time_zone()
                .null(),
        )
        .primary_key(
            Index::create()
                .col(LoginThrottle::Username)
                .col(LoginThrottle::Peer),
        )
        .to_owned()
}

fn audit_events() -> TableCreateStatement {
    Table::create()
        .table(AuditEvents::Table)
        .col(id(AuditEvents::Id))
        .col(
            ColumnDef::new(AuditEvents::At)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(AuditEvents::TenantId).big_integer().null())
        .col(ColumnDef::new(AuditEvents::Kind).string_len(64).not_null())
        .col(
            ColumnDef::new(AuditEvents::Outcome)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(AuditEvents::Protocol)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(AuditEvents::Actor)
                .string_len(128)
                .not_null(),
        )
        .col(ColumnDef::new(AuditEvents::Subject).string_len(128).null())
        .col(ColumnDef::new(AuditEvents::Peer).string_len(64).null())
        .col(ColumnDef::new(AuditEvents::Detail).text().not_null())
        .to_owned()
}

fn audit_by_tenant_time() -> IndexCreateStatement {
    Index::create()
        .name("idx_audit_tenant_at")
        .table(AuditEvents::Table)
        .col(AuditEvents::TenantId)
        .col(AuditEvents::At)
        .to_owned()
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    TenantId,
    EnforceMfa,
    PasswordMinLength,
    LockoutMaxFailures,
    LockoutWindowSecs,
    LockoutDurationSecs,
    AllowTotp,
    AllowSms,
    UpdatedAt,
}

// Variants are column names; `manage_users` is the column's name.
#[allow(clippy::enum_variant_names)]
#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TenantId,
    Username,
    Email,
    Role,
    ManageUsers,
    RootFolder,
    SftpEnabled,
    WebEnabled,
    Disabled,
    PasswordHash,
    MustChangePassword,
    PasswordChangedAt,
    CreatedAt,
    LastSftpLoginAt,
    LastWebLoginAt,
}

#[derive(DeriveIden)]
enum SshKeys {
    Table,
    Id,
    UserId,
    Algorithm,
    PublicKey,
    Fingerprint,
    Comment,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Username,
    Peer,
    WindowStart,
    Failures,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    TenantId,
    Kind,
    Outcome,
    Protocol,
    Actor,
    Subject,
    Peer,
    Detail,
}
