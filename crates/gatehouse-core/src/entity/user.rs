use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub email: Option<String>,
    pub role: String,
    pub manage_users: bool,
    /// Relative to the tenant's folder; empty for the tenant root.
    pub root_folder: String,
    pub sftp_enabled: bool,
    pub web_enabled: bool,
    /// The FTP door; off unless the tenant default or an operator switched it on.
    pub ftp_enabled: bool,
    pub disabled: bool,
    pub password_hash: String,
    pub must_change_password: bool,
    pub password_changed_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub last_sftp_login_at: Option<DateTimeUtc>,
    pub last_web_login_at: Option<DateTimeUtc>,
}

// Written by hand so the password hash never reaches a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("user::Model")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
