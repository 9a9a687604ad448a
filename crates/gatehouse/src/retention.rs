//! Audit retention: deletes audit events older than `security.audit_retention_days`, once at
//! start and then once a day, logging how many went. It runs beside the front ends and stops
//! with them; a failed purge is logged and retried the next day, never fatal to serving.

use std::time::Duration;

use chrono::Utc;
use gatehouse_core::Store;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Purges now, then every day, forever. `days` must be above zero (0 means keep forever,
/// and the caller does not start this task).
pub async fn run(store: Store, days: u32) -> std::io::Result<()> {
    let mut daily = tokio::time::interval(DAY);
    daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        daily.tick().await;
        match store.purge_audit(i64::from(days), Utc::now()).await {
            Ok(purged) => tracing::info!(purged, keep_days = days, "audit events purged"),
            Err(err) => tracing::error!(error = %err, "audit purge failed; retrying tomorrow"),
        }
    }
}
