//! The profile: turning 2FA off needs the password and a current code; the password change
//! needs the current password and applies to SFTP too.

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::web_support::{Browser, PASSWORD, acme, code_at, fresh_step};
use gatehouse_core::entity::{recovery_code, second_factor, ssh_key};
use gatehouse_tests::{describe, spawn_app};

#[tokio::test]
async fn turning_2fa_off_needs_the_password_and_a_current_code() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let (secret, _) = browser.enrol_totp("/profile/2fa/totp").await;

    let code = code_at(&secret, fresh_step());
    let bad_password = [
        ("password", "nope-nope-nope"),
        ("method", "totp"),
        ("code", &code),
    ];
    let refused = browser
        .submit("/profile", "/profile/2fa/disable", &bad_password)
        .await;
    let next = code_at(&secret, fresh_step() + 1);
    let good = [("password", PASSWORD), ("method", "totp"), ("code", &next)];
    let done = browser
        .submit("/profile", "/profile/2fa/disable", &good)
        .await;
    let login = browser.login("alice", PASSWORD).await;

    assert!(refused.body.contains("nothing changed"), "{}", refused.body);
    assert!(
        done.body.contains("Two-factor authentication is off"),
        "{}",
        done.body
    );
    let db = app.store.connection();
    assert_eq!(
        second_factor::Entity::find().count(db).await.unwrap(),
        0,
        "factors removed"
    );
    assert_eq!(
        recovery_code::Entity::find().count(db).await.unwrap(),
        0,
        "codes removed"
    );
    assert!(
        login.redirects_to("/files"),
        "the password alone signs in again: {login:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_change_needs_the_current_one_and_applies_to_sftp() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let new = "a-brand-new-long-passphrase";

    let wrong = [
        ("current_password", "guess-guess-guess"),
        ("new_password", new),
    ];
    let refused = browser
        .submit("/profile", "/profile/password", &wrong)
        .await;
    let right = [("current_password", PASSWORD), ("new_password", new)];
    let changed = browser
        .submit("/profile", "/profile/password", &right)
        .await;
    let work = tempfile::tempdir().unwrap();
    let sftp = app.sftp_password("alice", new, "ls\n", work.path());

    assert!(
        refused.body.contains("The current password is not right."),
        "{}",
        refused.body
    );
    assert!(
        changed.body.contains("Your password was changed."),
        "{}",
        changed.body
    );
    assert!(
        sftp.status.success(),
        "SFTP takes the new password: {}",
        describe(&sftp)
    );
}

const KEY: &str = "ssh-ed25519 \
    AAAAC3NzaC1lZDI1NTE5AAAAIKZAQFCayAL4peODIeEuaT8LTaf0NeW2kMlcuQmCREA3 alice@laptop";

#[tokio::test]
async fn adding_an_ssh_key_needs_a_recent_second_factor_when_the_user_has_one() {
    let app = spawn_app().await;
    acme(&app);
    let old_session = Browser::new(&app);
    old_session.login("alice", PASSWORD).await;
    let fresh = Browser::new(&app);
    fresh.login("alice", PASSWORD).await;
    fresh.enrol_totp("/profile/2fa/totp").await;

    let refused = old_session
        .submit("/profile", "/profile/keys", &[("public_key", KEY)])
        .await;
    let keys_after_refusal = ssh_key::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap();
    let added = fresh
        .submit("/profile", "/profile/keys", &[("public_key", KEY)])
        .await;

    assert!(
        refused.body.contains("needs a second factor"),
        "{refused:?}"
    );
    assert_eq!(keys_after_refusal, 0, "no key was stored");
    assert!(added.body.contains("The key was added."), "{}", added.body);
    assert!(
        added.body.contains("data-key-fingerprint=\"SHA256:"),
        "{}",
        added.body
    );
    assert_eq!(
        ssh_key::Entity::find()
            .count(app.store.connection())
            .await
            .unwrap(),
        1
    );
}
