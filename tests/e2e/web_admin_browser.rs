//! The Enforced MFA administration story in real headless Chromium, clicking through the
//! pages: the owner's switch, a member held at enrolment, an admin removing the member's
//! factor, and the admin's refusals shown to them and in the audit log.
//!
//! Two browsers, as in life: the admin keeps their own session while the owner and the member
//! take turns in the other one (cookies cleared between them).

use fantoccini::{Client, Locator};
use gatehouse_core::entity::user;
use gatehouse_core::ids::Username;
use gatehouse_tests::{TestApp, describe, spawn_app};

use crate::web_browser::{chromium, click, confirm_totp, fill, path, wait_for};
use crate::web_support::{PASSWORD, acme, fresh_step};

async fn user_row(app: &TestApp, name: &str) -> user::Model {
    app.store
        .find_user(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn factors(app: &TestApp, name: &str) -> usize {
    let user = user_row(app, name).await;
    let factors = app.store.confirmed_factors(user.user_id()).await.unwrap();
    factors.len()
}

/// Signs in as a new person: the browser's cookies are cleared first.
async fn sign_in_as(client: &Client, app: &TestApp, name: &str) {
    client.delete_all_cookies().await.unwrap();
    let login = format!("http://{}/login", app.web);
    client.goto(&login).await.unwrap();
    fill(client, "input[name=username]", name).await;
    fill(client, "input[name=password]", PASSWORD).await;
    click(client, "button[type=submit]").await;
}

async fn open(client: &Client, app: &TestApp, page: &str) {
    let url = format!("http://{}{page}", app.web);
    client.goto(&url).await.unwrap();
}

/// Runs `submit` (a click or a script that posts a form) and waits until the browser has
/// left the page it was on. The answer may come back on the same URL with the same elements,
/// so waiting for an element could find it on the old page, which then goes stale under
/// the next read.
async fn after_submitting(client: &Client, submit: impl std::future::Future<Output = ()>) {
    let page = client.find(Locator::Css("html")).await.unwrap();
    submit.await;
    for _ in 0..150 {
        if page.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page was still there 15 s after its form was submitted");
}

async fn text(client: &Client, css: &str) -> String {
    wait_for(client, css).await.text().await.unwrap()
}

/// What someone who edits the page can do: post a hand-made form, with the page's own CSRF
/// token, to disable the owner's 2FA (the page offers no button for it).
const FORGED_OWNER_RESET: &str = r#"
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/admin/users/owner/2fa/disable';
    const token = document.createElement('input');
    token.name = 'csrf_token';
    token.value = document.querySelector('input[name=csrf_token]').value;
    form.appendChild(token);
    document.body.appendChild(form);
    form.submit();
"#;

#[tokio::test(flavor = "multi_thread")]
async fn chromium_walks_the_enforced_mfa_story_and_the_admins_refusals_reach_the_audit_page() {
    let app = spawn_app().await;
    acme(&app);
    let boss = [
        "user",
        "add",
        "boss",
        "--tenant",
        "acme",
        "--role",
        "admin",
        "--manage-users",
        "--password-stdin",
    ];
    let added = app.cli(&boss, Some(PASSWORD));
    assert!(added.status.success(), "{}", describe(&added));
    let (_people_driver, people) = chromium().await;
    let (_admin_driver, admin) = chromium().await;

    // The owner switches on Enforced MFA.
    sign_in_as(&people, &app, "owner").await;
    wait_for(&people, "table.files").await;
    open(&people, &app, "/admin/security").await;
    click(&people, "#enforce_mfa").await;
    let save = click(
        &people,
        "form[action='/admin/security'] button[type=submit]",
    );
    after_submitting(&people, save).await;
    wait_for(&people, "#enforce_mfa").await;
    let switch_after_save = people
        .find(Locator::Css("#enforce_mfa"))
        .await
        .unwrap()
        .is_selected()
        .await
        .unwrap();
    let tenant = user_row(&app, "owner").await.tenant();
    let enforced = app.store.tenant_settings(tenant).await.unwrap().enforce_mfa;

    // The member is held at enrolment and enrols from the QR page.
    sign_in_as(&people, &app, "alice").await;
    wait_for(&people, "#enroll-totp").await;
    let alice_held_at = path(&people).await;
    click(&people, "#enroll-totp").await;
    confirm_totp(&people, fresh_step()).await;
    wait_for(&people, "table.files").await;
    let alice_factors_enrolled = factors(&app, "alice").await;

    // The admin enrols too, then disables the member's 2FA from the users page.
    sign_in_as(&admin, &app, "boss").await;
    wait_for(&admin, "#enroll-totp").await;
    click(&admin, "#enroll-totp").await;
    confirm_totp(&admin, fresh_step()).await;
    wait_for(&admin, "table.files").await;
    open(&admin, &app, "/admin/users").await;
    click(
        &admin,
        "tr[data-user='alice'] button[data-action='disable-2fa']",
    )
    .await;
    wait_for(&admin, "tr[data-user='alice'][data-second-factor='none']").await;
    let back_on = path(&admin).await;
    let alice_factors_after = factors(&app, "alice").await;

    // The member logs in with the password alone and is sent to enrol again.
    sign_in_as(&people, &app, "alice").await;
    wait_for(&people, "#enroll-totp").await;
    let alice_sent_to = path(&people).await;

    // The admin forges a reset of the owner's 2FA, then opens Security: both refused.
    let forge = async {
        admin.execute(FORGED_OWNER_RESET, vec![]).await.unwrap();
    };
    after_submitting(&admin, forge).await;
    let owner_refusal = text(&admin, "main").await;
    open(&admin, &app, "/admin/security").await;
    let security_refusal = text(&admin, "main").await;
    let admin_form = admin.find(Locator::Css("#enforce_mfa")).await;
    open(&admin, &app, "/admin/audit?kind=admin_refused").await;
    let rows = admin
        .find_all(Locator::Css("tr[data-kind='admin_refused']"))
        .await
        .unwrap();
    let mut audit = Vec::new();
    for row in rows {
        audit.push(row.text().await.unwrap());
    }
    admin.close().await.unwrap();
    people.close().await.unwrap();

    assert!(switch_after_save, "the saved page shows Enforced MFA on");
    assert!(enforced, "the tenant's settings hold Enforced MFA on");
    assert_eq!(alice_held_at, "/enroll", "the member is held at enrolment");
    assert_eq!(alice_factors_enrolled, 1, "the member enrolled one factor");
    assert_eq!(back_on, "/admin/users");
    assert_eq!(alice_factors_after, 0, "every factor of the member is gone");
    assert_eq!(alice_sent_to, "/enroll", "the member must enrol again");
    assert!(
        owner_refusal.contains("403") && owner_refusal.contains("only be changed by the owner"),
        "the admin sees why the owner's 2FA stays: {owner_refusal}"
    );
    assert!(
        security_refusal.contains("403") && security_refusal.contains("only the tenant owner"),
        "the admin sees why Security is closed: {security_refusal}"
    );
    assert!(admin_form.is_err(), "admins do not get the settings form");
    assert!(
        audit
            .iter()
            .any(|r| r.contains("boss") && r.contains("owner") && r.contains("disable two-factor")),
        "the forged owner reset is in the audit page: {audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|r| r.contains("boss") && r.contains("change security settings")),
        "the Security refusal is in the audit page: {audit:?}"
    );
}
