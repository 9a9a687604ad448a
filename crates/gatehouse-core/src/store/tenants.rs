//! Tenants and their security settings. A tenant is created together with its owner and its
//! settings, in one transaction: there is never a tenant without exactly one owner.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::Store;
use super::users::NewUser;
use crate::config::SecurityConfig;
use crate::entity::{tenant, tenant_settings, user};
use crate::error::CoreError;
use crate::ids::{Role, TenantId, TenantName};

impl Store {
    /// Creates the tenant, its settings (from the configured defaults) and its owner.
    pub async fn create_tenant(
        &self,
        name: &TenantName,
        owner: NewUser,
        defaults: &SecurityConfig,
        now: DateTime<Utc>,
    ) -> Result<(tenant::Model, user::Model), CoreError> {
        if self.find_tenant(name).await?.is_some() {
            return Err(CoreError::Conflict(format!("tenant {name}")));
        }
        if self.find_user(&owner.username).await?.is_some() {
            return Err(CoreError::Conflict(format!("username {}", owner.username)));
        }

        let txn = self.connection().begin().await?;
        let tenant = tenant::ActiveModel {
            name: Set(name.as_str().to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        default_settings(TenantId(tenant.id), defaults, now)
            .insert(&txn)
            .await?;
        let owner = owner
            .into_active_model(TenantId(tenant.id), Role::Owner, now)
            .insert(&txn)
            .await?;
        txn.commit().await?;
        Ok((tenant, owner))
    }

    pub async fn find_tenant(&self, name: &TenantName) -> Result<Option<tenant::Model>, CoreError> {
        Ok(tenant::Entity::find()
            .filter(tenant::Column::Name.eq(name.as_str()))
            .one(self.connection())
            .await?)
    }

    pub async fn tenant_by_id(&self, id: TenantId) -> Result<tenant::Model, CoreError> {
        tenant::Entity::find_by_id(id.0)
            .one(self.connection())
            .await?
            .ok_or(CoreError::NotFound("tenant"))
    }

    pub async fn tenants(&self) -> Result<Vec<tenant::Model>, CoreError> {
        Ok(tenant::Entity::find()
            .order_by_asc(tenant::Column::Name)
            .all(self.connection())
            .await?)
    }

    pub async fn tenant_settings(&self, id: TenantId) -> Result<tenant_settings::Model, CoreError> {
        tenant_settings::Entity::find_by_id(id.0)
            .one(self.connection())
            .await?
            .ok_or(CoreError::NotFound("tenant settings"))
    }

    /// Switches Enforced MFA. Sessions already signed in are not ended; their next login is
    /// gated. The caller audits the change.
    pub async fn set_enforce_mfa(
        &self,
        id: TenantId,
        enforce: bool,
        now: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let mut settings: tenant_settings::ActiveModel = self.tenant_settings(id).await?.into();
        settings.enforce_mfa = Set(enforce);
        settings.updated_at = Set(now);
        settings.update(self.connection()).await?;
        Ok(())
    }
}

fn default_settings(
    tenant_id: TenantId,
    defaults: &SecurityConfig,
    now: DateTime<Utc>,
) -> tenant_settings::ActiveModel {
    tenant_settings::ActiveModel {
        tenant_id: Set(tenant_id.0),
        enforce_mfa: Set(false),
        password_min_length: Set(i32::try_from(defaults.password_min_length).unwrap_or(i32::MAX)),
        lockout_max_failures: Set(i32::try_from(defaults.lockout_max_failures).unwrap_or(i32::MAX)),
        lockout_window_secs: Set(defaults.lockout_window_secs),
        lockout_duration_secs: Set(defaults.lockout_duration_secs),
        allow_totp: Set(true),
        allow_sms: Set(true),
        ftp_enabled_by_default: Set(false),
        updated_at: Set(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Username;

    fn new_user(name: &str, role: Role) -> NewUser {
        NewUser {
            username: Username::parse(name).unwrap(),
            email: None,
            role,
            manage_users: false,
            password_hash: "not-a-real-hash".to_owned(),
        }
    }

    #[tokio::test]
    async fn a_tenant_is_created_with_its_owner_and_default_settings() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
        let name = TenantName::parse("acme").unwrap();

        let (tenant, owner) = store
            .create_tenant(
                &name,
                new_user("alice", Role::Owner),
                &SecurityConfig::default(),
                Utc::now(),
            )
            .await
            .unwrap();

        assert_eq!(owner.role(), Role::Owner);
        assert!(owner.manage_users, "the owner always manages users");
        assert_eq!(owner.root_folder, "", "the owner sees the whole tenant");
        let settings = store.tenant_settings(TenantId(tenant.id)).await.unwrap();
        assert!(!settings.enforce_mfa);
        assert_eq!(settings.lockout_max_failures, 5);
    }

    #[tokio::test]
    async fn usernames_are_unique_across_tenants_and_a_failed_create_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
        let defaults = SecurityConfig::default();
        let acme = TenantName::parse("acme").unwrap();
        let (tenant, _) = store
            .create_tenant(&acme, new_user("alice", Role::Owner), &defaults, Utc::now())
            .await
            .unwrap();
        store
            .create_user(
                TenantId(tenant.id),
                new_user("bob", Role::Member),
                Utc::now(),
            )
            .await
            .unwrap();

        let other = TenantName::parse("other").unwrap();
        let clash = store
            .create_tenant(&other, new_user("bob", Role::Owner), &defaults, Utc::now())
            .await;
        let second_owner = store
            .create_user(
                TenantId(tenant.id),
                new_user("eve", Role::Owner),
                Utc::now(),
            )
            .await;

        assert!(matches!(clash, Err(CoreError::Conflict(_))), "{clash:?}");
        assert!(
            store.find_tenant(&other).await.unwrap().is_none(),
            "no half-made tenant"
        );
        assert!(second_owner.is_err(), "a tenant has exactly one owner");
        let bob = store
            .find_user(&Username::parse("bob").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bob.root_folder, "home/bob");
    }
}
