//! `gatehouse tenant ...`

use anyhow::Context;
use chrono::Utc;
use gatehouse_core::Config;
use gatehouse_core::audit::{AuditEvent, AuditKind};
use gatehouse_core::ids::{Role, TenantName, Username};
use gatehouse_core::password::{PasswordHasher, PasswordPolicy};
use gatehouse_core::store::users::{NewUser, parse_email};

use super::{announce_generated, obtain_password, open_store};
use crate::cli::TenantCommand;

pub async fn run(config: &Config, command: TenantCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        TenantCommand::Create {
            tenant,
            owner,
            email,
            password,
        } => {
            let name = TenantName::parse(&tenant)?;
            let username = Username::parse(&owner)?;
            let email = email.as_deref().map(parse_email).transpose()?;
            let policy = PasswordPolicy {
                min_length: config.security.password_min_length as usize,
            };
            let (password, generated) = obtain_password(&password, policy, username.as_str())?;
            let hasher = PasswordHasher::new(1)?;
            let owner = NewUser {
                username: username.clone(),
                email,
                role: Role::Owner,
                manage_users: true,
                password_hash: hasher.hash(&password).await?,
            };

            let now = Utc::now();
            let (tenant, _) = store
                .create_tenant(&name, owner, &config.security, now)
                .await?;
            let event = AuditEvent::operator(AuditKind::TenantCreated)
                .tenant(gatehouse_core::ids::TenantId(tenant.id))
                .subject(username.as_str())
                .detail(format!("tenant {name} created with owner {username}"));
            store.record(event, now).await?;

            println!("created tenant {name} with owner {username}");
            if generated {
                announce_generated(username.as_str(), &password);
            }
            Ok(())
        }
        TenantCommand::List => {
            for tenant in store.tenants().await? {
                println!(
                    "{}\t{}",
                    tenant.name,
                    tenant.created_at.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
            Ok(())
        }
        TenantCommand::Set {
            tenant,
            enforce_mfa,
            ftp_default,
        } => {
            let name = TenantName::parse(&tenant)?;
            let tenant = store
                .find_tenant(&name)
                .await?
                .with_context(|| format!("unknown tenant {name}"))?;
            if enforce_mfa.is_none() && ftp_default.is_none() {
                anyhow::bail!("nothing to change: give --enforce-mfa or --ftp-default true|false");
            }
            let now = Utc::now();
            let id = gatehouse_core::ids::TenantId(tenant.id);
            if let Some(enabled) = ftp_default {
                store.set_ftp_enabled_by_default(id, enabled, now).await?;
                let event = AuditEvent::operator(AuditKind::TenantSettingsChanged)
                    .tenant(id)
                    .detail(format!("ftp_enabled_by_default set to {enabled}"));
                store.record(event, now).await?;
                println!("tenant {name}: ftp_default = {enabled}");
            }
            let Some(enforce) = enforce_mfa else {
                return Ok(());
            };
            store.set_enforce_mfa(id, enforce, now).await?;
            let event = AuditEvent::operator(AuditKind::TenantSettingsChanged)
                .tenant(id)
                .detail(format!("enforce_mfa set to {enforce}"));
            store.record(event, now).await?;
            println!("tenant {name}: enforce_mfa = {enforce}");
            Ok(())
        }
    }
}
