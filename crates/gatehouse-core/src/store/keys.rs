//! SSH public keys. Stored in OpenSSH one-line form with their SHA256 fingerprint, which is
//! what the SFTP door looks keys up by.

use ::ssh_key::{HashAlg, PublicKey};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Store;
use crate::entity::ssh_key;
use crate::error::CoreError;
use crate::ids::UserId;

/// A public key read from an `authorized_keys`-style line, checked and fingerprinted.
#[derive(Clone, Debug)]
pub struct ParsedKey {
    pub algorithm: String,
    pub openssh: String,
    pub fingerprint: String,
    pub comment: String,
}

/// Parses one key line (`ssh-ed25519 AAAA... comment`). Options before the key type, DSA
/// keys (retired by OpenSSH in 2015) and RSA keys under 2048 bits are refused.
pub fn parse_public_key(line: &str) -> Result<ParsedKey, CoreError> {
    let key = PublicKey::from_openssh(line.trim())
        .map_err(|err| CoreError::invalid(format!("malformed SSH public key: {err}")))?;
    let algorithm = key.algorithm().as_str().to_owned();
    if algorithm == "ssh-dss" {
        return Err(CoreError::invalid(
            "DSA keys are not accepted; use ed25519 or RSA",
        ));
    }
    if let Some(rsa) = key.key_data().rsa() {
        let bits = rsa.key_size();
        if bits < 2048 {
            return Err(CoreError::invalid(format!(
                "RSA key of {bits} bits; 2048 is the minimum"
            )));
        }
    }
    Ok(ParsedKey {
        fingerprint: fingerprint(&key),
        openssh: PublicKey::new(key.key_data().clone(), "")
            .to_openssh()
            .map_err(|err| CoreError::invalid(format!("malformed SSH public key: {err}")))?,
        comment: key.comment().to_string(),
        algorithm,
    })
}

/// `SHA256:<base64>`, the form `ssh-keygen -l` prints.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

impl Store {
    pub async fn add_key(
        &self,
        user: UserId,
        key: ParsedKey,
        now: DateTime<Utc>,
    ) -> Result<ssh_key::Model, CoreError> {
        if self.find_key(user, &key.fingerprint).await?.is_some() {
            return Err(CoreError::Conflict(format!("key {}", key.fingerprint)));
        }
        Ok(ssh_key::ActiveModel {
            user_id: Set(user.0),
            algorithm: Set(key.algorithm),
            public_key: Set(key.openssh),
            fingerprint: Set(key.fingerprint),
            comment: Set(key.comment),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(self.connection())
        .await?)
    }

    pub async fn find_key(
        &self,
        user: UserId,
        fingerprint: &str,
    ) -> Result<Option<ssh_key::Model>, CoreError> {
        Ok(ssh_key::Entity::find()
            .filter(ssh_key::Column::UserId.eq(user.0))
            .filter(ssh_key::Column::Fingerprint.eq(fingerprint))
            .one(self.connection())
            .await?)
    }

    pub async fn keys(&self, user: UserId) -> Result<Vec<ssh_key::Model>, CoreError> {
        Ok(ssh_key::Entity::find()
            .filter(ssh_key::Column::UserId.eq(user.0))
            .order_by_asc(ssh_key::Column::Id)
            .all(self.connection())
            .await?)
    }

    /// Removes a key by fingerprint; returns false when the user has no such key.
    pub async fn remove_key(&self, user: UserId, fingerprint: &str) -> Result<bool, CoreError> {
        let removed = ssh_key::Entity::delete_many()
            .filter(ssh_key::Column::UserId.eq(user.0))
            .filter(ssh_key::Column::Fingerprint.eq(fingerprint))
            .exec(self.connection())
            .await?;
        Ok(removed.rows_affected > 0)
    }

    pub async fn touch_key(&self, key_id: i64, now: DateTime<Utc>) -> Result<(), CoreError> {
        ssh_key::Entity::update_many()
            .col_expr(ssh_key::Column::LastUsedAt, Some(now).into())
            .filter(ssh_key::Column::Id.eq(key_id))
            .exec(self.connection())
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519: &str = "ssh-ed25519 \
        AAAAC3NzaC1lZDI1NTE5AAAAIKZAQFCayAL4peODIeEuaT8LTaf0NeW2kMlcuQmCREA3 alice@laptop";

    #[test]
    fn an_ed25519_line_parses_with_fingerprint_and_comment() {
        let key = parse_public_key(ED25519).expect("a valid ed25519 line");
        assert_eq!(key.algorithm, "ssh-ed25519");
        assert!(
            key.fingerprint.starts_with("SHA256:"),
            "{}",
            key.fingerprint
        );
        assert_eq!(key.comment, "alice@laptop");
        assert!(
            !key.openssh.contains("alice@laptop"),
            "the stored form drops the comment"
        );
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let err = parse_public_key("ssh-ed25519 not-base64!")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("malformed SSH public key"), "{err}");
    }
}
