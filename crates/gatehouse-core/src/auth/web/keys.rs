//! A signed-in user's own SSH keys. A key skips the second factor on SFTP, so adding one
//! needs a second factor passed in this session within the last ten minutes when the user
//! has one; otherwise a stolen web session could plant a key.

use chrono::{DateTime, Utc};

use super::{WebDoor, WebPrincipal};
use crate::audit::{AuditEvent, AuditKind, Protocol};
use crate::entity::ssh_key;
use crate::error::CoreError;
use crate::store::keys::parse_public_key;

/// Why a key was not added, in words for the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    NeedsRecentSecondFactor,
    Malformed,
    AlreadyAdded,
}

impl WebDoor {
    pub async fn ssh_keys(
        &self,
        principal: &WebPrincipal,
    ) -> Result<Vec<ssh_key::Model>, CoreError> {
        self.auth.store().keys(principal.who.user_id).await
    }

    pub async fn add_ssh_key(
        &self,
        principal: &WebPrincipal,
        line: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<String, KeyRefusal>, CoreError> {
        if !self.recent_second_factor(principal, now).await? {
            return Ok(Err(KeyRefusal::NeedsRecentSecondFactor));
        }
        let Ok(parsed) = parse_public_key(line) else {
            return Ok(Err(KeyRefusal::Malformed));
        };
        let fingerprint = parsed.fingerprint.clone();
        match self
            .auth
            .store()
            .add_key(principal.who.user_id, parsed, now)
            .await
        {
            Ok(_) => {}
            Err(CoreError::Conflict(_)) => return Ok(Err(KeyRefusal::AlreadyAdded)),
            Err(err) => return Err(err),
        }
        let event = AuditEvent::new(
            AuditKind::SshKeyAdded,
            Protocol::Web,
            principal.who.username.as_str(),
        )
        .tenant(principal.who.tenant_id)
        .detail(format!("key {fingerprint}"));
        self.auth.store().record(event, now).await?;
        Ok(Ok(fingerprint))
    }

    pub async fn remove_ssh_key(
        &self,
        principal: &WebPrincipal,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        if !self
            .auth
            .store()
            .remove_key(principal.who.user_id, fingerprint)
            .await?
        {
            return Ok(false);
        }
        let event = AuditEvent::new(
            AuditKind::SshKeyRemoved,
            Protocol::Web,
            principal.who.username.as_str(),
        )
        .tenant(principal.who.tenant_id)
        .detail(format!("key {fingerprint}"));
        self.auth.store().record(event, now).await?;
        Ok(true)
    }
}
