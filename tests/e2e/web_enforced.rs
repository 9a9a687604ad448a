//! Enforced MFA: a user with no factor is held on the enrolment pages until one is
//! confirmed, whatever else is tried; confirming leads into the app with a new session.

use reqwest::StatusCode;

use crate::web_support::{Browser, PASSWORD, acme, code_at, enforce_mfa, fresh_step};
use gatehouse_tests::spawn_app;

#[tokio::test]
async fn an_enrolment_only_session_is_held_at_enroll_whatever_it_tries() {
    let app = spawn_app().await;
    acme(&app);
    enforce_mfa(&app, true);
    let browser = Browser::new(&app);

    let login = browser.login("alice", PASSWORD).await;

    assert!(login.redirects_to("/enroll"), "{login:?}");
    let paths = [
        "/",
        "/files",
        "/files?path=/",
        "/files/download?path=/x",
        "/profile",
        "/profile/2fa/totp",
        "/login/2fa",
        "/admin",
        "/api/me",
        "/enroll/totp/../../files",
        "/enroll/totp%2f..%2ffiles",
        "/enroll/../files",
    ];
    for path in paths {
        let page = browser.get(path).await;
        assert!(
            page.redirects_to("/enroll"),
            "{path} should lead back to /enroll: {page:?}"
        );
    }
    let csrf = browser.get("/enroll").await.csrf();
    let mkdir = browser
        .post(
            "/files/mkdir",
            &[("path", "/"), ("name", "x"), ("csrf_token", &csrf)],
        )
        .await;
    assert!(
        mkdir.redirects_to("/enroll"),
        "no file action either: {mkdir:?}"
    );
    assert!(!app.tenant_dir("acme").join("home/alice/x").exists());
    for path in [
        "/enroll",
        "/enroll/totp",
        "/enroll/sms",
        "/static/style.css",
    ] {
        assert_eq!(
            browser.get(path).await.status,
            StatusCode::OK,
            "{path} is reachable"
        );
    }
}

#[tokio::test]
async fn a_wrong_code_does_not_enrol_and_the_right_one_leads_into_the_app() {
    let app = spawn_app().await;
    acme(&app);
    enforce_mfa(&app, true);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let enrolment_cookie = browser.session_cookie().unwrap();
    let page = browser.get("/enroll/totp").await;
    let secret = page.totp_secret();

    let wrong = browser
        .post(
            "/enroll/totp",
            &[("code", "000000"), ("csrf_token", &page.csrf())],
        )
        .await;
    let still_held = browser.get("/files").await;
    let right = code_at(&secret, fresh_step());
    let done = browser
        .post(
            "/enroll/totp",
            &[("code", &right), ("csrf_token", &wrong.csrf())],
        )
        .await;
    let files = browser.get("/files").await;

    assert!(wrong.body.contains("That code did not match"), "{wrong:?}");
    assert_eq!(
        wrong.totp_secret(),
        secret,
        "the same secret is shown again after a typo"
    );
    assert!(
        still_held.redirects_to("/enroll"),
        "a wrong code enrols nothing"
    );
    assert_eq!(done.recovery_codes().len(), 10, "{}", done.body);
    assert_ne!(
        browser.session_cookie().unwrap(),
        enrolment_cookie,
        "a fresh session id"
    );
    assert_eq!(files.status, StatusCode::OK, "{files:?}");
}

#[tokio::test]
async fn only_the_secret_shown_last_can_be_confirmed() {
    let app = spawn_app().await;
    acme(&app);
    enforce_mfa(&app, true);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let first = browser.get("/enroll/totp").await.totp_secret();
    let second = browser.get("/enroll/totp").await;

    let code = code_at(&first, fresh_step());
    let stale = browser
        .post(
            "/enroll/totp",
            &[("code", &code), ("csrf_token", &second.csrf())],
        )
        .await;

    assert_ne!(first, second.totp_secret(), "each visit makes a new secret");
    assert!(stale.body.contains("That code did not match"), "{stale:?}");
    assert!(browser.get("/files").await.redirects_to("/enroll"));
}

#[tokio::test]
async fn a_user_with_a_factor_under_enforcement_gets_the_second_step_not_enrolment() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    browser.enrol_totp("/profile/2fa/totp").await;
    enforce_mfa(&app, true);

    let login = browser.login("alice", PASSWORD).await;

    assert!(login.redirects_to("/login/2fa"), "{login:?}");
}
