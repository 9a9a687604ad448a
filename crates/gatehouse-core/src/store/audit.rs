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

/// Which events to show: all of them within the tenant when every field is `None`.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Matches the actor or the subject.
    pub user: Option<String>,
    pub kind: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl Store {
    /// The tenant's events matching `filter`, newest first, at most `limit`.
    pub async fn search_audit(
        &self,
        tenant: TenantId,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<audit_event::Model>, CoreError> {
        use audit_event::Column as C;
        use sea_orm::{Condition, QuerySelect};
        let mut query = audit_event::Entity::find().filter(C::TenantId.eq(tenant.0));
        if let Some(user) = filter.user.as_deref().filter(|u| !u.is_empty()) {
            query = query.filter(
                Condition::any()
                    .add(C::Actor.eq(user))
                    .add(C::Subject.eq(user)),
            );
        }
        if let Some(kind) = filter.kind.as_deref().filter(|k| !k.is_empty()) {
            query = query.filter(C::Kind.eq(kind));
        }
        if let Some(from) = filter.from {
            query = query.filter(C::At.gte(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(C::At.lt(to));
        }
        Ok(query
            .order_by_desc(C::Id)
            .limit(limit)
            .all(self.connection())
            .await?)
    }

    /// Deletes events older than `keep_days` days; returns how many went.
    pub async fn purge_audit(&self, keep_days: i64, now: DateTime<Utc>) -> Result<u64, CoreError> {
        let cutoff = now - chrono::Duration::days(keep_days);
        let deleted = audit_event::Entity::delete_many()
            .filter(audit_event::Column::At.lt(cutoff))
            .exec(self.connection())
            .await?;
        Ok(deleted.rows_affected)
    }
}

/// Events as CSV (RFC 4180): a header line, then one line per event. Cells that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@`) get a leading apostrophe.
pub fn to_csv(events: &[audit_event::Model]) -> String {
    let mut out = String::from("at,kind,outcome,protocol,actor,subject,peer,detail\r\n");
    for event in events {
        let cells = [
            event.at.to_rfc3339(),
            event.kind.clone(),
            event.outcome.clone(),
            event.protocol.clone(),
            event.actor.clone(),
            event.subject.clone().unwrap_or_default(),
            event.peer.clone().unwrap_or_default(),
            event.detail.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(raw: &str) -> String {
    let guarded = if raw.starts_with(['=', '+', '-', '@']) {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditKind, Protocol};

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=cmd()"), "'=cmd()");
    }

    #[tokio::test]
    async fn purging_deletes_only_events_older_than_the_retention() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
        let now = Utc::now();
        for (actor, age_days) in [("ancient", 400), ("edge", 366), ("recent", 364)] {
            let event = AuditEvent::new(AuditKind::Login, Protocol::Web, actor);
            let at = now - chrono::Duration::days(age_days);
            store.record(event, at).await.unwrap();
        }

        let purged = store.purge_audit(365, now).await.unwrap();

        assert_eq!(purged, 2, "the two events past a year go");
        let left: Vec<String> = store
            .audit_events(None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.actor)
            .collect();
        assert_eq!(left, ["recent"], "the event within the year stays");
    }
}
