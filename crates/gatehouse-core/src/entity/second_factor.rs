use sea_orm::entity::prelude::*;

/// A second factor of one user: `method` is `totp` or `sms`.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "second_factors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub method: String,
    /// False while enrolment waits for the first code.
    pub confirmed: bool,
    /// TOTP only: the secret sealed with the server key (nonce and ciphertext, base64).
    pub secret_sealed: Option<String>,
    /// TOTP only: the last accepted time step; -1 before the first.
    pub last_step: i64,
    /// SMS only: the phone number in E.164 form.
    pub phone: Option<String>,
    /// SMS only: when a code was last sent, for the resend throttle.
    pub last_sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

// Written by hand so the sealed secret and the phone number never reach a log line.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("second_factor::Model")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("method", &self.method)
            .field("confirmed", &self.confirmed)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
