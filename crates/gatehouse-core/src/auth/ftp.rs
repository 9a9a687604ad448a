//! The FTP door: a password, nothing else.
//!
//! Like [`super::sftp`], this module never reads second-factor state: 2FA applies to the web
//! app only, so a user who enrols a factor (or is made to, by Enforced MFA) keeps moving files
//! by FTP with the same password. It adds one rule of its own: the user's FTP switch, which is
//! off unless the tenant default or the operator turned it on. The only way through this door
//! is [`FtpPrincipal`], which this module alone constructs.

use std::net::IpAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::login::{Authenticator, Refusal};
use crate::audit::Protocol;
use crate::entity::user;
use crate::error::CoreError;
use crate::ids::{Role, TenantId, TenantName, UserId, Username};
use crate::password::Password;

/// A user who passed the FTP door: who they are and where their files are. Non-exhaustive,
/// so no other crate can make one without passing the door.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FtpPrincipal {
    pub tenant_id: TenantId,
    pub tenant: TenantName,
    pub user_id: UserId,
    pub username: Username,
    pub role: Role,
    /// The user's root folder on the host; every path resolves inside it.
    pub root: PathBuf,
}

impl Authenticator {
    /// Password login for FTP. `Ok(None)` is a refusal, already audited and counted; the
    /// account's own state is checked after the password, so a wrong password on a disabled
    /// account looks the same as on any other.
    pub async fn ftp_password(
        &self,
        typed_name: &str,
        password: &Password,
        peer: IpAddr,
        now: DateTime<Utc>,
    ) -> Result<Option<FtpPrincipal>, CoreError> {
        let user = match self.check_password(typed_name, password, peer, now).await? {
            Ok(user) => user,
            Err((refusal, user)) => {
                self.refuse(Protocol::Ftp, typed_name, user.as_ref(), refusal, peer, now)
                    .await?;
                return Ok(None);
            }
        };
        if let Some(refusal) = ftp_refusal(&user) {
            self.refuse(Protocol::Ftp, typed_name, Some(&user), refusal, peer, now)
                .await?;
            return Ok(None);
        }

        let tenant = self.store.tenant_by_id(user.tenant()).await?;
        let tenant_name = TenantName::parse(&tenant.name)?;
        self.accept(Protocol::Ftp, &user, peer, "password", now)
            .await?;
        Ok(Some(FtpPrincipal {
            tenant_id: user.tenant(),
            root: self.user_root(&tenant_name, &user),
            tenant: tenant_name,
            user_id: user.user_id(),
            username: Username::parse(&user.username)?,
            role: user.role(),
        }))
    }
}

fn ftp_refusal(user: &user::Model) -> Option<Refusal> {
    if user.disabled {
        Some(Refusal::Disabled)
    } else if !user.ftp_enabled {
        Some(Refusal::DoorClosed)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SecurityConfig};
    use crate::entity::audit_event;
    use crate::password::PasswordHasher;
    use crate::store::Store;
    use crate::store::users::NewUser;
    use sea_orm::EntityTrait;

    const PASSWORD: &str = "correct horse battery";

    async fn door_with_owner(dir: &std::path::Path) -> (Authenticator, user::Model) {
        let (store, _) = Store::fresh_for_tests(dir).await.unwrap();
        let owner = NewUser {
            username: Username::parse("alice").unwrap(),
            email: None,
            role: Role::Owner,
            manage_users: false,
            password_hash: PasswordHasher::new(1)
                .unwrap()
                .hash(&Password::new(PASSWORD))
                .await
                .unwrap(),
        };
        let name = TenantName::parse("acme").unwrap();
        let defaults = SecurityConfig::default();
        let (_, owner) = store
            .create_tenant(&name, owner, &defaults, Utc::now())
            .await
            .unwrap();
        let config = Config {
            data_dir: dir.to_owned(),
            ..Config::default()
        };
        (Authenticator::new(store, &config).unwrap(), owner)
    }

    async fn login(door: &Authenticator, password: &str) -> Option<FtpPrincipal> {
        let peer = IpAddr::from([127, 0, 0, 1]);
        door.ftp_password("alice", &Password::new(password), peer, Utc::now())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_right_password_is_refused_while_the_ftp_switch_is_off() {
        let dir = tempfile::tempdir().unwrap();
        let (door, _) = door_with_owner(dir.path()).await;

        let principal = login(&door, PASSWORD).await;

        assert!(principal.is_none(), "FTP is off for a new owner");
        let events = audit_event::Entity::find()
            .all(door.store.connection())
            .await
            .unwrap();
        assert!(
            events.iter().any(|e| e.protocol == "ftp"
                && e.detail == "access through this protocol is switched off"),
            "the refusal should be audited with its reason: {events:?}"
        );
    }

    #[tokio::test]
    async fn with_the_switch_on_the_password_alone_opens_the_users_root() {
        let dir = tempfile::tempdir().unwrap();
        let (door, owner) = door_with_owner(dir.path()).await;
        door.store
            .set_ftp_enabled(owner.user_id(), true)
            .await
            .unwrap();

        let wrong = login(&door, "not the password").await;
        let right = login(&door, PASSWORD).await;

        assert!(wrong.is_none(), "a wrong password must be refused");
        let principal = right.expect("the right password should open the FTP door");
        assert_eq!(principal.username.as_str(), "alice");
        assert_eq!(
            principal.root,
            dir.path().join("files").join("acme").join("")
        );
    }
}
