//! Hostile input: malformed packets, oversized length prefixes, a flood of tiny requests, and
//! a client that drops the connection mid-upload. The session ends cleanly, the server and
//! other sessions carry on.

use std::time::Duration;

use gatehouse_tests::{spawn_app, spawn_app_with};
use russh::ChannelMsg;

use crate::support::{PASSWORD, packet, russh_login, sftp_channel, sftp_string};

/// Reads channel data until `want` bytes arrived or the channel ends.
async fn read_reply(channel: &mut russh::Channel<russh::client::Msg>, want: usize) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        match tokio::time::timeout(Duration::from_secs(10), channel.wait()).await {
            Ok(Some(ChannelMsg::Data { data })) => got.extend_from_slice(&data),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_packets_get_a_bad_message_status_and_the_session_goes_on() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let mut channel = sftp_channel(&handle).await;
    channel
        .data(&packet(1, &3u32.to_be_bytes())[..])
        .await
        .unwrap(); // INIT v3
    let version = read_reply(&mut channel, 9).await;
    assert_eq!(version.get(4), Some(&2), "VERSION expected");

    // An unknown packet type, then an OPEN whose string length runs past the packet.
    channel
        .data(&packet(99, &7u32.to_be_bytes())[..])
        .await
        .unwrap();
    let unknown = read_reply(&mut channel, 9).await;
    let mut truncated = 8u32.to_be_bytes().to_vec();
    truncated.extend_from_slice(&1000u32.to_be_bytes());
    channel.data(&packet(3, &truncated)[..]).await.unwrap();
    let bad_open = read_reply(&mut channel, 9).await;
    // A well-formed REALPATH afterwards still gets its answer.
    let mut realpath = 9u32.to_be_bytes().to_vec();
    realpath.extend_from_slice(&sftp_string("."));
    channel.data(&packet(16, &realpath)[..]).await.unwrap();
    let name = read_reply(&mut channel, 9).await;

    let status_code = |reply: &[u8]| {
        reply
            .get(9..13)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    assert_eq!(
        unknown.get(4),
        Some(&101),
        "a STATUS reply to the unknown type"
    );
    assert_eq!(
        status_code(&unknown),
        Some(5),
        "SSH_FX_BAD_MESSAGE for the unknown type"
    );
    assert_eq!(
        &unknown[5..9],
        &7u32.to_be_bytes(),
        "the reply carries the request id"
    );
    assert_eq!(
        status_code(&bad_open),
        Some(5),
        "SSH_FX_BAD_MESSAGE for the truncated OPEN"
    );
    assert_eq!(
        name.get(4),
        Some(&104),
        "REALPATH still answered with NAME after bad input"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_length_prefix_ends_that_session_only() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let mut hostile = sftp_channel(&handle).await;

    hostile
        .data(&[0xff, 0xff, 0xff, 0xf0, 1, 2, 3][..])
        .await
        .unwrap();
    let mut closed = false;
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_secs(10), hostile.wait()).await
    {
        if matches!(message, ChannelMsg::Close | ChannelMsg::Eof) {
            closed = true;
            break;
        }
    }

    assert!(closed, "the server should close the hostile channel");
    let other = russh_login(app.sftp, "alice", PASSWORD).await;
    let channel = sftp_channel(&other).await;
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .unwrap();
    assert_eq!(
        sftp.canonicalize(".").await.unwrap(),
        "/",
        "a new session works normally"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_tiny_requests_past_the_queue_bound_ends_the_session() {
    const REQUESTS: u32 = 10_000;
    // 10,000 requests of 5 bytes are 50 KB of request bytes, under this bound; what they
    // hold in memory (a queue slot and slices each) is several times more, and that counts.
    let app = spawn_app_with(|config| config.sftp.max_queued_request_bytes = 64 * 1024).await;
    app.create_tenant("acme", "alice", PASSWORD);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let mut hostile = sftp_channel(&handle).await;

    let flood: Vec<u8> = (0..REQUESTS)
        .flat_map(|id| packet(99, &id.to_be_bytes()))
        .collect();
    hostile.data(&flood[..]).await.unwrap();

    let (mut received, mut closed) = (Vec::new(), false);
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_secs(10), hostile.wait()).await
    {
        match message {
            ChannelMsg::Data { data } => received.extend_from_slice(&data),
            ChannelMsg::Close | ChannelMsg::Eof => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    let mut answered = 0;
    let mut rest = &received[..];
    while rest.len() >= 4 {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        rest = &rest[(4 + len).min(rest.len())..];
        answered += 1;
    }

    assert!(closed, "the server should end the flooding session");
    assert!(
        answered < REQUESTS / 10,
        "the session ends at the bound, not after answering the flood: {answered} replies"
    );
    let other = russh_login(app.sftp, "alice", PASSWORD).await;
    let sftp = russh_sftp::client::SftpSession::new(sftp_channel(&other).await.into_stream())
        .await
        .unwrap();
    assert_eq!(sftp.canonicalize(".").await.unwrap(), "/");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_connection_holds_at_most_ten_sessions_and_a_closed_one_frees_its_place() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let mut sessions = Vec::new();
    for _ in 0..10 {
        let channel = sftp_channel(&handle).await;
        let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
            .await
            .unwrap();
        sessions.push(sftp);
    }

    assert!(
        handle.channel_open_session().await.is_err(),
        "an eleventh session channel is refused"
    );
    assert_eq!(sessions[9].canonicalize(".").await.unwrap(), "/");

    sessions.pop().unwrap().close().await.unwrap();
    let mut reopened = false;
    for _ in 0..50 {
        if handle.channel_open_session().await.is_ok() {
            reopened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened, "a closed session's place is free again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_dropped_mid_upload_leaves_the_server_serving() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let channel = sftp_channel(&handle).await;
    let sftp = russh_sftp::client::SftpSession::new(channel.into_stream())
        .await
        .unwrap();
    let mut file = sftp.create("partial.bin").await.unwrap();
    file.write_all(&vec![7u8; 3 * 1024 * 1024]).await.unwrap();

    drop(file);
    drop(sftp);
    drop(handle); // The TCP connection goes away without a goodbye.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("after.txt"), "still here").unwrap();
    let out = app.sftp_password("alice", PASSWORD, "put after.txt\nls\n", work.path());
    assert!(
        out.status.success(),
        "the server keeps serving: {}",
        gatehouse_tests::describe(&out)
    );
    assert_eq!(
        std::fs::read_to_string(app.tenant_dir("acme").join("after.txt")).unwrap(),
        "still here"
    );
    let users = app.store.users(None).await.unwrap();
    assert_eq!(users.len(), 1, "the store is intact");
}
