//! Administration, end to end over HTTP: the whole Enforced MFA story, with refusals that
//! reach both the person refused and the audit log, and SFTP untouched throughout.

use gatehouse_core::ids::Username;
use gatehouse_tests::{TestApp, describe, spawn_app};
use reqwest::StatusCode;

use crate::web_support::{Browser, PASSWORD, acme, code_at, fresh_step};

async fn factors(app: &TestApp, name: &str) -> usize {
    let user = app
        .store
        .find_user(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap();
    app.store
        .confirmed_factors(user.user_id())
        .await
        .unwrap()
        .len()
}

fn sftp_works(app: &TestApp, user: &str) {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("report.csv"), user).unwrap();
    let out = app.sftp_password(user, PASSWORD, "put report.csv\n", work.path());
    assert!(
        out.status.success(),
        "{user} must still upload by SFTP with a password: {}",
        describe(&out)
    );
}

async fn refusals(app: &TestApp, actor: &str) -> Vec<String> {
    let owner = app
        .store
        .find_user(&Username::parse("owner").unwrap())
        .await
        .unwrap()
        .unwrap();
    let events = app
        .store
        .audit_events(Some(owner.tenant()), 500)
        .await
        .unwrap();
    events
        .into_iter()
        .filter(|e| e.kind == "admin_refused" && e.actor == actor)
        .map(|e| e.detail)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_enforced_mfa_story_from_switch_to_operator_reset() {
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
    assert!(app.cli(&boss, Some(PASSWORD)).status.success());

    // The owner switches on Enforced MFA; their own session carries on.
    let owner = Browser::new(&app);
    assert!(owner.login("owner", PASSWORD).await.redirects_to("/files"));
    let form = [
        ("enforce_mfa", "on"),
        ("password_min_length", "12"),
        ("lockout_max_failures", "5"),
        ("lockout_window_minutes", "5"),
        ("lockout_duration_minutes", "15"),
        ("allow_totp", "on"),
    ];
    let saved = owner
        .submit("/admin/security", "/admin/security", &form)
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    assert!(
        saved.body.contains("id=\"enforce_mfa\" checked"),
        "the switch shows on"
    );
    owner.enrol_totp("/profile/2fa/totp").await;

    // A member without 2FA is held at enrolment, enrols, then loses the phone.
    let alice = Browser::new(&app);
    assert!(alice.login("alice", PASSWORD).await.redirects_to("/enroll"));
    assert_eq!(
        alice.get("/files").await.location.as_deref(),
        Some("/enroll")
    );
    alice.enrol_totp("/enroll/totp").await;
    assert_eq!(factors(&app, "alice").await, 1);

    // The admin (held at enrolment too) enrols, then disables the member's 2FA.
    let admin = Browser::new(&app);
    assert!(admin.login("boss", PASSWORD).await.redirects_to("/enroll"));
    admin.enrol_totp("/enroll/totp").await;
    let users = admin.get("/admin/users").await;
    assert!(
        users
            .body
            .contains("data-user=\"alice\" data-second-factor=\"totp\""),
        "{}",
        users.body
    );
    let disabled = admin
        .submit("/admin/users", "/admin/users/alice/2fa/disable", &[])
        .await;
    assert!(disabled.redirects_to("/admin/users"), "{disabled:?}");
    assert_eq!(
        factors(&app, "alice").await,
        0,
        "every factor of alice is gone"
    );
    assert_eq!(
        alice.get("/files").await.location.as_deref(),
        Some("/login"),
        "her sessions ended"
    );

    // The member logs in with the password alone and is sent to enrol again.
    let again = Browser::new(&app);
    assert!(again.login("alice", PASSWORD).await.redirects_to("/enroll"));

    // The admin tries the owner's 2FA and the security settings: refused, visibly and audited.
    let owner_2fa = admin
        .submit("/admin/users", "/admin/users/owner/2fa/disable", &[])
        .await;
    let settings_page = admin.get("/admin/security").await;
    let forged = admin.submit("/admin/users", "/admin/security", &form).await;
    assert_eq!(owner_2fa.status, StatusCode::FORBIDDEN);
    assert!(
        owner_2fa.body.contains("owner"),
        "the refusal says why: {}",
        owner_2fa.body
    );
    assert_eq!(
        settings_page.status,
        StatusCode::FORBIDDEN,
        "admins do not get the form"
    );
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(factors(&app, "owner").await, 1, "the owner's factor stays");
    let refused = refusals(&app, "boss").await;
    assert!(
        refused.iter().any(|d| d.contains("disable two-factor")),
        "{refused:?}"
    );
    assert!(
        refused
            .iter()
            .any(|d| d.contains("change security settings")),
        "{refused:?}"
    );
    let audit = admin.get("/admin/audit?kind=admin_refused").await;
    assert!(
        audit.body.matches("data-kind=\"admin_refused\"").count() >= 2,
        "visible in the audit page"
    );

    // The operator resets the owner, who enrols again at the next login.
    let reset = app.cli(&["support", "reset-mfa", "owner"], None);
    assert!(reset.status.success(), "{}", describe(&reset));
    assert_eq!(factors(&app, "owner").await, 0);
    let owner_again = Browser::new(&app);
    assert!(
        owner_again
            .login("owner", PASSWORD)
            .await
            .redirects_to("/enroll")
    );

    for user in ["owner", "alice", "boss"] {
        sftp_works(&app, user);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn members_and_admins_without_the_permission_see_only_what_the_role_table_allows() {
    let app = spawn_app().await;
    acme(&app);
    let aud = [
        "user",
        "add",
        "aud",
        "--tenant",
        "acme",
        "--role",
        "admin",
        "--password-stdin",
    ];
    assert!(app.cli(&aud, Some(PASSWORD)).status.success());
    let member = Browser::new(&app);
    assert!(member.login("alice", PASSWORD).await.redirects_to("/files"));
    let auditor = Browser::new(&app);
    assert!(auditor.login("aud", PASSWORD).await.redirects_to("/files"));

    let member_users = member.get("/admin/users").await;
    let member_audit = member.get("/admin/audit").await;
    let auditor_users = auditor.get("/admin/users").await;
    let auditor_audit = auditor.get("/admin/audit").await;
    let csv = auditor.get("/admin/audit?format=csv&user=alice").await;

    assert_eq!(member_users.status, StatusCode::FORBIDDEN);
    assert_eq!(member_audit.status, StatusCode::FORBIDDEN);
    assert_eq!(
        auditor_users.status,
        StatusCode::FORBIDDEN,
        "no manage-users permission"
    );
    assert_eq!(auditor_audit.status, StatusCode::OK);
    assert!(
        csv.body
            .starts_with("at,kind,outcome,protocol,actor,subject,peer,detail"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains(",login,success,web,alice,"),
        "alice's web login is exported: {}",
        csv.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_hands_the_tenant_over_only_with_a_second_factor_from_the_last_minutes() {
    let app = spawn_app().await;
    acme(&app);
    let owner = Browser::new(&app);
    assert!(owner.login("owner", PASSWORD).await.redirects_to("/files"));
    let security = owner.get("/admin/security").await;
    assert!(
        security.body.contains("action=\"/admin/transfer\""),
        "the owner gets the transfer form: {}",
        security.body
    );

    let without_factor = owner
        .submit(
            "/admin/security",
            "/admin/transfer",
            &[("username", "alice")],
        )
        .await;
    let roles_after_refusal = (role(&app, "owner").await, role(&app, "alice").await);
    let (secret, _) = owner.enrol_totp("/profile/2fa/totp").await;
    owner.logout().await;
    assert!(
        owner
            .login("owner", PASSWORD)
            .await
            .redirects_to("/login/2fa")
    );
    let code = code_at(&secret, fresh_step());
    let signed_in = owner.second_factor("totp", &code).await;
    assert!(signed_in.redirects_to("/files"), "{signed_in:?}");
    let handed_over = owner
        .submit(
            "/admin/security",
            "/admin/transfer",
            &[("username", "alice")],
        )
        .await;

    assert_eq!(without_factor.status, StatusCode::FORBIDDEN);
    assert!(
        without_factor.body.contains("log in") && without_factor.body.contains("with a code"),
        "the refusal says to log in again with a code: {}",
        without_factor.body
    );
    assert_eq!(
        roles_after_refusal,
        ("owner".to_owned(), "member".to_owned()),
        "a refused transfer changes no role"
    );
    assert!(
        refusals(&app, "owner")
            .await
            .iter()
            .any(|d| d.contains("transfer ownership")),
        "the refusal is audited"
    );
    assert!(handed_over.redirects_to("/admin/users"), "{handed_over:?}");
    assert_eq!(role(&app, "alice").await, "owner", "alice owns the tenant");
    assert_eq!(
        role(&app, "owner").await,
        "admin",
        "the old owner is an admin"
    );
    let old_owner = app
        .store
        .find_user(&Username::parse("owner").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(old_owner.manage_users, "the old owner still manages users");
}

async fn role(app: &TestApp, name: &str) -> String {
    let user = app
        .store
        .find_user(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap();
    user.role
}

#[tokio::test(flavor = "multi_thread")]
async fn a_completed_web_login_is_stamped_and_shown_on_the_users_page() {
    let app = spawn_app().await;
    acme(&app);
    let before_any_login = user(&app, "alice").await.last_web_login_at;
    let started = chrono::Utc::now();

    let alice = Browser::new(&app);
    assert!(alice.login("alice", PASSWORD).await.redirects_to("/files"));
    let owner = Browser::new(&app);
    assert!(owner.login("owner", PASSWORD).await.redirects_to("/files"));
    let users = owner.get("/admin/users").await;

    assert_eq!(before_any_login, None, "no web login yet");
    let stamped = user(&app, "alice")
        .await
        .last_web_login_at
        .expect("the completed login is stamped");
    let within = started - chrono::Duration::seconds(1)..=chrono::Utc::now();
    assert!(
        within.contains(&stamped),
        "stamped at login time: {stamped}"
    );
    let shown = stamped.format("%Y-%m-%d %H:%M UTC").to_string();
    let row_start = users.body.find("data-user=\"alice\"").unwrap();
    let row = &users.body[row_start..row_start + users.body[row_start..].find("</tr>").unwrap()];
    assert!(row.contains(&shown), "the users page shows it: {row}");
}

async fn user(app: &TestApp, name: &str) -> gatehouse_core::entity::user::Model {
    app.store
        .find_user(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_method_the_owner_disallows_cannot_be_enrolled() {
    let app = spawn_app().await;
    acme(&app);
    let owner = Browser::new(&app);
    assert!(owner.login("owner", PASSWORD).await.redirects_to("/files"));
    let form = [
        ("password_min_length", "12"),
        ("lockout_max_failures", "5"),
        ("lockout_window_minutes", "5"),
        ("lockout_duration_minutes", "15"),
        ("allow_sms", "on"),
    ];
    let saved = owner
        .submit("/admin/security", "/admin/security", &form)
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    let member = Browser::new(&app);
    assert!(member.login("alice", PASSWORD).await.redirects_to("/files"));

    let page = member.get("/profile/2fa/totp").await;

    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{page:?}");
    assert!(
        !page.body.contains("data-totp-secret"),
        "no secret is handed out"
    );
    let alice = app
        .store
        .find_user(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    let method = gatehouse_core::store::second_factors::Method::Totp;
    let factor = app.store.factor(alice.user_id(), method).await.unwrap();
    assert!(
        factor.is_none(),
        "nothing was stored for a disallowed method"
    );
}
