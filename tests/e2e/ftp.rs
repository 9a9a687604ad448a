//! FTP and FTPS with real clients (`lftp`, `curl`): files move both ways byte for byte, folders
//! are listed, made, removed and renamed, 2FA never applies, the jail holds, and refused logins
//! are audited.

use std::path::Path;
use std::process::{Command, Output};

use chrono::Utc;
use gatehouse_core::entity::audit_event;
use gatehouse_core::ids::Username;
use gatehouse_core::store::second_factors::Method;
use gatehouse_tests::{TestApp, describe, random_file, spawn_app, spawn_app_with};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::support::PASSWORD;

/// lftp settings for every run: fail fast instead of retrying a refused login forever.
const LFTP_BASE: &str = "set net:max-retries 1; set net:reconnect-interval-base 1; \
    set net:timeout 10; set cmd:fail-exit true";
const LFTP_PLAIN: &str = "set ftp:ssl-allow no";
const LFTP_TLS: &str = "set ftp:ssl-force true; set ftp:ssl-protect-data true; \
    set ssl:verify-certificate no";

async fn spawn_ftp_app(require_tls: Option<bool>) -> TestApp {
    spawn_app_with(|config| {
        config.ftp.enabled = true;
        config.ftp.require_tls = require_tls;
    })
    .await
}

fn cli_ok(app: &TestApp, args: &[&str]) {
    let out = app.cli(args, None);
    assert!(
        out.status.success(),
        "gatehouse {args:?}: {}",
        describe(&out)
    );
}

/// Tenant `acme` with owner `alice`, FTP switched on for her.
fn acme_with_ftp(app: &TestApp) {
    app.create_tenant("acme", "alice", PASSWORD);
    cli_ok(app, &["user", "set", "alice", "--ftp", "true"]);
}

fn lftp(app: &TestApp, user: &str, password: &str, mode: &str, script: &str, cwd: &Path) -> Output {
    let port = app.ftp.unwrap().port().to_string();
    Command::new("lftp")
        .args(["-u", &format!("{user},{password}"), "-p", &port, "-e"])
        .arg(format!("{LFTP_BASE}; {mode}; {script}; bye"))
        .arg("127.0.0.1")
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn curl(app: &TestApp, user: &str, password: &str, args: &[&str], url_path: &str) -> Output {
    let url = format!("ftp://127.0.0.1:{}/{url_path}", app.ftp.unwrap().port());
    Command::new("curl")
        .args(["-sS", "--path-as-is", "--max-time", "20", "--user"])
        .arg(format!("{user}:{password}"))
        .args(args)
        .arg(url)
        .output()
        .unwrap()
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ftp_is_off_unless_switched_on_in_config() {
    let app = spawn_app().await;

    let addr = app.ftp;

    assert!(
        addr.is_none(),
        "FTP must not listen unless ftp.enabled is set"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn curl_uploads_and_downloads_byte_for_byte_over_ftp_and_ftps() {
    let app = spawn_ftp_app(None).await;
    acme_with_ftp(&app);
    let local = app.dir.path().join("local.bin");
    random_file(&local, 700_000);
    let local_arg = local.to_str().unwrap();

    let plain_up = curl(&app, "alice", PASSWORD, &["-T", local_arg], "plain.bin");
    let tls_up = curl(
        &app,
        "alice",
        PASSWORD,
        &["--ssl-reqd", "-k", "-T", local_arg],
        "tls.bin",
    );
    let plain_back = app.dir.path().join("plain-back.bin");
    let tls_back = app.dir.path().join("tls-back.bin");
    let plain_down = curl(
        &app,
        "alice",
        PASSWORD,
        &["-o", plain_back.to_str().unwrap()],
        "tls.bin",
    );
    let tls_args = ["--ssl-reqd", "-k", "-o", tls_back.to_str().unwrap()];
    let tls_down = curl(&app, "alice", PASSWORD, &tls_args, "plain.bin");

    for out in [&plain_up, &tls_up, &plain_down, &tls_down] {
        assert!(
            out.status.success(),
            "curl should succeed: {}",
            describe(out)
        );
    }
    let on_disk = app.tenant_dir("acme");
    assert!(
        same_bytes(&local, &on_disk.join("plain.bin")),
        "plain upload must be exact"
    );
    assert!(
        same_bytes(&local, &on_disk.join("tls.bin")),
        "FTPS upload must be exact"
    );
    assert!(
        same_bytes(&local, &plain_back),
        "plain download must be exact"
    );
    assert!(same_bytes(&local, &tls_back), "FTPS download must be exact");
}

#[tokio::test(flavor = "multi_thread")]
async fn lftp_moves_files_both_ways_over_ftp_and_ftps() {
    let app = spawn_ftp_app(None).await;
    acme_with_ftp(&app);
    let work = app.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    random_file(&work.join("up.bin"), 1_300_000);

    let plain = lftp(
        &app,
        "alice",
        PASSWORD,
        LFTP_PLAIN,
        "put up.bin -o plain.bin; get plain.bin -o plain-back.bin",
        &work,
    );
    let tls = lftp(
        &app,
        "alice",
        PASSWORD,
        LFTP_TLS,
        "put up.bin -o tls.bin; get tls.bin -o tls-back.bin",
        &work,
    );

    assert!(
        plain.status.success(),
        "lftp over FTP: {}",
        describe(&plain)
    );
    assert!(tls.status.success(), "lftp over FTPS: {}", describe(&tls));
    let up = work.join("up.bin");
    let on_disk = app.tenant_dir("acme");
    assert!(
        same_bytes(&up, &on_disk.join("plain.bin")),
        "FTP upload must be exact"
    );
    assert!(
        same_bytes(&up, &on_disk.join("tls.bin")),
        "FTPS upload must be exact"
    );
    assert!(
        same_bytes(&up, &work.join("plain-back.bin")),
        "FTP download must be exact"
    );
    assert!(
        same_bytes(&up, &work.join("tls-back.bin")),
        "FTPS download must be exact"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lftp_lists_makes_and_removes_folders_and_renames_files() {
    let app = spawn_ftp_app(None).await;
    acme_with_ftp(&app);
    let work = app.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("a.txt"), "alpha\n").unwrap();

    let script = "mkdir docs; put a.txt -o docs/a.txt; mv docs/a.txt docs/b.txt; \
        mkdir gone; rmdir gone; mkdir old; mv old new; cls -1 docs; cls -1";
    let out = lftp(&app, "alice", PASSWORD, LFTP_TLS, script, &work);

    assert!(out.status.success(), "lftp session: {}", describe(&out));
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains("b.txt"),
        "the listing should show the renamed file: {listing}"
    );
    assert!(
        listing.contains("new"),
        "the listing should show the renamed folder: {listing}"
    );
    let root = app.tenant_dir("acme");
    assert_eq!(
        std::fs::read_to_string(root.join("docs/b.txt")).unwrap(),
        "alpha\n"
    );
    assert!(
        !root.join("docs/a.txt").exists(),
        "the old name must be gone after rename"
    );
    assert!(!root.join("gone").exists(), "rmdir must remove the folder");
    assert!(
        root.join("new").is_dir() && !root.join("old").exists(),
        "folder rename"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn users_with_totp_or_under_enforced_mfa_log_in_by_ftp_with_the_password_alone() {
    let app = spawn_ftp_app(None).await;
    acme_with_ftp(&app);
    app.add_user("acme", "bob", PASSWORD);
    cli_ok(&app, &["user", "set", "bob", "--ftp", "true"]);
    let alice = app
        .store
        .find_user(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    let factor = app
        .store
        .put_unconfirmed_factor(
            alice.user_id(),
            Method::Totp,
            Some("sealed".into()),
            None,
            Utc::now(),
        )
        .await
        .unwrap();
    assert!(
        app.store.confirm_factor(factor.id, 1).await.unwrap(),
        "TOTP should be confirmed"
    );
    cli_ok(&app, &["tenant", "set", "acme", "--enforce-mfa", "true"]);

    let with_totp = curl(&app, "alice", PASSWORD, &["--ssl-reqd", "-k", "-l"], "");
    let under_enforced = curl(&app, "bob", PASSWORD, &["--ssl-reqd", "-k", "-l"], "");

    assert!(
        with_totp.status.success(),
        "TOTP user by FTP: {}",
        describe(&with_totp)
    );
    assert!(
        under_enforced.status.success(),
        "Enforced MFA user: {}",
        describe(&under_enforced)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ftp_paths_cannot_leave_the_users_root_or_reach_a_sibling_tenant() {
    let app = spawn_ftp_app(None).await;
    acme_with_ftp(&app);
    app.create_tenant("globex", "gina", PASSWORD);
    app.add_user("acme", "bob", PASSWORD);
    cli_ok(&app, &["user", "set", "bob", "--ftp", "true"]);
    let globex = app.tenant_dir("globex");
    std::fs::create_dir_all(&globex).unwrap();
    std::fs::write(globex.join("secret.txt"), "globex-secret\n").unwrap();
    let bob_root = app.tenant_dir("acme").join("home/bob");
    std::fs::create_dir_all(&bob_root).unwrap();
    std::os::unix::fs::symlink(&globex, bob_root.join("sibling")).unwrap();
    std::os::unix::fs::symlink("../../../globex", bob_root.join("climb")).unwrap();
    std::os::unix::fs::symlink("/etc", bob_root.join("etc")).unwrap();
    let work = app.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("x.txt"), "mine\n").unwrap();

    let mut outputs = Vec::new();
    for path in [
        "../../../globex/secret.txt",
        "/../globex/secret.txt",
        "sibling/secret.txt",
        "climb/secret.txt",
        "etc/hostname",
    ] {
        outputs.push((path, curl(&app, "bob", PASSWORD, &["-o", "-"], path)));
    }
    outputs.push((
        "list sibling",
        curl(&app, "bob", PASSWORD, &["-l"], "sibling/"),
    ));
    let script = "cd ..; cd ..; put x.txt -o escaped.txt; put x.txt -o ../../../../x-out.txt";
    let upload = lftp(&app, "bob", PASSWORD, LFTP_PLAIN, script, &work);

    for (path, out) in &outputs {
        assert!(
            !out.status.success(),
            "{path} must be refused: {}",
            describe(out)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            !text.contains("globex-secret") && !text.contains("secret.txt"),
            "{path}: {text}"
        );
    }
    assert!(
        upload.status.success(),
        "uploads clamp into the root: {}",
        describe(&upload)
    );
    assert!(
        bob_root.join("escaped.txt").is_file(),
        "`cd ..` at the root stays at the root"
    );
    assert!(
        bob_root.join("x-out.txt").is_file(),
        "`..` in a name is clamped at the root"
    );
    let storage = app.config.storage_root();
    assert!(!storage.join("escaped.txt").exists() && !storage.join("x-out.txt").exists());
    assert!(
        !app.tenant_dir("acme").join("escaped.txt").exists(),
        "nothing lands above bob"
    );
}

async fn ftp_login_events(app: &TestApp) -> Vec<String> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Kind.eq("login"))
        .filter(audit_event::Column::Protocol.eq("ftp"))
        .all(app.store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|event| format!("{} {} {}", event.actor, event.outcome, event.detail))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_and_users_without_ftp_are_refused_and_audited() {
    let app = spawn_ftp_app(None).await;
    acme_with_ftp(&app);
    app.add_user("acme", "bob", PASSWORD);

    let wrong = curl(&app, "alice", "not-the-password", &["-l"], "");
    let switched_off = curl(&app, "bob", PASSWORD, &["-l"], "");
    let right = curl(&app, "alice", PASSWORD, &["-l"], "");

    assert!(!wrong.status.success(), "a wrong password must be refused");
    assert!(
        !switched_off.status.success(),
        "a user without FTP access must be refused"
    );
    assert!(
        right.status.success(),
        "the right password works: {}",
        describe(&right)
    );
    let events = ftp_login_events(&app).await;
    for expected in [
        "alice failure wrong password",
        "bob failure access through this protocol is switched off",
        "alice success password",
    ] {
        assert!(
            events.contains(&expected.to_owned()),
            "missing {expected:?} in {events:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_tls_required_a_plain_text_login_is_refused_and_ftps_works() {
    let app = spawn_ftp_app(Some(true)).await;
    acme_with_ftp(&app);

    let plain = curl(&app, "alice", PASSWORD, &["-l"], "");
    let tls = curl(&app, "alice", PASSWORD, &["--ssl-reqd", "-k", "-l"], "");

    assert!(
        !plain.status.success(),
        "plain text must be refused: {}",
        describe(&plain)
    );
    assert!(tls.status.success(), "FTPS must work: {}", describe(&tls));
    let events = ftp_login_events(&app).await;
    assert_eq!(
        events,
        vec!["alice success password".to_owned()],
        "plain PASS never reaches core"
    );
}
