//! The role table as code: [`Actor::may`] answers whether an action on a target is allowed.

use thiserror::Error;

use crate::entity::user;
use crate::error::CoreError;
use crate::ids::{Role, TenantId, UserId};
use crate::store::Store;

/// The person acting, as the store knows them now.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: user::Model,
}

/// What an actor may try. Actions on another user name that user as the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ListUsers,
    CreateUser,
    /// Role, permissions, root folder, access switches, e-mail.
    EditUser,
    DisableUser,
    DeleteUser,
    ResetPassword,
    DisableSecondFactor,
    ManageKeys,
    ReadAudit,
    ChangeSecuritySettings,
    TransferOwnership,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ListUsers => "list users",
            Self::CreateUser => "create a user",
            Self::EditUser => "edit a user",
            Self::DisableUser => "disable a user",
            Self::DeleteUser => "delete a user",
            Self::ResetPassword => "reset a password",
            Self::DisableSecondFactor => "disable two-factor authentication",
            Self::ManageKeys => "manage SSH keys",
            Self::ReadAudit => "read the audit log",
            Self::ChangeSecuritySettings => "change security settings",
            Self::TransferOwnership => "transfer ownership",
        }
    }
}

#[derive(Debug, Error)]
pub enum AdminError {
    /// Allowed to see, not to do. The message is safe to show to the person refused.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),

    /// No such user in the actor's tenant (users of other tenants are reported this way).
    #[error("no such user")]
    NotFound,

    #[error("{0}")]
    Invalid(String),

    #[error(transparent)]
    Core(#[from] CoreError),
}

impl Actor {
    /// Loads the actor's current record; a deleted or disabled account acts for no one.
    pub async fn load(store: &Store, id: UserId) -> Result<Self, AdminError> {
        let user = store
            .user_by_id(id)
            .await
            .map_err(|_| AdminError::Forbidden("account gone"))?;
        if user.disabled {
            return Err(AdminError::Forbidden("account disabled"));
        }
        Ok(Self { user })
    }

    pub fn tenant(&self) -> TenantId {
        self.user.tenant()
    }

    pub fn role(&self) -> Role {
        self.user.role()
    }

    fn manages_users(&self) -> bool {
        match self.role() {
            Role::Owner => true,
            Role::Admin => self.user.manage_users,
            Role::Member => false,
        }
    }

    /// Whether the actor may take `action`, on `target` when it names a user. The target
    /// must already be known to be in the actor's tenant (see [`Actor::find_target`]).
    pub fn may(&self, action: Action, target: Option<&user::Model>) -> Result<(), AdminError> {
        let is_owner = self.role() == Role::Owner;
        let target_is_owner = target.is_some_and(|t| t.role() == Role::Owner);
        let target_is_self = target.is_some_and(|t| t.id == self.user.id);
        match action {
            Action::ReadAudit if self.role() != Role::Member => Ok(()),
            Action::ReadAudit => Err(AdminError::Forbidden("the audit log is for admins")),
            Action::ChangeSecuritySettings | Action::TransferOwnership if is_owner => Ok(()),
            Action::ChangeSecuritySettings | Action::TransferOwnership => {
                Err(AdminError::Forbidden("only the tenant owner can do this"))
            }
            _ if !self.manages_users() => Err(AdminError::Forbidden(
                "you do not have the manage-users permission",
            )),
            _ if target_is_owner && !is_owner => Err(AdminError::Forbidden(
                "the tenant owner can only be changed by the owner",
            )),
            Action::DisableUser | Action::DeleteUser if target_is_self => Err(
                AdminError::Forbidden("you cannot disable or delete your own account here"),
            ),
            _ => Ok(()),
        }
    }

    /// Finds a user of the actor's tenant by name; any other user is [`AdminError::NotFound`].
    pub async fn find_target(
        &self,
        store: &Store,
        username: &str,
    ) -> Result<user::Model, AdminError> {
        let name = crate::ids::Username::parse(username).map_err(|_| AdminError::NotFound)?;
        match store.find_user(&name).await? {
            Some(user) if user.tenant_id == self.user.tenant_id => Ok(user),
            _ => Err(AdminError::NotFound),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn user(id: i64, tenant: i64, role: Role, manage_users: bool) -> user::Model {
        let now = Utc::now();
        user::Model {
            id,
            tenant_id: tenant,
            username: format!("u{id}"),
            email: None,
            role: role.as_str().to_owned(),
            manage_users,
            root_folder: String::new(),
            sftp_enabled: true,
            web_enabled: true,
            ftp_enabled: false,
            disabled: false,
            password_hash: String::new(),
            must_change_password: false,
            password_changed_at: now,
            created_at: now,
            last_sftp_login_at: None,
            last_web_login_at: None,
        }
    }

    fn actor(role: Role, manage_users: bool) -> Actor {
        Actor {
            user: user(1, 1, role, manage_users),
        }
    }

    #[test]
    fn the_role_table_holds_for_every_actor_and_action() {
        let owner = user(10, 1, Role::Owner, true);
        let member = user(11, 1, Role::Member, false);
        let allowed =
            |a: &Actor, action, target: Option<&user::Model>| a.may(action, target).is_ok();
        let (o, am, a, m) = (
            actor(Role::Owner, true),
            actor(Role::Admin, true),
            actor(Role::Admin, false),
            actor(Role::Member, false),
        );

        assert!(allowed(&o, Action::DisableSecondFactor, Some(&member)));
        assert!(allowed(&am, Action::DisableSecondFactor, Some(&member)));
        assert!(!allowed(&a, Action::DisableSecondFactor, Some(&member)));
        assert!(!allowed(&m, Action::DisableSecondFactor, Some(&member)));
        for action in [
            Action::DisableSecondFactor,
            Action::ResetPassword,
            Action::EditUser,
            Action::DeleteUser,
        ] {
            assert!(
                !allowed(&am, action, Some(&owner)),
                "an admin must not {}",
                action.as_str()
            );
        }
        for actor in [&am, &a, &m] {
            assert!(!allowed(actor, Action::ChangeSecuritySettings, None));
        }
        assert!(allowed(&o, Action::ChangeSecuritySettings, None));
        assert!(allowed(&a, Action::ReadAudit, None) && !allowed(&m, Action::ReadAudit, None));
        assert!(
            !allowed(&o, Action::DeleteUser, Some(&o.user)),
            "not even the owner deletes itself"
        );
    }
}
