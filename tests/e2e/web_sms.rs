//! SMS through the Twilio Verify v2 client, against a local fake of its two endpoints:
//! enrolment, login with a texted code, a wrong code, the resend throttle, and SMS not
//! being offered without a provider.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Form, Json, Router};
use gatehouse_core::config::{SecretText, SmsProviderKind};
use gatehouse_tests::{TestApp, spawn_app, spawn_app_with};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::web_support::{Browser, PASSWORD, acme};

const PHONE: &str = "+15551234567";

/// What the fake saw and which code it would accept per number.
#[derive(Clone, Default)]
struct Fake {
    codes: Arc<Mutex<HashMap<String, String>>>,
    sent: Arc<Mutex<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Start {
    to: String,
    channel: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Check {
    to: String,
    code: String,
}

fn authorised(headers: &HeaderMap) -> bool {
    // Basic base64("AC123:token-456").
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Basic QUMxMjM6dG9rZW4tNDU2")
}

async fn start(
    State(fake): State<Fake>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Start>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) || sid != "VA789" || form.channel != "sms" {
        return (StatusCode::UNAUTHORIZED, Json(json!({"code": 20003})));
    }
    let code = format!("{:06}", 100_000 + fake.sent.lock().unwrap().len() * 7);
    fake.codes.lock().unwrap().insert(form.to.clone(), code);
    fake.sent.lock().unwrap().push(form.to);
    (StatusCode::CREATED, Json(json!({"status": "pending"})))
}

async fn check(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Form(form): Form<Check>,
) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"code": 20003})));
    }
    let mut codes = fake.codes.lock().unwrap();
    match codes.get(&form.to) {
        None => (StatusCode::NOT_FOUND, Json(json!({"code": 20404}))),
        Some(code) if *code == form.code => {
            codes.remove(&form.to);
            (StatusCode::OK, Json(json!({"status": "approved"})))
        }
        Some(_) => (StatusCode::OK, Json(json!({"status": "pending"}))),
    }
}

async fn spawn_fake() -> (Fake, SocketAddr) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/v2/Services/{sid}/Verifications", post(start))
        .route("/v2/Services/{sid}/VerificationCheck", post(check))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (fake, addr)
}

async fn app_with_twilio(fake: SocketAddr, resend_secs: i64) -> TestApp {
    spawn_app_with(|config| {
        config.sms.provider = SmsProviderKind::Twilio;
        config.sms.twilio_base_url = format!("http://{fake}");
        config.sms.twilio_account_sid = "AC123".to_owned();
        config.sms.twilio_auth_token = SecretText("token-456".to_owned());
        config.sms.twilio_service_sid = "VA789".to_owned();
        config.sms.resend_interval_secs = resend_secs;
    })
    .await
}

fn last_code(fake: &Fake) -> String {
    fake.codes.lock().unwrap()[PHONE].clone()
}

#[tokio::test]
async fn a_user_enrols_a_phone_and_logs_in_with_a_texted_code() {
    let (fake, addr) = spawn_fake().await;
    let app = app_with_twilio(addr, 0).await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;

    let asked = browser
        .submit(
            "/profile/2fa/sms",
            "/profile/2fa/sms",
            &[("phone", "+1 555 123 4567")],
        )
        .await;
    let code = last_code(&fake);
    let enrolled = browser
        .submit("/profile/2fa/sms", "/profile/2fa/sms", &[("code", &code)])
        .await;
    browser.logout().await;
    let login = browser.login("alice", PASSWORD).await;
    browser.submit("/login/2fa", "/login/2fa/sms", &[]).await;
    let wrong = browser.second_factor("sms", "999999").await;
    let right = browser.second_factor("sms", &last_code(&fake)).await;

    assert!(asked.body.contains("We sent a code"), "{}", asked.body);
    assert_eq!(enrolled.recovery_codes().len(), 10, "{}", enrolled.body);
    assert!(login.redirects_to("/login/2fa"), "{login:?}");
    assert!(wrong.body.contains("That code did not work"), "{wrong:?}");
    assert!(right.redirects_to("/files"), "{right:?}");
    assert_eq!(
        *fake.sent.lock().unwrap(),
        vec![PHONE.to_owned(), PHONE.to_owned()]
    );
    let profile = browser.get("/profile").await;
    assert!(
        profile.body.contains("on (+…67)"),
        "the masked number: {}",
        profile.body
    );
}

#[tokio::test]
async fn a_second_code_within_the_resend_interval_is_not_sent() {
    let (fake, addr) = spawn_fake().await;
    let app = app_with_twilio(addr, 60).await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    browser
        .submit("/profile/2fa/sms", "/profile/2fa/sms", &[("phone", PHONE)])
        .await;

    let again = browser
        .submit("/profile/2fa/sms", "/profile/2fa/sms", &[("phone", PHONE)])
        .await;

    assert!(again.body.contains("moments ago"), "{}", again.body);
    assert_eq!(fake.sent.lock().unwrap().len(), 1, "only one text went out");
}

#[tokio::test]
async fn an_invalid_number_is_refused_and_nothing_is_sent() {
    let (fake, addr) = spawn_fake().await;
    let app = app_with_twilio(addr, 0).await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;

    let page = browser
        .submit(
            "/profile/2fa/sms",
            "/profile/2fa/sms",
            &[("phone", "0555 1234")],
        )
        .await;

    assert!(page.body.contains("international form"), "{}", page.body);
    assert!(fake.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn without_a_provider_sms_is_not_offered() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;

    let profile = browser.get("/profile").await;
    let sms = browser.get("/profile/2fa/sms").await;

    assert!(
        profile.body.contains("id=\"enable-totp\""),
        "{}",
        profile.body
    );
    assert!(
        !profile.body.contains("id=\"enable-sms\""),
        "{}",
        profile.body
    );
    assert!(sms.body.contains("not available"), "{}", sms.body);
}
