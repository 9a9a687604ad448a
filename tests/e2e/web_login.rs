//! The login contract: form fields, redirects, the generic refusal, CSRF, session rotation
//! and logout ending the session on the server.

use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::web_support::{Browser, PASSWORD, acme};
use gatehouse_core::entity::web_session;
use gatehouse_tests::spawn_app;

#[tokio::test]
async fn the_login_form_has_the_documented_fields() {
    let app = spawn_app().await;

    let page = Browser::new(&app).get("/login").await;

    assert_eq!(page.status, StatusCode::OK);
    for field in [
        "name=\"username\"",
        "name=\"password\"",
        "name=\"csrf_token\"",
    ] {
        assert!(
            page.body.contains(field),
            "the form should have {field}: {}",
            page.body
        );
    }
}

#[tokio::test]
async fn a_user_without_a_factor_signs_in_with_the_password_and_sees_files() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);

    let login = browser.login("alice", PASSWORD).await;
    let files = browser.get("/files").await;

    assert!(
        login.redirects_to("/files"),
        "password-only login goes to files: {login:?}"
    );
    assert_eq!(files.status, StatusCode::OK);
    assert!(
        files.body.contains("This folder is empty"),
        "{}",
        files.body
    );
}

#[tokio::test]
async fn a_wrong_password_shows_the_same_form_with_one_generic_message() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);

    let wrong = browser.login("alice", "not-the-password").await;
    let unknown = browser.login("nobody", "not-the-password").await;

    for page in [&wrong, &unknown] {
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Wrong username or password."),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("name=\"password\""),
            "the form is shown again"
        );
    }
    assert!(
        browser.get("/files").await.redirects_to("/login"),
        "no session was made"
    );
}

#[tokio::test]
async fn a_login_without_or_with_a_wrong_csrf_token_is_refused() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.get("/login").await;

    let missing = browser
        .post("/login", &[("username", "alice"), ("password", PASSWORD)])
        .await;
    let wrong = browser
        .post(
            "/login",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", "x"),
            ],
        )
        .await;

    assert_eq!(missing.status, StatusCode::FORBIDDEN, "{missing:?}");
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{wrong:?}");
    assert!(
        browser.session_cookie().is_none(),
        "no session cookie after a refused login"
    );
    let sessions = web_session::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap();
    assert_eq!(sessions, 0, "no session row was created");
}

#[tokio::test]
async fn a_state_changing_request_without_the_session_csrf_token_is_refused() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;

    let forged = browser
        .post("/files/mkdir", &[("path", "/"), ("name", "forged")])
        .await;

    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    assert!(
        !app.tenant_dir("acme").join("home/alice/forged").exists(),
        "nothing was made"
    );
}

#[tokio::test]
async fn a_cookie_planted_before_login_is_not_the_session_after_it() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    let url = browser.base.parse().unwrap();
    browser
        .jar
        .add_cookie_str("gatehouse_session=planted-by-an-attacker; Path=/", &url);

    let login = browser.login("alice", PASSWORD).await;

    assert!(login.redirects_to("/files"), "{login:?}");
    let session = browser.session_cookie().unwrap();
    assert_ne!(
        session, "planted-by-an-attacker",
        "the server chose a fresh session id"
    );
    assert!(session.len() >= 43, "256 random bits: {session}");
}

#[tokio::test]
async fn logging_in_again_from_a_pending_login_ends_the_old_session() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    browser.enrol_totp("/profile/2fa/totp").await;
    browser.login("alice", PASSWORD).await;
    let pending = browser.session_cookie().unwrap();

    browser.login("alice", PASSWORD).await;
    let stale = Browser::new(&app);
    let url = stale.base.parse().unwrap();
    stale
        .jar
        .add_cookie_str(&format!("gatehouse_session={pending}; Path=/"), &url);

    assert_ne!(
        browser.session_cookie().unwrap(),
        pending,
        "a new login, a new session id"
    );
    assert!(
        stale.get("/login/2fa").await.redirects_to("/login"),
        "the old pending login is gone"
    );
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let token = browser.session_cookie().unwrap();

    let out = browser.logout().await;
    let replay = Browser::new(&app);
    let url = replay.base.parse().unwrap();
    replay
        .jar
        .add_cookie_str(&format!("gatehouse_session={token}; Path=/"), &url);

    assert!(out.redirects_to("/login"), "{out:?}");
    let sessions = web_session::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap();
    assert_eq!(sessions, 0, "the session row is deleted");
    assert!(
        replay.get("/files").await.redirects_to("/login"),
        "the old cookie is worthless"
    );
}
