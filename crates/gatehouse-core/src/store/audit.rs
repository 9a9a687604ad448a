//! Writing and reading the audit log.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::Store;
use crate::audit::{AuditEvent, Outcome};
use crate::entity::audit_event;
use crate::error::CoreError;
use crate::ids::TenantId;

impl Store {
    /// Stores the event and mirrors it to the log. A failure to store is returned: callers
    /// that must not proceed without a record (settings changes) stop there.
    pub async fn record(&self, event: AuditEvent, now: DateTime<Utc>) -> Result<(), CoreError> {
        log_event(&event);
        audit_event::ActiveModel {
            at: Set(now),
            tenant_id: Set(event.tenant_id.map(|id| id.0)),
            kind: Set(event.kind.as_str().to_owned()),
            outcome: Set(event.outcome.as_str().to_owned()),
            protocol: Set(event.protocol.as_str().to_owned()),
            actor: Set(event.actor),
            subject: Set(event.subject),
            peer: Set(event.peer.map(|ip| ip.to_string())),
            detail: Set(event.detail),
            ..Default::default()
        }
        .insert(self.connection())
        .await?;
        Ok(())
    }

    /// The most recent events first; `tenant` `None` means events tied to no tenant
    /// (logins for unknown usernames).
    pub async fn audit_events(
        &self,
        tenant: Option<TenantId>,
        limit: u64,
    ) -> Result<Vec<audit_event::Model>, CoreError> {
        use sea_orm::QuerySelect;
        let filter = match tenant {
            Some(id) => audit_event::Column::TenantId.eq(id.0),
            None => audit_event::Column::TenantId.is_null(),
        };
        Ok(audit_event::Entity::find()
            .filter(filter)
            .order_by_desc(audit_event::Column::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }
}

fn log_event(event: &AuditEvent) {
    let peer = event.peer.map(|ip| ip.to_string()).unwrap_or_default();
    let subject = event.subject.as_deref().unwrap_or("");
    let tenant = event.tenant_id.map(|id| id.0).unwrap_or_default();
    match event.outcome {
        Outcome::Success => tracing::info!(
            kind = %event.kind, protocol = event.protocol.as_str(), actor = %event.actor,
            subject, tenant, peer, detail = %event.detail, "audit"
        ),
        Outcome::Failure => tracing::warn!(
            kind = %event.kind, protocol = event.protocol.as_str(), actor = %event.actor,
            subject, tenant, peer, detail = %event.detail, "audit: refused"
        ),
    }
}
