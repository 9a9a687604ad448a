use sea_orm::entity::prelude::*;

/// A browser session. Only the SHA-256 of the cookie's token is stored.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub user_id: i64,
    /// `pending` (second factor owed), `enrol` (must enrol a factor) or `full`.
    pub state: String,
    pub csrf_token: String,
    /// Wrong second-factor codes sent on this pending login.
    pub failed_codes: i32,
    /// When this session last passed a second factor, for actions that need a recent one.
    pub second_factor_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// The absolute end of the session, whatever its activity.
    pub expires_at: DateTimeUtc,
}

// Written by hand so the token hash and the CSRF token never reach a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("web_session::Model")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
