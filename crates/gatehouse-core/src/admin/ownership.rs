//! Handing a tenant to another user from the web: the owner's role table check lives in
//! [`Actor::transfer_ownership`]; this adds the proof that the person at the keyboard is the
//! owner right now, a second factor passed moments ago. It does not decide how a session
//! earns that proof; the web door records when a session last passed a code.

use chrono::{DateTime, Duration, Utc};

use super::policy::{Action, Actor, AdminError};
use super::users::Context;
use crate::audit::AuditKind;
use crate::store::Store;

/// How recently the owner's session must have passed a second factor to transfer ownership.
pub const FRESH_FACTOR_SECS: i64 = 10 * 60;

/// Shown to an owner whose session has no recent second factor.
const NOT_FRESH: &str = "Handing over the tenant needs a fresh second factor: log out, log in \
                         again with a code, and transfer ownership within ten minutes.";

impl Actor {
    /// Transfers ownership when `second_factor_at` (when this session last passed a second
    /// factor) is within [`FRESH_FACTOR_SECS`] of `ctx.now`. An owner without a factor never
    /// qualifies: a password alone does not hand over a tenant. Refusals are audited.
    pub async fn transfer_ownership_with_factor(
        &self,
        store: &Store,
        username: &str,
        second_factor_at: Option<DateTime<Utc>>,
        ctx: Context,
    ) -> Result<(), AdminError> {
        let fresh_since = ctx.now - Duration::seconds(FRESH_FACTOR_SECS);
        let fresh = second_factor_at.is_some_and(|at| at >= fresh_since && at <= ctx.now);
        if !fresh && self.may(Action::TransferOwnership, None).is_ok() {
            let target = self.find_target(store, username).await?;
            let event = self
                .event(AuditKind::AdminRefused, Some(&target), ctx)
                .failed()
                .detail("tried to transfer ownership: no second factor in the last ten minutes");
            store.record(event, ctx.now).await?;
            return Err(AdminError::Forbidden(NOT_FRESH));
        }
        self.transfer_ownership(store, username, ctx).await
    }
}
