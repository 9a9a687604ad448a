//! Users: creation, lookup, listing and password changes. Usernames are unique across all
//! tenants (an SFTP login carries only a username), which the schema enforces as well.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Store;
use crate::entity::user;
use crate::error::CoreError;
use crate::ids::{Role, TenantId, UserId, Username};

/// Everything needed to create a user; the password is already hashed.
#[derive(Clone)]
pub struct NewUser {
    pub username: Username,
    pub email: Option<String>,
    pub role: Role,
    pub manage_users: bool,
    pub password_hash: String,
}

impl NewUser {
    pub(super) fn into_active_model(
        self,
        tenant_id: TenantId,
        role: Role,
        now: DateTime<Utc>,
    ) -> user::ActiveModel {
        // The owner sees the whole tenant; everyone else starts in a home folder of their own.
        let root_folder = match role {
            Role::Owner => String::new(),
            Role::Admin | Role::Member => format!("home/{}", self.username),
        };
        user::ActiveModel {
            tenant_id: Set(tenant_id.0),
            username: Set(self.username.as_str().to_owned()),
            email: Set(self.email),
            role: Set(role.as_str().to_owned()),
            manage_users: Set(self.manage_users || role == Role::Owner),
            root_folder: Set(root_folder),
            sftp_enabled: Set(true),
            web_enabled: Set(true),
            // FTP is opt-in; `Store::create_user` applies the tenant's default.
            ftp_enabled: Set(false),
            disabled: Set(false),
            password_hash: Set(self.password_hash),
            must_change_password: Set(false),
            password_changed_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        }
    }
}

impl user::Model {
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }

    pub fn tenant(&self) -> TenantId {
        TenantId(self.tenant_id)
    }

    /// The stored role; an unreadable value counts as the least privileged one.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Member)
    }
}

/// Checks the shape of an e-mail address: enough to catch typos, not a full RFC 5322 parser.
pub fn parse_email(raw: &str) -> Result<String, CoreError> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        });
    if !valid {
        return Err(CoreError::invalid(format!(
            "invalid e-mail address {raw:?}"
        )));
    }
    Ok(email.to_owned())
}

impl Store {
    /// Adds an admin or member to a tenant. Owners are made only with their tenant.
    pub async fn create_user(
        &self,
        tenant_id: TenantId,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<user::Model, CoreError> {
        if new.role == Role::Owner {
            return Err(CoreError::invalid(
                "a tenant has exactly one owner, made with the tenant",
            ));
        }
        if self.find_user(&new.username).await?.is_some() {
            return Err(CoreError::Conflict(format!("username {}", new.username)));
        }
        let role = new.role;
        let settings = self.tenant_settings(tenant_id).await?;
        let mut user = new.into_active_model(tenant_id, role, now);
        user.ftp_enabled = Set(settings.ftp_enabled_by_default);
        Ok(user.insert(self.connection()).await?)
    }

    pub async fn find_user(&self, username: &Username) -> Result<Option<user::Model>, CoreError> {
        Ok(user::Entity::find()
            .filter(user::Column::Username.eq(username.as_str()))
            .one(self.connection())
            .await?)
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<user::Model, CoreError> {
        user::Entity::find_by_id(id.0)
            .one(self.connection())
            .await?
            .ok_or(CoreError::NotFound("user"))
    }

    /// Users ordered by tenant then name; `None` lists every tenant's users.
    pub async fn users(&self, tenant: Option<TenantId>) -> Result<Vec<user::Model>, CoreError> {
        let mut query = user::Entity::find();
        if let Some(id) = tenant {
            query = query.filter(user::Column::TenantId.eq(id.0));
        }
        Ok(query
            .order_by_asc(user::Column::TenantId)
            .order_by_asc(user::Column::Username)
            .all(self.connection())
            .await?)
    }

    pub async fn set_password_hash(
        &self,
        id: UserId,
        hash: String,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let changed = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, hash.into())
            .col_expr(user::Column::PasswordChangedAt, now.into())
            .filter(user::Column::Id.eq(id.0))
            .exec(self.connection())
            .await?;
        if changed.rows_affected == 0 {
            return Err(CoreError::NotFound("user"));
        }
        Ok(())
    }

    /// Replaces a hash made with outdated parameters. Unlike a password change it keeps
    /// `password_changed_at`, and it only applies if the hash is still the one verified, so a
    /// concurrent real change wins.
    pub async fn upgrade_password_hash(
        &self,
        id: UserId,
        old_hash: &str,
        new_hash: String,
    ) -> Result<(), CoreError> {
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, new_hash.into())
            .filter(user::Column::Id.eq(id.0))
            .filter(user::Column::PasswordHash.eq(old_hash))
            .exec(self.connection())
            .await?;
        Ok(())
    }

    pub async fn touch_sftp_login(&self, id: UserId, now: DateTime<Utc>) -> Result<(), CoreError> {
        let mut user: user::ActiveModel = self.user_by_id(id).await?.into();
        user.last_sftp_login_at = Set(Some(now));
        user.update(self.connection()).await?;
        Ok(())
    }

    pub async fn touch_web_login(&self, id: UserId, now: DateTime<Utc>) -> Result<(), CoreError> {
        let mut user: user::ActiveModel = self.user_by_id(id).await?.into();
        user.last_web_login_at = Set(Some(now));
        user.update(self.connection()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_emails_pass_and_typos_do_not() {
        assert!(parse_email("alice+ops@example.com").is_ok());
        for bad in [
            "alice",
            "alice@",
            "@example.com",
            "a b@example.com",
            "a@localhost",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
