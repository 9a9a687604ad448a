use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: i64,
    pub enforce_mfa: bool,
    pub password_min_length: i32,
    pub lockout_max_failures: i32,
    pub lockout_window_secs: i64,
    pub lockout_duration_secs: i64,
    pub allow_totp: bool,
    pub allow_sms: bool,
    /// Whether users created from now on may use FTP.
    pub ftp_enabled_by_default: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
