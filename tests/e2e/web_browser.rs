//! Real headless Chromium through chromedriver (fantoccini): the journeys a person takes.
//! Enrol TOTP from the QR page, log out, log in with a code, upload and download a file;
//! and the forced-enrolment journey under Enforced MFA.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use gatehouse_tests::{TestApp, spawn_app};
use serde_json::json;

use crate::web_support::{PASSWORD, acme, code_at, enforce_mfa, fresh_step};

/// A chromedriver we started, stopped (by its own id) when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

pub(crate) async fn chromium() -> (Driver, Client) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("/usr/bin/chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver should be installed at /usr/bin/chromedriver");
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        port,
        _profile: profile,
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", driver.port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        &format!("--user-data-dir={}", driver._profile.path().display()),
    ];
    let mut caps = serde_json::Map::new();
    let options = json!({ "binary": "/usr/bin/chromium", "args": args });
    caps.insert("goog:chromeOptions".to_owned(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session");
    (driver, client)
}

pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub(crate) async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap()
}

pub(crate) async fn path(client: &Client) -> String {
    client.current_url().await.unwrap().path().to_owned()
}

async fn sign_in(client: &Client, app: &TestApp) {
    client
        .goto(&format!("http://{}/login", app.web))
        .await
        .unwrap();
    fill(client, "input[name=username]", "alice").await;
    fill(client, "input[name=password]", PASSWORD).await;
    click(client, "button[type=submit]").await;
}

/// Reads the secret from the TOTP page, types the code of `step`, and continues past the
/// recovery codes; returns the secret.
pub(crate) async fn confirm_totp(client: &Client, step: i64) -> String {
    let secret_element = wait_for(client, "[data-totp-secret]").await;
    let secret = secret_element
        .attr("data-totp-secret")
        .await
        .unwrap()
        .unwrap();
    let qr = client.find(Locator::Css(".qr img")).await.unwrap();
    let src = qr.attr("src").await.unwrap().unwrap();
    assert!(
        src.starts_with("data:image/svg+xml;base64,"),
        "the QR code is drawn: {src}"
    );
    fill(client, "input[name=code]", &code_at(&secret, step)).await;
    click(client, "main button[type=submit]").await;
    wait_for(client, "[data-recovery-code]").await;
    let codes = client
        .find_all(Locator::Css("[data-recovery-code]"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10, "ten recovery codes are shown");
    click(client, "#continue").await;
    secret
}

#[tokio::test(flavor = "multi_thread")]
async fn chromium_enrols_totp_logs_in_with_a_code_and_moves_a_file_both_ways() {
    let app = spawn_app().await;
    acme(&app);
    let (_driver, client) = chromium().await;

    sign_in(&client, &app).await;
    wait_for(&client, "table.files").await;
    client
        .goto(&format!("http://{}/profile", app.web))
        .await
        .unwrap();
    click(&client, "#enable-totp").await;
    let step = fresh_step();
    let secret = confirm_totp(&client, step - 1).await;
    wait_for(&client, "#twofa-state").await;
    let state = client
        .find(Locator::Css("#twofa-state"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    click(&client, "#logout").await;
    wait_for(&client, "input[name=username]").await;
    sign_in(&client, &app).await;
    wait_for(&client, "#totp-form").await;
    let at_second_step = path(&client).await;
    fill(
        &client,
        "#totp-form input[name=code]",
        &code_at(&secret, step),
    )
    .await;
    click(&client, "#totp-form button").await;
    wait_for(&client, "table.files").await;
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("hello.txt");
    std::fs::write(&local, b"uploaded from Chromium\n").unwrap();
    fill(&client, "#upload-file", local.to_str().unwrap()).await;
    click(&client, "#upload-form button").await;
    let link = wait_for(&client, "tr[data-name='hello.txt'] a.download").await;
    let href = link.attr("href").await.unwrap().unwrap();
    let cookie = client.get_named_cookie("gatehouse_session").await.unwrap();
    let download = reqwest::Client::new()
        .get(format!("http://{}{href}", app.web))
        .header("cookie", format!("gatehouse_session={}", cookie.value()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    client.close().await.unwrap();

    assert_eq!(state, "On", "the profile shows 2FA on");
    assert_eq!(at_second_step, "/login/2fa");
    let on_disk = std::fs::read(app.tenant_dir("acme").join("home/alice/hello.txt")).unwrap();
    assert_eq!(on_disk, b"uploaded from Chromium\n");
    assert_eq!(
        &download[..],
        b"uploaded from Chromium\n",
        "the download matches"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn chromium_is_held_at_enrolment_under_enforced_mfa_until_a_factor_is_confirmed() {
    let app = spawn_app().await;
    acme(&app);
    enforce_mfa(&app, true);
    let (_driver, client) = chromium().await;

    sign_in(&client, &app).await;
    wait_for(&client, "#enroll-totp").await;
    let held_at = path(&client).await;
    client
        .goto(&format!("http://{}/files", app.web))
        .await
        .unwrap();
    wait_for(&client, "#enroll-totp").await;
    let files_redirected_to = path(&client).await;
    click(&client, "#enroll-totp").await;
    confirm_totp(&client, fresh_step()).await;
    wait_for(&client, "table.files").await;
    let finally = path(&client).await;
    client.close().await.unwrap();

    assert_eq!(held_at, "/enroll");
    assert_eq!(
        files_redirected_to, "/enroll",
        "files are out of reach before enrolment"
    );
    assert_eq!(finally, "/files", "confirming a factor leads into the app");
}
