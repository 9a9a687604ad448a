//! The authorization matrix on a real database: every actor by every admin action, asserting
//! the answer and what the store holds afterwards.

use chrono::Utc;

use super::*;
use crate::config::SecurityConfig;
use crate::ids::{TenantName, Username};
use crate::store::second_factors::Method;
use crate::store::users::NewUser;

struct Tenant {
    store: Store,
    _dir: tempfile::TempDir,
}

fn new_user(name: &str, role: Role, manage_users: bool) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: None,
        role,
        manage_users,
        password_hash: "unused".into(),
    }
}

/// acme: owner, boss (admin, manages users), aud (admin without), mem (member), victim
/// (member with a second factor); other: stranger (owner of another tenant).
async fn setup() -> Tenant {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::fresh_for_tests(dir.path()).await.unwrap();
    let defaults = SecurityConfig::default();
    let now = Utc::now();
    let acme = TenantName::parse("acme").unwrap();
    let (tenant, _) = store
        .create_tenant(&acme, new_user("owner", Role::Owner, true), &defaults, now)
        .await
        .unwrap();
    let id = crate::ids::TenantId(tenant.id);
    for (name, role, manage) in [
        ("boss", Role::Admin, true),
        ("aud", Role::Admin, false),
        ("mem", Role::Member, false),
        ("victim", Role::Member, false),
    ] {
        store
            .create_user(id, new_user(name, role, manage), now)
            .await
            .unwrap();
    }
    let other = TenantName::parse("other").unwrap();
    store
        .create_tenant(
            &other,
            new_user("stranger", Role::Owner, true),
            &defaults,
            now,
        )
        .await
        .unwrap();
    for name in ["victim", "owner"] {
        let user = find(&store, name).await;
        let factor = store
            .put_unconfirmed_factor(user.user_id(), Method::Totp, None, None, now)
            .await
            .unwrap();
        assert!(store.confirm_factor(factor.id, 1).await.unwrap());
    }
    Tenant { store, _dir: dir }
}

async fn find(store: &Store, name: &str) -> user::Model {
    store
        .find_user(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn actor(store: &Store, name: &str) -> Actor {
    Actor::load(store, find(store, name).await.user_id())
        .await
        .unwrap()
}

fn ctx() -> Context {
    Context {
        peer: None,
        now: Utc::now(),
    }
}

async fn factors(store: &Store, name: &str) -> usize {
    store
        .confirmed_factors(find(store, name).await.user_id())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn disabling_a_members_second_factor_follows_the_role_table() {
    for (name, allowed) in [
        ("owner", true),
        ("boss", true),
        ("aud", false),
        ("mem", false),
        ("stranger", false),
    ] {
        let t = setup().await;
        let actor = actor(&t.store, name).await;

        let result = actor.disable_second_factor(&t.store, "victim", ctx()).await;

        assert_eq!(result.is_ok(), allowed, "{name}: {result:?}");
        let left = factors(&t.store, "victim").await;
        assert_eq!(
            left,
            if allowed { 0 } else { 1 },
            "{name}: factors left on victim"
        );
        if name == "stranger" {
            assert!(
                matches!(result, Err(AdminError::NotFound)),
                "other tenants see no such user"
            );
        }
    }
}

#[tokio::test]
async fn no_admin_can_touch_the_owner_by_any_route() {
    let t = setup().await;
    let boss = actor(&t.store, "boss").await;
    let before = find(&t.store, "owner").await;
    let hasher = PasswordHasher::new(1).unwrap();
    let demote = UserChanges {
        role: Some(Role::Admin),
        ..UserChanges::default()
    };
    let email = UserChanges {
        email: Some(Some("evil@example.com".into())),
        ..UserChanges::default()
    };
    let folder = UserChanges {
        root_folder: Some("home/x".into()),
        ..UserChanges::default()
    };
    let password = Password::new("a-brand-new-password-1");

    let results = [
        boss.disable_second_factor(&t.store, "owner", ctx())
            .await
            .err(),
        boss.reset_password(&t.store, &hasher, "owner", &password, false, ctx())
            .await
            .err(),
        boss.edit_user(&t.store, "owner", demote, ctx()).await.err(),
        boss.edit_user(&t.store, "owner", email, ctx()).await.err(),
        boss.edit_user(&t.store, "owner", folder, ctx()).await.err(),
        boss.set_disabled(&t.store, "owner", true, ctx())
            .await
            .err(),
        boss.delete_user(&t.store, "owner", ctx()).await.err(),
        boss.transfer_ownership(&t.store, "boss", ctx()).await.err(),
    ];

    for (i, result) in results.iter().enumerate() {
        assert!(
            matches!(result, Some(AdminError::Forbidden(_))),
            "attempt {i} should be forbidden: {result:?}"
        );
    }
    let after = find(&t.store, "owner").await;
    assert_eq!(after.password_hash, before.password_hash);
    assert_eq!(
        (
            after.role.as_str(),
            after.email.clone(),
            after.root_folder.clone()
        ),
        ("owner", None, String::new())
    );
    assert!(!after.disabled);
    assert_eq!(
        factors(&t.store, "owner").await,
        1,
        "the owner's factor stays"
    );
    let refused = t
        .store
        .audit_events(Some(after.tenant()), 100)
        .await
        .unwrap();
    let refusals = refused
        .iter()
        .filter(|e| e.kind == "admin_refused" && e.actor == "boss")
        .count();
    assert_eq!(refusals, results.len(), "every refused attempt is audited");
}

#[tokio::test]
async fn security_settings_and_ownership_belong_to_the_owner() {
    let t = setup().await;
    for name in ["boss", "aud", "mem"] {
        let actor = actor(&t.store, name).await;
        assert!(
            actor.may(Action::ChangeSecuritySettings, None).is_err(),
            "{name}"
        );
    }
    let owner = actor(&t.store, "owner").await;

    owner
        .transfer_ownership(&t.store, "boss", ctx())
        .await
        .unwrap();

    let (old, new) = (find(&t.store, "owner").await, find(&t.store, "boss").await);
    assert_eq!((old.role.as_str(), new.role.as_str()), ("admin", "owner"));
    assert!(old.manage_users && new.root_folder.is_empty());
}

#[tokio::test]
async fn admins_manage_members_and_root_folders_stay_inside_the_tenant() {
    let t = setup().await;
    let boss = actor(&t.store, "boss").await;
    let changes = UserChanges {
        root_folder: Some("../../etc".into()),
        sftp_enabled: Some(false),
        ..UserChanges::default()
    };

    let updated = boss
        .edit_user(&t.store, "mem", changes, ctx())
        .await
        .unwrap();
    boss.set_disabled(&t.store, "victim", true, ctx())
        .await
        .unwrap();
    boss.delete_user(&t.store, "aud", ctx()).await.unwrap();

    assert_eq!(
        updated.root_folder, "etc",
        "'..' is clamped at the tenant root"
    );
    assert!(!updated.sftp_enabled);
    assert!(find(&t.store, "victim").await.disabled);
    assert!(
        t.store
            .find_user(&Username::parse("aud").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        boss.delete_user(&t.store, "boss", ctx()).await.is_err(),
        "not oneself"
    );
}
