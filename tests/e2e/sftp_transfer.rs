//! Files of every size move both ways byte for byte, with OpenSSH's sftp and scp (password
//! and key), paramiko's prefetching get() and confirming put(), and russh's client.

use std::process::Command;

use gatehouse_tests::{describe, random_file, spawn_app};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{PASSWORD, russh_login};

#[tokio::test(flavor = "multi_thread")]
async fn openssh_sftp_moves_files_of_every_size_both_ways_with_a_password() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    let sizes = [
        0usize,
        1,
        32 * 1024 + 7,
        5 * 1024 * 1024 + 3,
        100 * 1024 * 1024,
    ];
    let mut batch = String::new();
    for size in sizes {
        random_file(&work.path().join(format!("f{size}")), size);
        batch += &format!("put f{size}\nget f{size} back{size}\n");
    }

    let out = app.sftp_password("alice", PASSWORD, &batch, work.path());

    assert!(
        out.status.success(),
        "sftp -b should report success: {}",
        describe(&out)
    );
    for size in sizes {
        let sent = std::fs::read(work.path().join(format!("f{size}"))).unwrap();
        let stored = std::fs::read(app.tenant_dir("acme").join(format!("f{size}"))).unwrap();
        let back = std::fs::read(work.path().join(format!("back{size}"))).unwrap();
        assert!(
            stored == sent,
            "the stored {size}-byte file differs from what was sent"
        );
        assert!(
            back == sent,
            "the downloaded {size}-byte file differs from what was sent"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn openssh_sftp_with_large_pipelined_reads_gets_an_identical_file() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    std::fs::create_dir_all(app.tenant_dir("acme")).unwrap();
    random_file(&app.tenant_dir("acme").join("big.bin"), 64 * 1024 * 1024);
    let work = tempfile::tempdir().unwrap();

    // 255 KiB requests with 64 outstanding: the pattern that hangs a server that stops
    // reading its channel while it waits to send.
    let mut command = Command::new("sshpass");
    command.args([
        "-p",
        PASSWORD,
        "sftp",
        "-B",
        "261120",
        "-R",
        "64",
        "-P",
        &app.sftp.port().to_string(),
    ]);
    command.args([
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
    ]);
    command.args(["-o", "PubkeyAuthentication=no", "-o", "LogLevel=ERROR"]);
    command
        .arg("alice@127.0.0.1:big.bin")
        .arg(work.path().join("big.bin"));
    let out = command.output().unwrap();

    assert!(
        out.status.success(),
        "download should finish: {}",
        describe(&out)
    );
    let original = std::fs::read(app.tenant_dir("acme").join("big.bin")).unwrap();
    assert!(
        std::fs::read(work.path().join("big.bin")).unwrap() == original,
        "content differs"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openssh_sftp_works_with_a_registered_key_and_no_password() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("id_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(keygen.status.success());
    let public = format!("{}.pub", key.display());
    let added = app.cli(&["user", "key", "add", "alice", &public], None);
    assert!(added.status.success(), "key add: {}", describe(&added));
    random_file(&work.path().join("up.bin"), 3 * 1024 * 1024 + 11);

    let out = app.sftp_key(
        "alice",
        &key,
        "put up.bin\nget up.bin down.bin\n",
        work.path(),
    );

    assert!(
        out.status.success(),
        "key login and transfer: {}",
        describe(&out)
    );
    let sent = std::fs::read(work.path().join("up.bin")).unwrap();
    assert!(std::fs::read(work.path().join("down.bin")).unwrap() == sent);
}

#[tokio::test(flavor = "multi_thread")]
async fn scp_copies_both_ways_and_keeps_times_with_p() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    random_file(&work.path().join("small.txt"), 4096);
    let touch = Command::new("touch")
        .args(["-d", "2020-01-02 03:04:05 UTC", "small.txt"])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(touch.status.success());
    random_file(&work.path().join("empty"), 0);

    let up = app.scp_password(
        PASSWORD,
        &["-p", "small.txt", "empty", "alice@127.0.0.1:"],
        work.path(),
    );
    let down = app.scp_password(
        PASSWORD,
        &["alice@127.0.0.1:small.txt", "copy.txt"],
        work.path(),
    );

    assert!(up.status.success(), "scp upload: {}", describe(&up));
    assert!(down.status.success(), "scp download: {}", describe(&down));
    let stored = app.tenant_dir("acme").join("small.txt");
    assert!(
        std::fs::read(&stored).unwrap() == std::fs::read(work.path().join("small.txt")).unwrap()
    );
    assert!(
        std::fs::read(work.path().join("copy.txt")).unwrap() == std::fs::read(&stored).unwrap()
    );
    let mtime = std::fs::metadata(&stored).unwrap().modified().unwrap();
    let expected = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_934_245);
    assert_eq!(mtime, expected, "scp -p should set the modification time");
    assert_eq!(
        std::fs::metadata(app.tenant_dir("acme").join("empty"))
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paramiko_put_confirms_the_size_and_get_returns_the_same_bytes() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    let local = work.path().join("mid.bin");
    random_file(&local, 24 * 1024 * 1024 + 5);

    let args = [
        "--user",
        "alice",
        "--password",
        PASSWORD,
        "--local",
        local.to_str().unwrap(),
        "--remote",
        "mid.bin",
        "roundtrip",
    ];
    let out = app.paramiko(&args);

    assert!(
        out.status.success(),
        "paramiko roundtrip: {}",
        describe(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("\"put_size\": {}", 24 * 1024 * 1024 + 5)),
        "{text}"
    );
    let (sent, received) = (field(&text, "sent"), field(&text, "received"));
    assert_eq!(
        sent, received,
        "paramiko's get() must return what put() sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn russh_sftp_client_writes_and_reads_back_a_file() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let channel = crate::support::sftp_channel(&handle).await;
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .unwrap();
    let body: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();

    let mut file = sftp.create("russh.bin").await.unwrap();
    file.write_all(&body).await.unwrap();
    file.shutdown().await.unwrap();
    let mut back = Vec::new();
    sftp.open("russh.bin")
        .await
        .unwrap()
        .read_to_end(&mut back)
        .await
        .unwrap();

    assert!(back == body, "russh-sftp should read back what it wrote");
    assert!(std::fs::read(app.tenant_dir("acme").join("russh.bin")).unwrap() == body);
}

/// The value of `"name": "value"` in the script's JSON output.
pub fn field<'a>(json: &'a str, name: &str) -> &'a str {
    let key = format!("\"{name}\": \"");
    let start = json
        .find(&key)
        .map(|at| at + key.len())
        .unwrap_or_else(|| panic!("{name} missing in {json}"));
    let end = json[start..].find('"').unwrap() + start;
    &json[start..end]
}
