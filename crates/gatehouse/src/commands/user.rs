//! `gatehouse user ...`

use std::io::Read;

use anyhow::{Context, bail};
use chrono::Utc;
use gatehouse_core::audit::{AuditEvent, AuditKind};
use gatehouse_core::entity::user;
use gatehouse_core::ids::{Role, TenantName, Username};
use gatehouse_core::password::{PasswordHasher, PasswordPolicy};
use gatehouse_core::store::keys::parse_public_key;
use gatehouse_core::store::users::{NewUser, parse_email};
use gatehouse_core::{Config, Store};

use super::{announce_generated, obtain_password, open_store};
use crate::cli::{KeyCommand, UserCommand};

pub async fn run(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let store = open_store(config).await?;
    match command {
        UserCommand::Add {
            username,
            tenant,
            role,
            manage_users,
            email,
            password,
        } => {
            let name = TenantName::parse(&tenant)?;
            let tenant = store
                .find_tenant(&name)
                .await?
                .with_context(|| format!("unknown tenant {name}"))?;
            let tenant_id = gatehouse_core::ids::TenantId(tenant.id);
            let username = Username::parse(&username)?;
            let role = Role::parse(&role)?;
            if manage_users && role != Role::Admin {
                bail!("--manage-users applies to admins only; add --role admin");
            }
            let email = email.as_deref().map(parse_email).transpose()?;
            let policy = tenant_policy(&store, tenant_id).await?;
            let (password, generated) = obtain_password(&password, policy, username.as_str())?;
            let new = NewUser {
                username: username.clone(),
                email,
                role,
                manage_users,
                password_hash: PasswordHasher::new(1)?.hash(&password).await?,
            };

            let now = Utc::now();
            store.create_user(tenant_id, new, now).await?;
            let event = AuditEvent::operator(AuditKind::UserCreated)
                .tenant(tenant_id)
                .subject(username.as_str())
                .detail(format!("{role} created"));
            store.record(event, now).await?;

            println!("created {role} {username} in tenant {name}");
            if generated {
                announce_generated(username.as_str(), &password);
            }
            Ok(())
        }
        UserCommand::List { tenant } => {
            let tenant_id = match tenant {
                Some(raw) => {
                    let name = TenantName::parse(&raw)?;
                    let tenant = store
                        .find_tenant(&name)
                        .await?
                        .with_context(|| format!("unknown tenant {name}"))?;
                    Some(gatehouse_core::ids::TenantId(tenant.id))
                }
                None => None,
            };
            let tenants = store.tenants().await?;
            println!("USERNAME\tTENANT\tROLE\tSFTP\tWEB\tDISABLED");
            for user in store.users(tenant_id).await? {
                let tenant = tenants
                    .iter()
                    .find(|t| t.id == user.tenant_id)
                    .map_or("?", |t| t.name.as_str());
                println!(
                    "{}\t{tenant}\t{}\t{}\t{}\t{}",
                    user.username,
                    user.role,
                    on_off(user.sftp_enabled),
                    on_off(user.web_enabled),
                    user.disabled
                );
            }
            Ok(())
        }
        UserCommand::Passwd { username, password } => {
            let user = find(&store, &username).await?;
            let policy = tenant_policy(&store, user.tenant()).await?;
            let (password, generated) = obtain_password(&password, policy, &user.username)?;
            let hash = PasswordHasher::new(1)?.hash(&password).await?;

            let now = Utc::now();
            store.set_password_hash(user.user_id(), hash, now).await?;
            let event = AuditEvent::operator(AuditKind::PasswordChanged)
                .tenant(user.tenant())
                .subject(user.username.as_str())
                .detail("password set by the operator");
            store.record(event, now).await?;

            println!("password changed for {}", user.username);
            if generated {
                announce_generated(&user.username, &password);
            }
            Ok(())
        }
        UserCommand::Set { username, ftp } => {
            let user = find(&store, &username).await?;
            let Some(enabled) = ftp else {
                bail!("nothing to change: give --ftp true|false");
            };
            let now = Utc::now();
            store.set_ftp_enabled(user.user_id(), enabled).await?;
            let event = AuditEvent::operator(AuditKind::AccessChanged)
                .tenant(user.tenant())
                .subject(user.username.as_str())
                .detail(format!("ftp access set to {enabled}"));
            store.record(event, now).await?;
            println!("{}: ftp = {}", user.username, on_off(enabled));
            Ok(())
        }
        UserCommand::Key(command) => key(&store, command).await,
    }
}

async fn key(store: &Store, command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Add { username, file } => {
            let user = find(store, &username).await?;
            let text = if file == "-" {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("reading the key from stdin")?;
                text
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?
            };
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'));
            let Some(line) = line else {
                bail!("no public key found in {file}");
            };
            let parsed = parse_public_key(line)?;
            let fingerprint = parsed.fingerprint.clone();

            let now = Utc::now();
            store.add_key(user.user_id(), parsed, now).await?;
            let event = AuditEvent::operator(AuditKind::SshKeyAdded)
                .tenant(user.tenant())
                .subject(user.username.as_str())
                .detail(format!("key {fingerprint}"));
            store.record(event, now).await?;
            println!("added key {fingerprint} for {}", user.username);
            Ok(())
        }
        KeyCommand::List { username } => {
            let user = find(store, &username).await?;
            for key in store.keys(user.user_id()).await? {
                println!("{}\t{}\t{}", key.fingerprint, key.algorithm, key.comment);
            }
            Ok(())
        }
        KeyCommand::Remove {
            username,
            fingerprint,
        } => {
            let user = find(store, &username).await?;
            if !store.remove_key(user.user_id(), &fingerprint).await? {
                bail!("{} has no key {fingerprint}", user.username);
            }
            let now = Utc::now();
            let event = AuditEvent::operator(AuditKind::SshKeyRemoved)
                .tenant(user.tenant())
                .subject(user.username.as_str())
                .detail(format!("key {fingerprint}"));
            store.record(event, now).await?;
            println!("removed key {fingerprint} from {}", user.username);
            Ok(())
        }
    }
}

async fn find(store: &Store, username: &str) -> anyhow::Result<user::Model> {
    let name = Username::parse(username)?;
    store
        .find_user(&name)
        .await?
        .with_context(|| format!("unknown user {name}"))
}

async fn tenant_policy(
    store: &Store,
    tenant: gatehouse_core::ids::TenantId,
) -> anyhow::Result<PasswordPolicy> {
    let settings = store.tenant_settings(tenant).await?;
    Ok(PasswordPolicy {
        min_length: usize::try_from(settings.password_min_length).unwrap_or(12),
    })
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}
