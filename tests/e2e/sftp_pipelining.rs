//! Pipelined READs and WRITEs whose offsets arrive out of order. SFTP lets a client keep many
//! requests outstanding and says nothing of their order (draft-ietf-secsh-filexfer-02 §6.4):
//! every request carries its own offset, so a server that assumes "the next write follows the
//! last one", or coalesces writes without checking, corrupts files. Requests here are sent in
//! a shuffled order, all before the first reply is read, with chunk sizes that never line up
//! with any buffer size, and the file must still come out byte for byte.

use std::collections::HashMap;
use std::time::Duration;

use gatehouse_tests::{random_file, spawn_app};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use russh::ChannelMsg;
use tokio::sync::mpsc;

use crate::support::{PASSWORD, packet, russh_login, sftp_channel, sftp_string};

const SSH_FXP_OPEN: u8 = 3;
const SSH_FXP_CLOSE: u8 = 4;
const SSH_FXP_READ: u8 = 5;
const SSH_FXP_WRITE: u8 = 6;
const SSH_FXP_STATUS: u8 = 101;
const SSH_FXP_HANDLE: u8 = 102;
const SSH_FXP_DATA: u8 = 103;
const READ: u32 = 0x01;
const WRITE_CREATE_TRUNCATE: u32 = 0x02 | 0x08 | 0x10;

/// One SFTP reply: its type, request id and the bytes after the id.
struct Reply {
    kind: u8,
    id: u32,
    body: Vec<u8>,
}

/// A raw SFTP v3 conversation on one channel: requests go out as they are built, replies
/// are split at their length prefixes as they arrive. A task of its own drains the channel,
/// as a real client does, so replies never back up into the connection while requests are
/// still being sent.
struct Raw {
    requests: russh::ChannelWriteHalf<russh::client::Msg>,
    replies: mpsc::UnboundedReceiver<Vec<u8>>,
    input: Vec<u8>,
    next_id: u32,
}

impl Raw {
    async fn start(channel: russh::Channel<russh::client::Msg>) -> Raw {
        let (mut read_half, requests) = channel.split();
        let (arrived, replies) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = read_half.wait().await {
                if let ChannelMsg::Data { data } = message
                    && arrived.send(data.to_vec()).is_err()
                {
                    break;
                }
            }
        });
        let mut raw = Raw {
            requests,
            replies,
            input: Vec::new(),
            next_id: 1,
        };
        raw.send(&packet(1, &3u32.to_be_bytes())).await; // INIT, version 3
        let version = raw.packet().await;
        assert_eq!(version.first(), Some(&2), "VERSION expected after INIT");
        raw
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.requests.data(bytes).await.unwrap();
    }

    /// A request of `kind` with a fresh id; returns the id.
    fn request(&mut self, kind: u8, body: &[u8]) -> (u32, Vec<u8>) {
        let id = self.next_id;
        self.next_id += 1;
        let mut with_id = id.to_be_bytes().to_vec();
        with_id.extend_from_slice(body);
        (id, packet(kind, &with_id))
    }

    /// The next whole packet, without its length prefix.
    async fn packet(&mut self) -> Vec<u8> {
        loop {
            if self.input.len() >= 4 {
                let len = u32::from_be_bytes(self.input[..4].try_into().unwrap()) as usize;
                if self.input.len() >= 4 + len {
                    let packet = self.input[4..4 + len].to_vec();
                    self.input.drain(..4 + len);
                    return packet;
                }
            }
            let data = tokio::time::timeout(Duration::from_secs(30), self.replies.recv())
                .await
                .expect("the server should answer within 30 s")
                .expect("the channel should stay open while a reply is awaited");
            self.input.extend_from_slice(&data);
        }
    }

    async fn reply(&mut self) -> Reply {
        let packet = self.packet().await;
        Reply {
            kind: packet[0],
            id: u32::from_be_bytes(packet[1..5].try_into().unwrap()),
            body: packet[5..].to_vec(),
        }
    }

    async fn open(&mut self, path: &str, flags: u32) -> Vec<u8> {
        let mut body = sftp_string(path);
        body.extend_from_slice(&flags.to_be_bytes());
        body.extend_from_slice(&0u32.to_be_bytes()); // no attributes
        let (id, request) = self.request(SSH_FXP_OPEN, &body);
        self.send(&request).await;
        let reply = self.reply().await;
        assert_eq!(
            (reply.kind, reply.id),
            (SSH_FXP_HANDLE, id),
            "HANDLE for OPEN"
        );
        string(&reply.body).to_vec()
    }

    async fn close(&mut self, handle: &[u8]) {
        let (id, request) = self.request(SSH_FXP_CLOSE, &bytes_string(handle));
        self.send(&request).await;
        let reply = self.reply().await;
        assert_eq!((reply.kind, reply.id), (SSH_FXP_STATUS, id));
        assert_eq!(status_code(&reply), 0, "CLOSE should succeed");
    }
}

fn bytes_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

fn string(body: &[u8]) -> &[u8] {
    let len = u32::from_be_bytes(body[..4].try_into().unwrap()) as usize;
    &body[4..4 + len]
}

fn status_code(reply: &Reply) -> u32 {
    u32::from_be_bytes(reply.body[..4].try_into().unwrap())
}

/// Cuts `len` bytes into pieces of uneven sizes (1 byte to 70 KiB, so some cross every
/// power-of-two boundary) and returns them as (offset, length), in file order.
fn uneven_chunks(len: usize, rng: &mut impl rand::Rng) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut offset = 0;
    while offset < len {
        let size = rng.gen_range(1..=70 * 1024).min(len - offset);
        chunks.push((offset, size));
        offset += size;
    }
    chunks
}

#[tokio::test(flavor = "multi_thread")]
async fn shuffled_pipelined_writes_and_reads_move_a_file_byte_for_byte() {
    let app = spawn_app().await;
    app.create_tenant("acme", "alice", PASSWORD);
    let work = tempfile::tempdir().unwrap();
    random_file(&work.path().join("source"), 6 * 1024 * 1024 + 13);
    let source = std::fs::read(work.path().join("source")).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5F7F);
    let mut chunks = uneven_chunks(source.len(), &mut rng);
    chunks.shuffle(&mut rng);
    let handle = russh_login(app.sftp, "alice", PASSWORD).await;
    let mut sftp = Raw::start(sftp_channel(&handle).await).await;

    // Every WRITE goes out before the first reply is read.
    let file = sftp.open("shuffled.bin", WRITE_CREATE_TRUNCATE).await;
    let mut writes = HashMap::new();
    for &(offset, len) in &chunks {
        let mut body = bytes_string(&file);
        body.extend_from_slice(&(offset as u64).to_be_bytes());
        body.extend_from_slice(&bytes_string(&source[offset..offset + len]));
        let (id, request) = sftp.request(SSH_FXP_WRITE, &body);
        writes.insert(id, offset);
        sftp.send(&request).await;
    }
    for _ in 0..writes.len() {
        let reply = sftp.reply().await;
        assert_eq!(reply.kind, SSH_FXP_STATUS, "a STATUS for every WRITE");
        assert!(writes.remove(&reply.id).is_some(), "one reply per WRITE id");
        assert_eq!(status_code(&reply), 0, "every WRITE should succeed");
    }
    sftp.close(&file).await;
    let stored = std::fs::read(app.tenant_dir("acme").join("shuffled.bin")).unwrap();

    // And the same file read back with every READ out before the first reply.
    chunks.shuffle(&mut rng);
    let file = sftp.open("shuffled.bin", READ).await;
    let mut reads = HashMap::new();
    for &(offset, len) in &chunks {
        let mut body = bytes_string(&file);
        body.extend_from_slice(&(offset as u64).to_be_bytes());
        body.extend_from_slice(&(len as u32).to_be_bytes());
        let (id, request) = sftp.request(SSH_FXP_READ, &body);
        reads.insert(id, (offset, len));
        sftp.send(&request).await;
    }
    let mut back = vec![0u8; source.len()];
    for _ in 0..reads.len() {
        let reply = sftp.reply().await;
        assert_eq!(
            reply.kind, SSH_FXP_DATA,
            "DATA for every READ inside the file"
        );
        let (offset, len) = reads.remove(&reply.id).expect("one reply per READ id");
        let data = string(&reply.body);
        assert_eq!(
            data.len(),
            len,
            "a READ inside the file gets all it asked for"
        );
        back[offset..offset + len].copy_from_slice(data);
    }
    sftp.close(&file).await;

    assert_eq!(
        stored.len(),
        source.len(),
        "the stored file has the sent size"
    );
    assert!(
        stored == source,
        "shuffled WRITEs should store the exact bytes sent"
    );
    assert!(
        back == source,
        "shuffled READs should return the exact bytes stored"
    );
}
