//! Recovery codes: shown once, each usable once, also when raced.

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::web_support::{Browser, PASSWORD, acme};
use gatehouse_core::entity::recovery_code;
use gatehouse_tests::spawn_app;

async fn codes_left(app: &gatehouse_tests::TestApp) -> u64 {
    // Only alice has codes in these tests.
    recovery_code::Entity::find()
        .count(app.store.connection())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_never_again() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let (_, codes) = browser.enrol_totp("/profile/2fa/totp").await;

    browser.login("alice", PASSWORD).await;
    let first = browser
        .second_factor("recovery", &codes[0].to_uppercase())
        .await;
    browser.logout().await;
    browser.login("alice", PASSWORD).await;
    let again = browser.second_factor("recovery", &codes[0]).await;

    assert!(
        first.redirects_to("/files"),
        "a fresh code works (case ignored): {first:?}"
    );
    assert!(
        again.body.contains("That code did not work"),
        "a used code fails: {again:?}"
    );
    assert_eq!(codes_left(&app).await, 9, "exactly one code was used up");
}

#[tokio::test]
async fn one_recovery_code_raced_on_many_pending_logins_signs_in_exactly_once() {
    let app = spawn_app().await;
    acme(&app);
    let setup = Browser::new(&app);
    setup.login("alice", PASSWORD).await;
    let (_, codes) = setup.enrol_totp("/profile/2fa/totp").await;
    let browsers: Vec<Browser> = (0..10).map(|_| Browser::new(&app)).collect();
    let mut tokens = Vec::new();
    for browser in &browsers {
        browser.login("alice", PASSWORD).await;
        tokens.push(browser.get("/login/2fa").await.csrf());
    }

    let attempts = browsers.iter().zip(&tokens).map(|(browser, csrf)| {
        let code = codes[1].clone();
        async move {
            let form = [
                ("method", "recovery"),
                ("code", code.as_str()),
                ("csrf_token", csrf),
            ];
            browser.post("/login/2fa", &form).await
        }
    });
    let pages = futures::future::join_all(attempts).await;

    let signed_in = pages.iter().filter(|p| p.redirects_to("/files")).count();
    assert_eq!(
        signed_in, 1,
        "exactly one request may use the code: {pages:#?}"
    );
    assert_eq!(codes_left(&app).await, 9, "the count drops by exactly one");
}

#[tokio::test]
async fn regenerating_recovery_codes_replaces_the_old_set() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let (_, old) = browser.enrol_totp("/profile/2fa/totp").await;

    let page = browser
        .submit("/profile", "/profile/recovery-codes", &[])
        .await;
    let new = page.recovery_codes();
    browser.logout().await;
    browser.login("alice", PASSWORD).await;
    let stale = browser.second_factor("recovery", &old[0]).await;

    assert_eq!(new.len(), 10, "{}", page.body);
    assert!(new.iter().all(|code| !old.contains(code)), "all new codes");
    assert!(
        stale.body.contains("That code did not work"),
        "old codes are gone: {stale:?}"
    );
}
