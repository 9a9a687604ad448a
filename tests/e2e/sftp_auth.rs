//! Who gets in by SFTP: refused logins stay refused, the lockout holds, and every refusal is
//! in the audit log with its real reason while the client only hears "denied".

use std::process::Command;
use std::sync::Arc;

use gatehouse_core::entity::{audit_event, user};
use gatehouse_tests::{TestApp, describe, spawn_app};
use russh::client;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::support::{AcceptAnyHostKey, PASSWORD};

async fn password_login_succeeds(app: &TestApp, user: &str, password: &str) -> bool {
    let config = Arc::new(client::Config::default());
    let mut handle = client::connect(config, app.sftp, AcceptAnyHostKey)
        .await
        .unwrap();
    handle
        .authenticate_password(user, password)
        .await
        .unwrap()
        .success()
}

async fn audit_details(app: &TestApp, kind: &str) -> Vec<String> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Kind.eq(kind))
        .all(app.store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|event| format!("{} {} {}", event.actor, event.outcome, event.detail))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_and_unknown_users_are_refused_and_audited_with_the_reason() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);

    let wrong = password_login_succeeds(&app, "alice", "not-the-password").await;
    let unknown = password_login_succeeds(&app, "mallory", PASSWORD).await;
    let right = password_login_succeeds(&app, "alice", PASSWORD).await;

    assert!(
        !wrong && !unknown,
        "wrong password and unknown user must be refused"
    );
    assert!(
        right,
        "the right password must still work after others' failures"
    );
    let logins = audit_details(&app, "login").await;
    assert!(
        logins.contains(&"alice failure wrong password".to_owned()),
        "{logins:?}"
    );
    assert!(
        logins.contains(&"mallory failure unknown username".to_owned()),
        "{logins:?}"
    );
    assert!(
        logins.contains(&"alice success password".to_owned()),
        "{logins:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_lock_the_account_out_from_that_address_even_for_the_right_password() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);

    for _ in 0..5 {
        assert!(!password_login_succeeds(&app, "alice", "guess-guess-guess").await);
    }
    let after_lockout = password_login_succeeds(&app, "alice", PASSWORD).await;
    let other_spelling = password_login_succeeds(&app, "Alice", PASSWORD).await;

    assert!(
        !other_spelling,
        "another spelling of the same account is locked out too"
    );

    assert!(
        !after_lockout,
        "the right password must be refused during the lockout"
    );
    let unlock = app.cli(&["support", "unlock", "alice"], None);
    assert!(unlock.status.success(), "{}", describe(&unlock));
    assert!(
        password_login_succeeds(&app, "alice", PASSWORD).await,
        "after the operator's unlock the right password works again"
    );
    let lockouts = audit_details(&app, "locked_out").await;
    assert_eq!(
        lockouts.len(),
        1,
        "one lockout event expected: {lockouts:?}"
    );
    let logins = audit_details(&app, "login").await;
    assert!(
        logins.iter().any(|l| l.contains("locked out")),
        "{logins:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_users_and_users_with_sftp_switched_off_are_refused() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    app.add_user("acme", "bob", PASSWORD);
    app.add_user("acme", "carol", PASSWORD);
    let set = |name: &'static str, column: user::Column, value: bool| {
        user::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .filter(user::Column::Username.eq(name))
            .exec(app.store.connection())
    };
    set("bob", user::Column::Disabled, true).await.unwrap();
    set("carol", user::Column::SftpEnabled, false)
        .await
        .unwrap();

    let bob = password_login_succeeds(&app, "bob", PASSWORD).await;
    let carol = password_login_succeeds(&app, "carol", PASSWORD).await;

    assert!(!bob, "a disabled user must be refused");
    assert!(!carol, "a user with SFTP off must be refused");
    let logins = audit_details(&app, "login").await;
    assert!(
        logins.contains(&"bob failure account disabled".to_owned()),
        "{logins:?}"
    );
    assert!(
        logins
            .iter()
            .any(|l| l.starts_with("carol failure access through")),
        "{logins:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_exec_and_legacy_scp_are_refused_with_a_clear_message() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("small.txt"), "hello").unwrap();
    let port = app.sftp.port().to_string();
    let ssh_opts = [
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "PubkeyAuthentication=no",
        "-o",
        "LogLevel=ERROR",
    ];

    let exec = Command::new("sshpass")
        .args(["-p", PASSWORD, "ssh", "-p", &port])
        .args(ssh_opts)
        .args(["alice@127.0.0.1", "cat /etc/passwd"])
        .output()
        .unwrap();
    let legacy = Command::new("timeout")
        .args(["20", "sshpass", "-p", PASSWORD, "scp", "-O", "-P", &port])
        .args(ssh_opts)
        .args(["small.txt", "alice@127.0.0.1:"])
        .current_dir(work.path())
        .output()
        .unwrap();

    assert!(
        !exec.status.success(),
        "exec must fail: {}",
        describe(&exec)
    );
    assert!(
        String::from_utf8_lossy(&exec.stderr).contains("SFTP only"),
        "{}",
        describe(&exec)
    );
    assert!(
        !String::from_utf8_lossy(&exec.stdout).contains("root:"),
        "no command may run"
    );
    assert_ne!(legacy.status.code(), Some(124), "legacy scp must not hang");
    assert!(
        !legacy.status.success(),
        "legacy scp must fail: {}",
        describe(&legacy)
    );
    assert!(
        !app.tenant_dir("acme").join("small.txt").exists(),
        "nothing may be written"
    );
}
