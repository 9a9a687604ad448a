//! Who may use the FTP door: the per-user switch and the tenant default that sets it for
//! users created later. Changing the default never touches existing users.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::Store;
use crate::entity::{tenant_settings, user};
use crate::error::CoreError;
use crate::ids::{TenantId, UserId};

impl Store {
    /// Switches one user's FTP access. The caller audits the change.
    pub async fn set_ftp_enabled(&self, id: UserId, enabled: bool) -> Result<(), CoreError> {
        let changed = user::Entity::update_many()
            .col_expr(user::Column::FtpEnabled, enabled.into())
            .filter(user::Column::Id.eq(id.0))
            .exec(self.connection())
            .await?;
        if changed.rows_affected == 0 {
            return Err(CoreError::NotFound("user"));
        }
        Ok(())
    }

    /// Sets whether users created from now on get FTP access. The caller audits the change.
    pub async fn set_ftp_enabled_by_default(
        &self,
        id: TenantId,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let mut settings: tenant_settings::ActiveModel = self.tenant_settings(id).await?.into();
        settings.ftp_enabled_by_default = Set(enabled);
        settings.updated_at = Set(now);
        settings.update(self.connection()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecurityConfig;
    use crate::ids::{Role, TenantName, Username};
    use crate::store::users::NewUser;

    fn new_user(name: &str, role: Role) -> NewUser {
        NewUser {
            username: Username::parse(name).unwrap(),
            email: None,
            role,
            manage_users: false,
            password_hash: "not-a-real-hash".to_owned(),
        }
    }

    async fn tenant_with_owner(store: &Store) -> (TenantId, user::Model) {
        let name = TenantName::parse("acme").unwrap();
        let owner = new_user("alice", Role::Owner);
        let defaults = SecurityConfig::default();
        let (tenant, owner) = store
            .create_tenant(&name, owner, &defaults, Utc::now())
            .await
            .unwrap();
        (TenantId(tenant.id), owner)
    }

    #[tokio::test]
    async fn ftp_is_off_for_new_users_until_the_tenant_default_says_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
        let (tenant, owner) = tenant_with_owner(&store).await;

        let before = store
            .create_user(tenant, new_user("bob", Role::Member), Utc::now())
            .await
            .unwrap();
        store
            .set_ftp_enabled_by_default(tenant, true, Utc::now())
            .await
            .unwrap();
        let after = store
            .create_user(tenant, new_user("carol", Role::Member), Utc::now())
            .await
            .unwrap();

        assert!(!owner.ftp_enabled, "the owner starts without FTP");
        assert!(
            !before.ftp_enabled,
            "a user made before the default changed has no FTP"
        );
        assert!(
            after.ftp_enabled,
            "a user made after the default changed has FTP"
        );
        let bob = store.user_by_id(before.user_id()).await.unwrap();
        assert!(
            !bob.ftp_enabled,
            "changing the default leaves existing users alone"
        );
    }

    #[tokio::test]
    async fn the_operator_switch_turns_one_users_ftp_on_and_off() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
        let (_, owner) = tenant_with_owner(&store).await;

        store.set_ftp_enabled(owner.user_id(), true).await.unwrap();
        let on = store.user_by_id(owner.user_id()).await.unwrap().ftp_enabled;
        store.set_ftp_enabled(owner.user_id(), false).await.unwrap();
        let off = store.user_by_id(owner.user_id()).await.unwrap().ftp_enabled;

        assert!(on, "switching FTP on should stick");
        assert!(!off, "switching FTP off should stick");
    }
}
