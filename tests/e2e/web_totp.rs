//! TOTP end to end: enrolment from the page contract, login with a computed code, replay
//! (sequential, concurrent, and the enrolment code), and the wrong-code limit.

use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::web_support::{Browser, PASSWORD, acme, code_at, fresh_step};
use gatehouse_tests::spawn_app;

#[tokio::test]
async fn totp_enrolment_shows_a_qr_code_and_a_well_formed_otpauth_uri() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;

    let page = browser.get("/profile/2fa/totp").await;

    let secret = page.totp_secret();
    assert_eq!(secret.len(), 32, "160 bits as unpadded base32: {secret}");
    assert!(
        secret
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
    );
    let body = page.unescaped();
    assert!(
        body.contains("src=\"data:image/svg+xml;base64,"),
        "a server-drawn QR code"
    );
    let expected = format!(
        "otpauth://totp/Gatehouse:alice?secret={secret}&issuer=Gatehouse\
         &algorithm=SHA1&digits=6&period=30"
    );
    assert!(
        body.contains(&expected),
        "otpauth URI {expected} in:\n{body}"
    );
}

#[tokio::test]
async fn a_user_with_totp_logs_in_with_a_code_from_the_secret() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let (secret, _) = browser.enrol_totp("/profile/2fa/totp").await;
    browser.logout().await;

    let login = browser.login("alice", PASSWORD).await;
    let pending_cookie = browser.session_cookie().unwrap();
    let blocked = browser.get("/files").await;
    let code = code_at(&secret, fresh_step());
    let done = browser.second_factor("totp", &code).await;
    let files = browser.get("/files").await;

    assert!(
        login.redirects_to("/login/2fa"),
        "a factor is enrolled: {login:?}"
    );
    assert!(
        blocked.redirects_to("/login/2fa"),
        "a pending login reaches no files"
    );
    assert!(
        done.redirects_to("/files"),
        "the right code signs in: {done:?}"
    );
    assert_ne!(
        browser.session_cookie().unwrap(),
        pending_cookie,
        "a fresh id after 2FA"
    );
    assert_eq!(files.status, StatusCode::OK);
    assert!(files.body.contains("Files"), "{}", files.body);
}

#[tokio::test]
async fn a_totp_code_cannot_be_used_twice() {
    let app = spawn_app().await;
    acme(&app);
    let first = Browser::new(&app);
    first.login("alice", PASSWORD).await;
    let (secret, _) = first.enrol_totp("/profile/2fa/totp").await;
    let code = code_at(&secret, fresh_step());

    first.login("alice", PASSWORD).await;
    let used = first.second_factor("totp", &code).await;
    let second = Browser::new(&app);
    second.login("alice", PASSWORD).await;
    let replayed = second.second_factor("totp", &code).await;

    assert!(
        used.redirects_to("/files"),
        "first use is accepted: {used:?}"
    );
    assert_eq!(replayed.status, StatusCode::OK, "{replayed:?}");
    assert!(
        replayed.body.contains("That code did not work"),
        "{}",
        replayed.body
    );
    assert!(
        second.get("/files").await.redirects_to("/login/2fa"),
        "no session from a replay"
    );
}

#[tokio::test]
async fn the_enrolment_code_cannot_then_sign_in() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let page = browser.get("/profile/2fa/totp").await;
    let secret = page.totp_secret();
    let code = code_at(&secret, fresh_step());
    browser
        .post(
            "/profile/2fa/totp",
            &[("code", &code), ("csrf_token", &page.csrf())],
        )
        .await;

    browser.login("alice", PASSWORD).await;
    let reused = browser.second_factor("totp", &code).await;

    assert!(reused.body.contains("That code did not work"), "{reused:?}");
}

#[tokio::test]
async fn one_code_sent_on_two_pending_logins_at_once_signs_in_exactly_once() {
    let app = spawn_app().await;
    acme(&app);
    let setup = Browser::new(&app);
    setup.login("alice", PASSWORD).await;
    let (secret, _) = setup.enrol_totp("/profile/2fa/totp").await;
    let browsers: Vec<Browser> = (0..6).map(|_| Browser::new(&app)).collect();
    let mut tokens = Vec::new();
    for browser in &browsers {
        browser.login("alice", PASSWORD).await;
        tokens.push(browser.get("/login/2fa").await.csrf());
    }
    let code = code_at(&secret, fresh_step());

    let attempts = browsers.iter().zip(&tokens).map(|(browser, csrf)| {
        let code = code.clone();
        async move {
            let form = [
                ("method", "totp"),
                ("code", code.as_str()),
                ("csrf_token", csrf.as_str()),
            ];
            browser.post("/login/2fa", &form).await
        }
    });
    let pages = futures::future::join_all(attempts).await;

    let signed_in = pages.iter().filter(|p| p.redirects_to("/files")).count();
    assert_eq!(signed_in, 1, "exactly one request may win: {pages:#?}");
}

#[tokio::test]
async fn five_wrong_codes_end_the_pending_login() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let (secret, _) = browser.enrol_totp("/profile/2fa/totp").await;
    browser.login("alice", PASSWORD).await;
    let csrf = browser.get("/login/2fa").await.csrf();

    let mut last = None;
    for _ in 0..5 {
        let form = [
            ("method", "totp"),
            ("code", "000000"),
            ("csrf_token", csrf.as_str()),
        ];
        last = Some(browser.post("/login/2fa", &form).await);
    }
    let right = code_at(&secret, fresh_step());
    let after = browser
        .post(
            "/login/2fa",
            &[("method", "totp"), ("code", &right), ("csrf_token", &csrf)],
        )
        .await;

    let last = last.unwrap();
    assert!(
        last.redirects_to("/login?again=1"),
        "the fifth wrong code ends it: {last:?}"
    );
    assert!(
        after.redirects_to("/login"),
        "even the right code is too late: {after:?}"
    );
    assert!(
        browser.get("/files").await.redirects_to("/login"),
        "no session remains"
    );
}

#[tokio::test]
async fn a_pending_login_reaches_nothing_but_the_second_step() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    browser.enrol_totp("/profile/2fa/totp").await;
    browser.login("alice", PASSWORD).await;

    for path in [
        "/",
        "/files",
        "/files/download?path=/x",
        "/profile",
        "/profile/2fa/totp",
        "/enroll",
        "/enroll/totp",
        "/admin",
        "/api/me",
    ] {
        let page = browser.get(path).await;
        assert!(
            page.redirects_to("/login/2fa"),
            "{path} should send a pending login to /login/2fa: {page:?}"
        );
        assert!(
            !page.body.contains("data-totp-secret"),
            "{path} must not reveal a secret"
        );
    }
}

#[tokio::test]
async fn wrong_codes_count_in_the_same_throttle_as_wrong_passwords() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    browser.enrol_totp("/profile/2fa/totp").await;
    browser.login("alice", PASSWORD).await;
    for _ in 0..4 {
        browser.second_factor("totp", "000000").await;
    }

    let wrong_password = browser.login("alice", "not-the-password").await;
    let right_password = browser.login("alice", PASSWORD).await;

    assert!(wrong_password.body.contains("Wrong username or password."));
    assert!(
        right_password.body.contains("Wrong username or password."),
        "four wrong codes and a wrong password make five failures: locked out: {right_password:?}"
    );
    let events = gatehouse_core::entity::audit_event::Entity::find()
        .filter(gatehouse_core::entity::audit_event::Column::Kind.eq("second_factor_failed"))
        .count(app.store.connection())
        .await
        .unwrap();
    assert_eq!(events, 4, "each wrong code is audited");
}
