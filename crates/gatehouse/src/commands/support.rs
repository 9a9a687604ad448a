//! `gatehouse support ...`: operator recovery, audited as the operator.

use chrono::Utc;
use gatehouse_core::Config;
use gatehouse_core::admin::support;
use gatehouse_core::ids::Username;
use gatehouse_core::password::{PasswordHasher, PasswordPolicy};

use super::{announce_generated, obtain_password, open_store};
use crate::cli::SupportCommand;

pub async fn run(config: &Config, command: SupportCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        SupportCommand::ResetMfa { username } => {
            let removed = support::reset_mfa(&store, &username, Utc::now()).await?;
            println!(
                "removed {removed} second factor(s) and all recovery codes of {username}; \
                 their web sessions ended"
            );
            Ok(())
        }
        SupportCommand::Unlock { username } => {
            let cleared = support::unlock(&store, &username, Utc::now()).await?;
            println!(
                "{username}: failed logins from {cleared} address(es) forgotten; no lockout remains"
            );
            Ok(())
        }
        SupportCommand::ResetPassword { username, password } => {
            let name = Username::parse(&username)?;
            let Some(user) = store.find_user(&name).await? else {
                anyhow::bail!("unknown user {name}");
            };
            let settings = store.tenant_settings(user.tenant()).await?;
            let min_length = usize::try_from(settings.password_min_length).unwrap_or(12);
            let (password, generated) =
                obtain_password(&password, PasswordPolicy { min_length }, name.as_str())?;
            let hash = PasswordHasher::new(1)?.hash(&password).await?;
            support::reset_password(&store, name.as_str(), hash, Utc::now()).await?;
            println!("password reset for {name}; their web sessions ended");
            if generated {
                announce_generated(name.as_str(), &password);
            }
            Ok(())
        }
    }
}
