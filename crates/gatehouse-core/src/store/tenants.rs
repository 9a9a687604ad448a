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
        updated_at: Set(now),
    }
}
