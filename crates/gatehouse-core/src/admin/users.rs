//! What admins do to users: each operation checks [`Actor::may`] first, audits a refusal
//! with what was attempted, and audits what it changed.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};

use super::policy::{Action, Actor, AdminError};
use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::entity::user;
use crate::ids::Role;
use crate::jail::VirtualPath;
use crate::password::{Password, PasswordHasher, PasswordPolicy};
use crate::store::Store;

/// Where an admin acts from, for the audit trail.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub peer: Option<IpAddr>,
    pub now: DateTime<Utc>,
}

/// Changes an admin may make to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserChanges {
    pub role: Option<Role>,
    pub manage_users: Option<bool>,
    pub root_folder: Option<String>,
    pub email: Option<Option<String>>,
    pub sftp_enabled: Option<bool>,
    pub web_enabled: Option<bool>,
    pub ftp_enabled: Option<bool>,
}

impl Actor {
    /// Checks the action and, when refused, writes the refusal to the audit log.
    pub(super) async fn authorize(
        &self,
        store: &Store,
        action: Action,
        target: Option<&user::Model>,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let Err(err) = self.may(action, target) else {
            return Ok(());
        };
        let mut event = self
            .event(AuditKind::AdminRefused, target, ctx)
            .failed()
            .detail(format!("tried to {}: {err}", action.as_str()));
        if target.is_none() {
            event.subject = None;
        }
        store.record(event, ctx.now).await?;
        Err(err)
    }

    /// The user of the actor's tenant named `username`, once `action` on them is allowed.
    async fn target_for(
        &self,
        store: &Store,
        username: &str,
        action: Action,
        ctx: Context,
    ) -> Result<user::Model, AdminError> {
        let target = self.find_target(store, username).await?;
        self.authorize(store, action, Some(&target), ctx).await?;
        Ok(target)
    }

    pub(super) fn event(
        &self,
        kind: AuditKind,
        target: Option<&user::Model>,
        ctx: Context,
    ) -> AuditEvent {
        let mut event =
            AuditEvent::new(kind, Protocol::Web, self.user.username.clone()).tenant(self.tenant());
        if let Some(target) = target {
            event = event.subject(target.username.clone());
        }
        if let Some(peer) = ctx.peer {
            event = event.peer(peer);
        }
        event
    }

    /// Users of the actor's tenant.
    pub async fn list_users(
        &self,
        store: &Store,
        ctx: Context,
    ) -> Result<Vec<user::Model>, AdminError> {
        self.authorize(store, Action::ListUsers, None, ctx).await?;
        Ok(store.users(Some(self.tenant())).await?)
    }

    /// Creates an admin or member; the password must meet the tenant's policy.
    pub async fn create_user(
        &self,
        store: &Store,
        hasher: &PasswordHasher,
        mut new: crate::store::users::NewUser,
        password: &Password,
        ctx: Context,
    ) -> Result<user::Model, AdminError> {
        self.authorize(store, Action::CreateUser, None, ctx).await?;
        if new.role == Role::Owner {
            return Err(AdminError::Invalid("a tenant has exactly one owner".into()));
        }
        let settings = store.tenant_settings(self.tenant()).await?;
        let min_length = usize::try_from(settings.password_min_length).unwrap_or(12);
        PasswordPolicy { min_length }.check(password, new.username.as_str())?;
        new.password_hash = hasher.hash(password).await?;
        let created = store.create_user(self.tenant(), new, ctx.now).await?;
        let detail = format!("{} created", created.role);
        store
            .record(
                self.event(AuditKind::UserCreated, Some(&created), ctx)
                    .detail(detail),
                ctx.now,
            )
            .await?;
        Ok(created)
    }

    /// Removes every second factor and recovery code of the user and ends their sessions;
    /// they log in with the password alone next time, or enrol again under Enforced MFA.
    pub async fn disable_second_factor(
        &self,
        store: &Store,
        username: &str,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let target = self
            .target_for(store, username, Action::DisableSecondFactor, ctx)
            .await?;
        let removed = store.remove_second_factors(target.user_id()).await?;
        store.delete_sessions_of(target.user_id()).await?;
        let event = self
            .event(AuditKind::SecondFactorDisabled, Some(&target), ctx)
            .detail(format!(
                "{removed} factor(s) and all recovery codes removed by an admin"
            ));
        store.record(event, ctx.now).await?;
        Ok(())
    }

    pub async fn reset_password(
        &self,
        store: &Store,
        hasher: &PasswordHasher,
        username: &str,
        password: &Password,
        must_change: bool,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let target = self
            .target_for(store, username, Action::ResetPassword, ctx)
            .await?;
        let settings = store.tenant_settings(self.tenant()).await?;
        let policy = PasswordPolicy {
            min_length: usize::try_from(settings.password_min_length).unwrap_or(12),
        };
        policy.check(password, &target.username)?;
        let hash = hasher.hash(password).await?;

        let mut row: user::ActiveModel = target.clone().into();
        row.password_hash = Set(hash);
        row.password_changed_at = Set(ctx.now);
        row.must_change_password = Set(must_change);
        row.update(store.connection())
            .await
            .map_err(crate::error::CoreError::from)?;
        store.delete_sessions_of(target.user_id()).await?;
        let event = self
            .event(AuditKind::PasswordChanged, Some(&target), ctx)
            .detail("reset by an admin");
        store.record(event, ctx.now).await?;
        Ok(())
    }

    pub async fn set_disabled(
        &self,
        store: &Store,
        username: &str,
        disabled: bool,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let target = self
            .target_for(store, username, Action::DisableUser, ctx)
            .await?;
        let mut row: user::ActiveModel = target.clone().into();
        row.disabled = Set(disabled);
        row.update(store.connection())
            .await
            .map_err(crate::error::CoreError::from)?;
        if disabled {
            store.delete_sessions_of(target.user_id()).await?;
        }
        let detail = if disabled {
            "account disabled"
        } else {
            "account enabled"
        };
        store
            .record(
                self.event(AuditKind::UserChanged, Some(&target), ctx)
                    .detail(detail),
                ctx.now,
            )
            .await?;
        Ok(())
    }

    /// Deletes the user and, by cascade, their keys, factors and sessions. Their files stay.
    pub async fn delete_user(
        &self,
        store: &Store,
        username: &str,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let target = self
            .target_for(store, username, Action::DeleteUser, ctx)
            .await?;
        user::Entity::delete_by_id(target.id)
            .exec(store.connection())
            .await
            .map_err(crate::error::CoreError::from)?;
        store
            .record(
                self.event(AuditKind::UserDeleted, Some(&target), ctx),
                ctx.now,
            )
            .await?;
        Ok(())
    }

    /// Applies `changes`. Making someone owner goes through [`Actor::transfer_ownership`].
    pub async fn edit_user(
        &self,
        store: &Store,
        username: &str,
        changes: UserChanges,
        ctx: Context,
    ) -> Result<user::Model, AdminError> {
        let target = self
            .target_for(store, username, Action::EditUser, ctx)
            .await?;
        if target.role() == Role::Owner && changes.role.is_some_and(|role| role != Role::Owner) {
            return Err(AdminError::Forbidden(
                "hand ownership to someone else first",
            ));
        }
        if changes.role == Some(Role::Owner) && target.role() != Role::Owner {
            return Err(AdminError::Invalid(
                "use ownership transfer to make an owner".into(),
            ));
        }

        let mut row: user::ActiveModel = target.clone().into();
        let mut what = Vec::new();
        if let Some(role) = changes.role {
            row.role = Set(role.as_str().to_owned());
            what.push(format!("role={role}"));
        }
        if let Some(manage) = changes.manage_users {
            row.manage_users = Set(manage || target.role() == Role::Owner);
            what.push(format!("manage_users={manage}"));
        }
        if let Some(folder) = changes.root_folder {
            let folder = root_folder(&folder)?;
            what.push(format!("root_folder=/{folder}"));
            row.root_folder = Set(folder);
        }
        if let Some(email) = changes.email {
            let email = email
                .as_deref()
                .map(crate::store::users::parse_email)
                .transpose()?;
            row.email = Set(email);
            what.push("email".to_owned());
        }
        for (name, value, column) in [
            ("sftp", changes.sftp_enabled, &mut row.sftp_enabled),
            ("web", changes.web_enabled, &mut row.web_enabled),
            ("ftp", changes.ftp_enabled, &mut row.ftp_enabled),
        ] {
            if let Some(on) = value {
                *column = Set(on);
                what.push(format!("{name}={on}"));
            }
        }
        let updated = row
            .update(store.connection())
            .await
            .map_err(crate::error::CoreError::from)?;
        let event = self
            .event(AuditKind::UserChanged, Some(&target), ctx)
            .detail(what.join(", "));
        store.record(event, ctx.now).await?;
        Ok(updated)
    }

    /// Hands the tenant to another user of it: they become the owner (seeing the tenant
    /// root), the actor becomes an admin who manages users. The caller asks for a fresh
    /// second factor first.
    pub async fn transfer_ownership(
        &self,
        store: &Store,
        username: &str,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let target = self
            .target_for(store, username, Action::TransferOwnership, ctx)
            .await?;
        if target.id == self.user.id {
            return Err(AdminError::Invalid("you already own this tenant".into()));
        }
        let txn = store
            .connection()
            .begin()
            .await
            .map_err(crate::error::CoreError::from)?;
        let mut old: user::ActiveModel = self.user.clone().into();
        old.role = Set(Role::Admin.as_str().to_owned());
        old.manage_users = Set(true);
        old.update(&txn)
            .await
            .map_err(crate::error::CoreError::from)?;
        let mut new: user::ActiveModel = target.clone().into();
        new.role = Set(Role::Owner.as_str().to_owned());
        new.manage_users = Set(true);
        new.root_folder = Set(String::new());
        new.update(&txn)
            .await
            .map_err(crate::error::CoreError::from)?;
        txn.commit().await.map_err(crate::error::CoreError::from)?;
        store
            .record(
                self.event(AuditKind::OwnershipTransferred, Some(&target), ctx),
                ctx.now,
            )
            .await?;
        Ok(())
    }
}

/// A root folder inside the tenant, stored relative (`home/bob`); `..` and absolute forms
/// are normalized the way the jail does, so the result can never leave the tenant.
fn root_folder(raw: &str) -> Result<String, AdminError> {
    let path = VirtualPath::resolve(&VirtualPath::root(), raw)
        .map_err(|err| AdminError::Invalid(err.to_string()))?;
    Ok(path.as_str().trim_start_matches('/').to_owned())
}

#[cfg(test)]
mod tests;
