//! Two tenants side by side (`acme` and `acme2`, a sibling-prefix pair): nothing of one is
//! readable, listable or writable from the other by any path trick or symlink.

use std::process::Output;

use gatehouse_tests::{describe, spawn_app};

use crate::support::PASSWORD;

/// What `sftp -b` printed, without the echoed commands.
fn listing(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        .filter(|line| !line.starts_with("sftp>"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_escape_kind_is_refused_and_the_sibling_tenant_is_untouched() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    app.create_tenant("acme2", "bob", PASSWORD);
    let secret = app.tenant_dir("acme2").join("secret.txt");
    std::fs::create_dir_all(secret.parent().unwrap()).unwrap();
    std::fs::write(&secret, "bob's secret").unwrap();
    let alice_root = app.tenant_dir("acme");
    std::fs::create_dir_all(&alice_root).unwrap();
    // Links already on disk (restored from a backup, made by an admin): absolute and relative.
    std::os::unix::fs::symlink(app.tenant_dir("acme2"), alice_root.join("ondisk-abs")).unwrap();
    std::os::unix::fs::symlink("../acme2", alice_root.join("ondisk-rel")).unwrap();
    std::os::unix::fs::symlink("/", alice_root.join("rootlink")).unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("x"), "payload").unwrap();

    // Each line may fail (the leading '-' keeps sftp -b going); the checks are on disk below.
    let batch = "\
        -get ../acme2/secret.txt s1\n-get /../acme2/secret.txt s2\n-get ondisk-abs/secret.txt s3\n\
        -get ondisk-rel/secret.txt s4\n-get rootlink/etc/passwd s5\n-put x ../acme2/x\n\
        -put x ondisk-rel/x2\n-rename x ../acme2/stolen.txt\n-symlink ../acme2 sib\n\
        -get sib/secret.txt s6\n-mkdir ondisk-abs/newdir\n-put x /../../x3\n\
        -ls ..\n-ls /..\n-ls ondisk-rel\n";
    let out = app.sftp_password("alice", PASSWORD, batch, work.path());

    assert!(
        !listing(&out).contains("secret.txt"),
        "no listing of bob's files: {}",
        describe(&out)
    );
    for name in ["s1", "s2", "s3", "s4", "s5", "s6"] {
        assert!(
            !work.path().join(name).exists(),
            "{name} must not have been downloaded"
        );
    }
    let mut bobs: Vec<String> = std::fs::read_dir(app.tenant_dir("acme2"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    bobs.sort();
    assert_eq!(
        bobs,
        ["secret.txt"],
        "nothing may appear in the sibling tenant"
    );
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "bob's secret");
    assert!(
        !app.config.storage_root().join("x3").exists(),
        "nothing above the tenants either"
    );
    assert!(
        !alice_root.join("sib").exists(),
        "a link climbing out must not be created"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paramiko_escape_attempts_are_refused_and_normalize_stays_rooted() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    app.create_tenant("acme2", "bob", PASSWORD);
    std::fs::create_dir_all(app.tenant_dir("acme2")).unwrap();
    std::fs::write(app.tenant_dir("acme2").join("secret.txt"), "bob's secret").unwrap();

    let escapes = app.paramiko(&["--user", "alice", "--password", PASSWORD, "escapes"]);
    let normalized = app.paramiko(&["--user", "alice", "--password", PASSWORD, "normalize"]);

    assert!(escapes.status.success(), "{}", describe(&escapes));
    let text = String::from_utf8_lossy(&escapes.stdout);
    for label in [
        "stat_parent_sibling",
        "open_relative_sibling",
        "symlink_out_then_read",
        "put_through_parent",
    ] {
        assert!(
            text.contains(&format!("\"{label}\": \"refused")),
            "{label} should be refused: {text}"
        );
    }
    assert!(
        !text.contains("acme2'"),
        "listing the parent must not show the sibling: {text}"
    );
    assert!(!app.tenant_dir("acme2").join("x").exists());
    let text = String::from_utf8_lossy(&normalized.stdout);
    for pair in [
        "\".\": \"/\"",
        "\"\": \"/\"",
        "\"a/../b\": \"/b\"",
        "\"../..\": \"/\"",
        "\"/../acme2\": \"/acme2\"",
        "\"not/yet/existing.txt\": \"/not/yet/existing.txt\"",
        "\"newfile.txt\": \"/newfile.txt\"",
    ] {
        assert!(text.contains(pair), "normalize should give {pair}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_users_of_one_tenant_have_separate_home_folders() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    app.add_user("acme", "bob", PASSWORD);
    app.add_user("acme", "carol", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("note.txt"), "bob's note").unwrap();

    let bob = app.sftp_password("bob", PASSWORD, "put note.txt\n", work.path());
    let carol = app.sftp_password(
        "carol",
        PASSWORD,
        "-get ../bob/note.txt stolen\nls -a\n",
        work.path(),
    );

    assert!(bob.status.success(), "{}", describe(&bob));
    assert!(
        app.tenant_dir("acme").join("home/bob/note.txt").is_file(),
        "bob writes into home/bob"
    );
    assert!(
        !work.path().join("stolen").exists(),
        "carol must not read bob's home"
    );
    assert!(
        !listing(&carol).contains("note.txt"),
        "{}",
        describe(&carol)
    );
}
