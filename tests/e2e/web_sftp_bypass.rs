//! The rule that matters most: a second factor never applies to SFTP. A user with TOTP
//! enrolled, in a tenant with Enforced MFA, still uploads by SFTP with a password and with
//! a key, and sees the web's uploads there too.

use std::process::Command;

use crate::web_support::{Browser, PASSWORD, acme, enforce_mfa};
use gatehouse_tests::{describe, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn a_user_with_totp_under_enforced_mfa_still_uploads_by_sftp_with_a_password_and_a_key() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    browser.enrol_totp("/profile/2fa/totp").await;
    enforce_mfa(&app, true);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("by-password.txt"), b"password upload\n").unwrap();
    std::fs::write(work.path().join("by-key.txt"), b"key upload\n").unwrap();
    let key = work.path().join("id_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(keygen.status.success());
    let added = app.cli(
        &[
            "user",
            "key",
            "add",
            "alice",
            &format!("{}.pub", key.display()),
        ],
        None,
    );
    assert!(added.status.success(), "{}", describe(&added));

    let by_password = app.sftp_password("alice", PASSWORD, "put by-password.txt\n", work.path());
    let by_key = app.sftp_key("alice", &key, "put by-key.txt\n", work.path());

    assert!(
        by_password.status.success(),
        "password SFTP: {}",
        describe(&by_password)
    );
    assert!(by_key.status.success(), "key SFTP: {}", describe(&by_key));
    let home = app.tenant_dir("acme").join("home/alice");
    assert_eq!(
        std::fs::read(home.join("by-password.txt")).unwrap(),
        b"password upload\n"
    );
    assert_eq!(
        std::fs::read(home.join("by-key.txt")).unwrap(),
        b"key upload\n"
    );
    let web = Browser::new(&app);
    let login = web.login("alice", PASSWORD).await;
    assert!(
        login.redirects_to("/login/2fa"),
        "the web still asks for the second factor"
    );
}
