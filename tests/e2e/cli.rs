//! The operator CLI through the real binary: the forms scripts rely on, and one-line
//! reasons with a non-zero exit for every kind of bad input.

use gatehouse_tests::{describe, spawn_app};

use crate::support::PASSWORD;

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_fails_with_a_one_line_reason_and_a_non_zero_exit() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let garbage_key = app.dir.path().join("bad.pub");
    std::fs::write(&garbage_key, "ssh-ed25519 AAAAnotakey comment\n").unwrap();
    let key_path = garbage_key.to_str().unwrap();
    let cases: [(&[&str], Option<&str>, &str); 7] = [
        (
            &["user", "add", "bob", "--tenant", "acme", "--manage-users"],
            None,
            "admins only",
        ),
        (
            &[
                "user",
                "add",
                "alice",
                "--tenant",
                "acme",
                "--password-stdin",
            ],
            Some(PASSWORD),
            "already exists",
        ),
        (
            &["user", "add", "bad/name", "--tenant", "acme"],
            None,
            "invalid username",
        ),
        (
            &["user", "add", "bob", "--tenant", "nosuch"],
            None,
            "unknown tenant",
        ),
        (
            &["user", "key", "add", "alice", key_path],
            None,
            "malformed SSH public key",
        ),
        (
            &["user", "passwd", "alice", "--password-stdin"],
            Some("short"),
            "too short",
        ),
        (
            &["tenant", "create", "acme", "--owner", "zed"],
            None,
            "already exists",
        ),
    ];

    for (args, stdin, reason) in cases {
        let out = app.cli(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?} should fail: {}",
            describe(&out)
        );
        assert!(
            stderr.contains(reason),
            "{args:?} should say {reason:?}: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{args:?}: one line, got {stderr}"
        );
    }
    assert_eq!(
        app.store.users(None).await.unwrap().len(),
        1,
        "no user was created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_password_is_printed_once_and_works() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);

    let out = app.cli(
        &[
            "user",
            "add",
            "bob",
            "--tenant",
            "acme",
            "--role",
            "admin",
            "--manage-users",
        ],
        None,
    );

    assert!(out.status.success(), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let password = stdout
        .lines()
        .find_map(|l| l.split("(shown once): ").nth(1))
        .expect("a generated password");
    assert_eq!(password.len(), 20);
    let listing = app.cli(&["user", "list", "--tenant", "acme"], None);
    assert!(String::from_utf8_lossy(&listing.stdout).contains("bob\tacme\tadmin"));
    let work = tempfile::tempdir().unwrap();
    let login = app.sftp_password("bob", password, "pwd\n", work.path());
    assert!(
        login.status.success(),
        "the generated password logs in: {}",
        describe(&login)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_can_be_listed_and_removed_by_fingerprint() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKZAQFCayAL4peODIeEuaT8LTaf0NeW2kMlcuQmCREA3 laptop\n";

    let added = app.cli(&["user", "key", "add", "alice", "-"], Some(key));
    let listed = app.cli(&["user", "key", "list", "alice"], None);
    let fingerprint = String::from_utf8_lossy(&listed.stdout)
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    let removed = app.cli(&["user", "key", "remove", "alice", &fingerprint], None);
    let again = app.cli(&["user", "key", "remove", "alice", &fingerprint], None);

    assert!(added.status.success(), "{}", describe(&added));
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    assert!(removed.status.success(), "{}", describe(&removed));
    assert!(!again.status.success(), "removing twice should fail");
    let alice = app
        .store
        .find_user(&gatehouse_core::ids::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(app.store.keys(alice.user_id()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_resets_the_owners_second_factor_and_password_and_it_is_audited() {
    use gatehouse_core::store::second_factors::Method;
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let name = gatehouse_core::ids::Username::parse("alice").unwrap();
    let alice = app.store.find_user(&name).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    let factor = app
        .store
        .put_unconfirmed_factor(alice.user_id(), Method::Totp, None, None, now)
        .await
        .unwrap();
    assert!(app.store.confirm_factor(factor.id, 1).await.unwrap());

    let mfa = app.cli(&["support", "reset-mfa", "alice"], None);
    let password = app.cli(
        &["support", "reset-password", "alice", "--password-stdin"],
        Some("a-fresh-start-2026"),
    );

    assert!(mfa.status.success(), "{}", describe(&mfa));
    assert!(password.status.success(), "{}", describe(&password));
    assert!(
        app.store
            .confirmed_factors(alice.user_id())
            .await
            .unwrap()
            .is_empty(),
        "factors removed"
    );
    let events = app
        .store
        .audit_events(Some(alice.tenant()), 50)
        .await
        .unwrap();
    let by_operator: Vec<_> = events
        .iter()
        .filter(|e| e.actor == "operator" && e.subject.as_deref() == Some("alice"))
        .map(|e| e.kind.as_str())
        .collect();
    assert!(
        by_operator.contains(&"second_factor_disabled"),
        "{by_operator:?}"
    );
    assert!(by_operator.contains(&"password_changed"), "{by_operator:?}");
    let work = tempfile::tempdir().unwrap();
    let login = app.sftp_password("alice", "a-fresh-start-2026", "pwd\n", work.path());
    assert!(
        login.status.success(),
        "the new password works by SFTP: {}",
        describe(&login)
    );
}
