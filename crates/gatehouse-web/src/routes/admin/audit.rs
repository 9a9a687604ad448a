//! `/admin/audit`: the tenant's audit log for the owner and admins, with filters and a CSV
//! export (`?format=csv`).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use gatehouse_core::admin::Action;
use gatehouse_core::store::audit::{AuditFilter, to_csv};
use serde::{Deserialize, Serialize};

use super::actor;
use crate::AppState;
use crate::error::WebError;
use crate::gate::SignedIn;

/// Most rows one page or export shows; narrow the filters for older events.
const LIMIT: u64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(show))
}

#[derive(Default, Deserialize, Serialize)]
struct AuditQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    kind: String,
    /// `YYYY-MM-DD`, from the start of that day (UTC).
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, up to the end of that day (UTC).
    #[serde(default)]
    to: String,
    #[serde(default)]
    format: String,
}

#[derive(Serialize)]
struct EventRow {
    at: String,
    kind: String,
    outcome: String,
    protocol: String,
    actor: String,
    subject: String,
    peer: String,
    detail: String,
}

#[derive(Serialize)]
struct AuditPage<'a> {
    csrf_token: &'a str,
    signed_in: bool,
    is_admin: bool,
    query: &'a AuditQuery,
    events: Vec<EventRow>,
    message: Option<&'a str>,
}

fn day(raw: &str, days_after: i64) -> Result<Option<DateTime<Utc>>, WebError> {
    if raw.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("dates are YYYY-MM-DD"))?;
    let start = date
        .and_hms_opt(0, 0, 0)
        .ok_or(WebError::BadRequest("bad date"))?
        .and_utc();
    Ok(Some(start + chrono::Duration::days(days_after)))
}

async fn show(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Query(query): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    actor.may(Action::ReadAudit, None)?;
    let filter = AuditFilter {
        user: Some(query.user.trim().to_owned()),
        kind: Some(query.kind.trim().to_owned()),
        from: day(&query.from, 0)?,
        to: day(&query.to, 1)?,
    };
    let events = state
        .door
        .authenticator()
        .store()
        .search_audit(actor.tenant(), &filter, LIMIT)
        .await?;

    if query.format == "csv" {
        let headers = [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ];
        return Ok((headers, to_csv(&events)).into_response());
    }
    let events = events
        .into_iter()
        .map(|e| EventRow {
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            kind: e.kind,
            outcome: e.outcome,
            protocol: e.protocol,
            actor: e.actor,
            subject: e.subject.unwrap_or_default(),
            peer: e.peer.unwrap_or_default(),
            detail: e.detail,
        })
        .collect();
    let page = AuditPage {
        csrf_token: &principal.who.csrf_token,
        signed_in: true,
        is_admin: true,
        query: &query,
        events,
        message: None,
    };
    Ok(state
        .templates
        .page("pages/admin_audit.html", page)?
        .into_response())
}
