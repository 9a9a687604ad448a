//! The file browser: upload (large, streamed), download, new folder, rename and delete,
//! through the same jail as SFTP.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::web_support::{Browser, PASSWORD, acme};
use gatehouse_tests::{describe, spawn_app};

async fn upload(
    browser: &Browser,
    folder: &str,
    name: &str,
    data: Vec<u8>,
) -> crate::web_support::Page {
    let csrf = browser.get(&format!("/files?path={folder}")).await.csrf();
    let form = Form::new().part("file", Part::bytes(data).file_name(name.to_owned()));
    let url = browser.url(&format!("/files/upload?path={folder}&csrf_token={csrf}"));
    Browser::read(browser.http.post(url).multipart(form).send().await.unwrap()).await
}

#[tokio::test]
async fn a_large_upload_lands_on_disk_and_downloads_byte_for_byte() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let data: Vec<u8> = (0..12 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();

    let up = upload(&browser, "/", "big.bin", data.clone()).await;
    let down = browser
        .http
        .get(browser.url("/files/download?path=/big.bin"))
        .send()
        .await
        .unwrap();
    let disposition = down.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = down.bytes().await.unwrap();

    assert_eq!(up.status, StatusCode::SEE_OTHER, "{up:?}");
    let on_disk = std::fs::read(app.tenant_dir("acme").join("home/alice/big.bin")).unwrap();
    assert!(on_disk == data, "the file on disk is what was sent");
    assert!(body == data, "the download is what was sent");
    assert!(
        disposition.starts_with("attachment; filename=\"big.bin\""),
        "{disposition}"
    );
}

#[tokio::test]
async fn folders_can_be_made_and_files_renamed_and_deleted() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    let home = app.tenant_dir("acme").join("home/alice");

    browser
        .submit(
            "/files",
            "/files/mkdir",
            &[("path", "/"), ("name", "reports")],
        )
        .await;
    upload(&browser, "/reports", "q1.csv", b"a,b\n".to_vec()).await;
    let listing = browser.get("/files?path=/reports").await;
    browser
        .submit(
            "/files",
            "/files/rename",
            &[("path", "/reports"), ("from", "q1.csv"), ("to", "q2.csv")],
        )
        .await;
    let renamed = home.join("reports/q2.csv").is_file();
    browser
        .submit(
            "/files",
            "/files/delete",
            &[("path", "/reports"), ("name", "q2.csv")],
        )
        .await;

    assert!(
        listing.body.contains("data-name=\"q1.csv\""),
        "{}",
        listing.body
    );
    assert!(renamed, "rename moved the file");
    assert!(home.join("reports").is_dir(), "the folder exists");
    assert!(
        !home.join("reports/q2.csv").exists(),
        "delete removed the file"
    );
}

#[tokio::test]
async fn paths_cannot_leave_the_users_root() {
    let app = spawn_app().await;
    acme(&app);
    std::fs::write(app.tenant_dir("acme").join("secret.txt"), b"owner only").unwrap_or_default();
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;

    let escape = browser.get("/files/download?path=/../../secret.txt").await;
    let traversal = upload(&browser, "/..", "../../x.txt", b"x".to_vec()).await;

    assert_eq!(escape.status, StatusCode::NOT_FOUND, "{escape:?}");
    assert_ne!(
        traversal.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{traversal:?}"
    );
    assert!(
        !app.tenant_dir("acme").join("x.txt").exists(),
        "nothing outside alice's home"
    );
    assert!(!app.tenant_dir("acme").join("home/x.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_uploaded_on_the_web_is_there_by_sftp() {
    let app = spawn_app().await;
    acme(&app);
    let browser = Browser::new(&app);
    browser.login("alice", PASSWORD).await;
    upload(
        &browser,
        "/",
        "from-web.txt",
        b"hello from the browser\n".to_vec(),
    )
    .await;
    let work = tempfile::tempdir().unwrap();

    let out = app.sftp_password("alice", PASSWORD, "get from-web.txt\n", work.path());

    assert!(out.status.success(), "{}", describe(&out));
    let fetched = std::fs::read(work.path().join("from-web.txt")).unwrap();
    assert_eq!(fetched, b"hello from the browser\n");
}
