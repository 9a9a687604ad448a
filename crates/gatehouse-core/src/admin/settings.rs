//! Administration > Security: the tenant's Password Policies (Enforced MFA, password length),
//! the account lockout policy and the allowed second-factor methods. The owner's alone.

use sea_orm::{ActiveModelTrait, Set};

use super::policy::{Action, Actor, AdminError};
use super::users::Context;
use crate::audit::AuditKind;
use crate::entity::tenant_settings;
use crate::store::Store;

/// The settings as the form sends them, validated by [`SecuritySettings::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecuritySettings {
    pub enforce_mfa: bool,
    pub password_min_length: i32,
    pub lockout_max_failures: i32,
    pub lockout_window_secs: i64,
    pub lockout_duration_secs: i64,
    pub allow_totp: bool,
    pub allow_sms: bool,
}

impl From<&tenant_settings::Model> for SecuritySettings {
    fn from(model: &tenant_settings::Model) -> Self {
        Self {
            enforce_mfa: model.enforce_mfa,
            password_min_length: model.password_min_length,
            lockout_max_failures: model.lockout_max_failures,
            lockout_window_secs: model.lockout_window_secs,
            lockout_duration_secs: model.lockout_duration_secs,
            allow_totp: model.allow_totp,
            allow_sms: model.allow_sms,
        }
    }
}

impl SecuritySettings {
    /// NIST SP 800-63B: at least 8 characters; we allow 8 to 64 as the minimum. Lockout
    /// needs at least 3 failures so a typo or two never locks anyone out.
    pub fn check(&self) -> Result<(), AdminError> {
        let invalid = |why: &str| Err(AdminError::Invalid(why.to_owned()));
        if !(8..=64).contains(&self.password_min_length) {
            return invalid("the minimum password length must be between 8 and 64");
        }
        if !(3..=100).contains(&self.lockout_max_failures) {
            return invalid("lockout needs between 3 and 100 failures");
        }
        if !(60..=86_400).contains(&self.lockout_window_secs) {
            return invalid("the failure window must be between 1 minute and 1 day");
        }
        if !(60..=86_400).contains(&self.lockout_duration_secs) {
            return invalid("the lockout must last between 1 minute and 1 day");
        }
        if !self.allow_totp && !self.allow_sms {
            return invalid("allow at least one second-factor method");
        }
        Ok(())
    }
}

impl Actor {
    /// The settings, for the owner's form. Only the owner sees them; anyone else opening the
    /// page is refused and the attempt is audited, like a forged POST.
    pub async fn security_settings(
        &self,
        store: &Store,
        ctx: Context,
    ) -> Result<SecuritySettings, AdminError> {
        self.authorize(store, Action::ChangeSecuritySettings, None, ctx)
            .await?;
        Ok(SecuritySettings::from(
            &store.tenant_settings(self.tenant()).await?,
        ))
    }

    /// Saves new settings. Turning Enforced MFA on does not end sessions already signed in;
    /// their next login is gated.
    pub async fn update_security_settings(
        &self,
        store: &Store,
        new: SecuritySettings,
        ctx: Context,
    ) -> Result<(), AdminError> {
        self.authorize(store, Action::ChangeSecuritySettings, None, ctx)
            .await?;
        new.check()?;
        let current = store.tenant_settings(self.tenant()).await?;
        let old = SecuritySettings::from(&current);
        let mut row: tenant_settings::ActiveModel = current.into();
        row.enforce_mfa = Set(new.enforce_mfa);
        row.password_min_length = Set(new.password_min_length);
        row.lockout_max_failures = Set(new.lockout_max_failures);
        row.lockout_window_secs = Set(new.lockout_window_secs);
        row.lockout_duration_secs = Set(new.lockout_duration_secs);
        row.allow_totp = Set(new.allow_totp);
        row.allow_sms = Set(new.allow_sms);
        row.updated_at = Set(ctx.now);
        row.update(store.connection())
            .await
            .map_err(crate::error::CoreError::from)?;
        let event = self
            .event(AuditKind::TenantSettingsChanged, None, ctx)
            .detail(format!("{old:?} -> {new:?}"));
        store.record(event, ctx.now).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SecuritySettings {
        SecuritySettings {
            enforce_mfa: true,
            password_min_length: 12,
            lockout_max_failures: 5,
            lockout_window_secs: 300,
            lockout_duration_secs: 900,
            allow_totp: true,
            allow_sms: false,
        }
    }

    #[test]
    fn sensible_settings_pass_and_out_of_range_ones_are_refused() {
        assert!(settings().check().is_ok());
        let bad = [
            SecuritySettings {
                password_min_length: 4,
                ..settings()
            },
            SecuritySettings {
                lockout_max_failures: 1,
                ..settings()
            },
            SecuritySettings {
                lockout_window_secs: 5,
                ..settings()
            },
            SecuritySettings {
                allow_totp: false,
                allow_sms: false,
                ..settings()
            },
        ];
        for settings in bad {
            assert!(settings.check().is_err(), "{settings:?} should be refused");
        }
    }
}
