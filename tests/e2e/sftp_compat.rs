//! Behaviours real clients depend on: rename semantics, times and modes, directory listings
//! that end, error codes that keep `mkdir -p` loops working, symlink argument order, `df`.

use gatehouse_tests::{describe, spawn_app};

use crate::support::PASSWORD;

#[tokio::test(flavor = "multi_thread")]
async fn plain_rename_refuses_to_overwrite_posix_rename_replaces_and_self_rename_keeps() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);

    let out = app.paramiko(&[
        "--user",
        "alice",
        "--password",
        PASSWORD,
        "rename_semantics",
    ]);

    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"plain_rename\": \"refused"), "{text}");
    assert!(text.contains("\"a_after_plain\": \"v1\""), "{text}");
    assert!(text.contains("\"a_after_posix\": \"v2\""), "{text}");
    assert!(text.contains("\"b_exists\": false"), "{text}");
    assert!(text.contains("\"a_after_self\": \"v2\""), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn times_and_modes_apply_by_path_and_by_handle() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);

    let out = app.paramiko(&["--user", "alice", "--password", PASSWORD, "attrs"]);

    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"mtime\": 1577934245"), "{text}");
    assert!(text.contains(&format!("\"mode\": {}", 0o640)), "{text}");
    assert!(text.contains("\"size\": 5"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn listings_of_empty_small_and_large_folders_all_end() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let root = app.tenant_dir("acme");
    std::fs::create_dir_all(root.join("e")).unwrap();
    std::fs::create_dir_all(root.join("many")).unwrap();
    for i in 0..1000 {
        std::fs::write(root.join(format!("many/file-{i:04}")), "").unwrap();
    }

    let empty = app.paramiko(&[
        "--user",
        "alice",
        "--password",
        PASSWORD,
        "--remote",
        "e",
        "listdir",
    ]);
    let many = app.paramiko(&[
        "--user",
        "alice",
        "--password",
        PASSWORD,
        "--remote",
        "many",
        "listdir",
    ]);

    assert!(
        empty.status.success() && many.status.success(),
        "{}{}",
        describe(&empty),
        describe(&many)
    );
    assert!(String::from_utf8_lossy(&empty.stdout).contains("\"names\": []"));
    let text = String::from_utf8_lossy(&many.stdout);
    assert_eq!(
        text.matches("file-").count(),
        1000,
        "all 1000 names, once each"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_come_back_as_statuses_and_the_session_stays_usable() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("small.txt"), "hello").unwrap();
    let batch = "mkdir a\n-mkdir a\n-rmdir nosuch\n-rm nosuch\nput small.txt a/small.txt\n\
        -rmdir a\nsymlink small.txt lnk\nput small.txt\nls -l\ndf -h\nmkdir b\nrmdir b\n";

    let out = app.sftp_password("alice", PASSWORD, batch, work.path());

    assert!(
        out.status.success(),
        "every non-optional command should pass: {}",
        describe(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("No such file"),
        "missing paths say so: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Size") && stdout.contains("Avail"),
        "df prints a table: {stdout}"
    );
    let root = app.tenant_dir("acme");
    assert!(
        root.join("a/small.txt").is_file(),
        "a non-empty folder is not removed"
    );
    // OpenSSH sends SYMLINK's arguments reversed; `lnk` must be the link, to small.txt.
    assert_eq!(
        std::fs::read_link(root.join("lnk")).unwrap().to_str(),
        Some("small.txt")
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with('d') && l.ends_with(" a")),
        "folders list as d: {stdout}"
    );
}
