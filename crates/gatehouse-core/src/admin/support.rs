//! Operator recovery ("contact support"): run on the server with the `gatehouse` command, so
//! it reaches every user, the tenant owner included, and is audited as the operator.

use chrono::{DateTime, Utc};

use crate::audit::{AuditEvent, AuditKind};
use crate::entity::user;
use crate::error::CoreError;
use crate::ids::Username;
use crate::store::Store;

async fn find(store: &Store, username: &str) -> Result<user::Model, CoreError> {
    let name = Username::parse(username)?;
    store
        .find_user(&name)
        .await?
        .ok_or(CoreError::NotFound("user"))
}

/// Removes every second factor and recovery code of the user and ends their web sessions.
/// Returns how many factors were removed.
pub async fn reset_mfa(
    store: &Store,
    username: &str,
    now: DateTime<Utc>,
) -> Result<u64, CoreError> {
    let user = find(store, username).await?;
    let removed = store.remove_second_factors(user.user_id()).await?;
    store.delete_sessions_of(user.user_id()).await?;
    let event = AuditEvent::operator(AuditKind::SecondFactorDisabled)
        .tenant(user.tenant())
        .subject(user.username.as_str())
        .detail(format!(
            "operator reset: {removed} factor(s) and all recovery codes removed"
        ));
    store.record(event, now).await?;
    Ok(removed)
}

/// Lifts a lockout: forgets the user's failed logins from every address. Audited.
pub async fn unlock(store: &Store, username: &str, now: DateTime<Utc>) -> Result<u64, CoreError> {
    let user = find(store, username).await?;
    let cleared = store.clear_all_login_failures(&user.username).await?;
    let event = AuditEvent::operator(AuditKind::Unlocked)
        .tenant(user.tenant())
        .subject(user.username.as_str())
        .detail(format!(
            "operator unlock: failures from {cleared} address(es) forgotten"
        ));
    store.record(event, now).await?;
    Ok(cleared)
}

/// Stores a new password hash (already checked against the policy by the caller) and ends
/// the user's web sessions.
pub async fn reset_password(
    store: &Store,
    username: &str,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), CoreError> {
    let user = find(store, username).await?;
    store.set_password_hash(user.user_id(), hash, now).await?;
    store.delete_sessions_of(user.user_id()).await?;
    let event = AuditEvent::operator(AuditKind::PasswordChanged)
        .tenant(user.tenant())
        .subject(user.username.as_str())
        .detail("operator reset");
    store.record(event, now).await
}
