//! Moves SFTP packets between one SSH channel and the dispatcher.
//!
//! russh delivers a channel's data through a small bounded queue, and the SSH session loop
//! waits when that queue is full. russh-sftp's stock server loop reads one request, answers
//! it, and only then reads again; while it waits for window space to send a large reply, it
//! is not reading, the queue fills, the session loop blocks, and the client's window update
//! that would free the reply is never read. Downloads with large reads (OpenSSH once
//! `limits@openssh.com` is advertised, paramiko's prefetching `get()`) then hang for good
//! after some tens of MB. A bigger queue only moves the threshold.
//!
//! So a reader task always drains the channel into our own queue, bounded by the memory its
//! requests hold rather than by their number; a client that pipelines past the bound (or
//! sends a length no request can have) loses its session at once, with whatever it had
//! queued, instead of growing the server's memory. The dispatcher answers requests in order
//! from that queue.
//!
//! Replies go out as a stream: whatever the client has queued is taken at once (up to
//! [`BATCH_BYTES`]) and answered together, and small replies travel together, so the STATUS
//! replies to a run of WRITEs leave in one SSH packet instead of one packet each.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use russh::server::Msg;
use russh::{ChannelMsg, ChannelWriteHalf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::dispatch::{MAX_PACKET_LEN, SftpSession};
use crate::input::{Input, Request};
use crate::wire;

/// About the most one batch brings into memory: its requests plus the data its READs ask
/// for (`wire::cost`; the last request taken may go past it by one READ). Four of OpenSSH's
/// 256 KiB reads share a trip to the blocking pool, the first reply waits for at most about
/// a megabyte of file I/O, and a batch of tiny requests holds at most 256 of them.
const BATCH_BYTES: usize = 1024 * 1024;

/// Replies below this size are sent together with their neighbours.
const SMALL_REPLY: usize = 4096;

/// Why a session's input ended.
#[derive(Debug, PartialEq, Eq)]
pub enum InputEnd {
    /// The client sent EOF or closed the channel: a normal end.
    Closed,
    /// A length prefix of zero, or larger than any request we accept.
    Oversized(u32),
    /// Queued requests holding more than `max_queued_request_bytes`.
    QueueFull,
}

/// Serves SFTP on `channel` until the client is done, then sends the exit status OpenSSH's
/// `sftp -b` needs to report success, EOF and close. Returns why the input ended.
pub async fn serve(
    channel: russh::Channel<Msg>,
    mut session: SftpSession,
    max_queued_bytes: usize,
) -> InputEnd {
    let (read_half, write_half) = channel.split();
    let (requests, queue) = mpsc::unbounded_channel();
    let budget = Arc::new(Semaphore::new(max_queued_bytes));
    let mut reader = tokio::spawn(read_requests(read_half, requests, budget));

    let end = {
        let answering = answer(queue, &mut session, &write_half);
        tokio::pin!(answering);
        tokio::select! {
            end = &mut reader => {
                let end = end.unwrap_or_else(|error| {
                    tracing::error!(%error, "SFTP request reader panicked");
                    InputEnd::Closed
                });
                // After a normal end what is queued is still answered; after a violation it
                // is dropped here, unanswered, with the dispatcher's work.
                if end == InputEnd::Closed {
                    answering.await;
                }
                end
            }
            () = &mut answering => reader.await.unwrap_or(InputEnd::Closed),
        }
    };
    drop(session); // Closes the session's files before the channel is closed.
    let code = if end == InputEnd::Closed { 0 } else { 1 };
    // Best effort: after a dropped connection these fail, and there is no one to tell.
    let _ = write_half.exit_status(code).await;
    let _ = write_half.eof().await;
    let _ = write_half.close().await;
    end
}

/// Answers queued requests in order, in batches, until the queue ends or the connection is
/// gone.
async fn answer(
    mut queue: mpsc::UnboundedReceiver<Queued>,
    session: &mut SftpSession,
    channel: &ChannelWriteHalf<Msg>,
) {
    while let Some(first) = queue.recv().await {
        let mut cost = wire::cost(&first.0);
        let mut batch = vec![first];
        while cost < BATCH_BYTES
            && let Ok(next) = queue.try_recv()
        {
            cost += wire::cost(&next.0);
            batch.push(next);
        }
        let (requests, permits): (Vec<Request>, Vec<OwnedSemaphorePermit>) =
            batch.into_iter().unzip();
        let replies = session.handle(requests).await;
        drop(permits);
        if send(channel, replies).await.is_err() {
            return; // The connection is gone; nothing left to answer.
        }
    }
}

/// Sends `replies` in order, gathering runs of small ones into one send.
async fn send(channel: &ChannelWriteHalf<Msg>, replies: Vec<Bytes>) -> Result<(), russh::Error> {
    let mut small = BytesMut::new();
    for reply in replies {
        if reply.len() < SMALL_REPLY {
            small.extend_from_slice(&reply);
            continue;
        }
        if !small.is_empty() {
            channel.data_bytes(small.split().freeze()).await?;
        }
        channel.data_bytes(reply).await?;
    }
    if !small.is_empty() {
        channel.data_bytes(small.freeze()).await?;
    }
    Ok(())
}

type Queued = (Request, OwnedSemaphorePermit);

async fn read_requests(
    mut channel: russh::ChannelReadHalf,
    requests: mpsc::UnboundedSender<Queued>,
    budget: Arc<Semaphore>,
) -> InputEnd {
    // Empty until data arrives, and given back whenever every request in it has been queued,
    // so an idle session holds no input buffer at all.
    let mut input = Input::default();
    while let Some(message) = channel.wait().await {
        let data = match message {
            ChannelMsg::Data { data } => data,
            ChannelMsg::Eof | ChannelMsg::Close => break,
            _ => continue,
        };
        input.push(data);
        loop {
            match next_request(&mut input) {
                Ok(Some(request)) => {
                    let size = u32::try_from(request.footprint()).unwrap_or(u32::MAX);
                    let Ok(permit) = Arc::clone(&budget).try_acquire_many_owned(size) else {
                        return InputEnd::QueueFull;
                    };
                    if requests.send((request, permit)).is_err() {
                        return InputEnd::Closed;
                    }
                }
                Ok(None) => break,
                Err(end) => return end,
            }
        }
        input.shrink_if_empty();
    }
    InputEnd::Closed
}

/// Splits one length-prefixed request off the front of `input`, if it is complete.
fn next_request(input: &mut Input) -> Result<Option<Request>, InputEnd> {
    let Some(len) = input.peek_len() else {
        return Ok(None);
    };
    // The largest request is a WRITE of MAX_READ_LEN plus its header; allow some slack.
    if len > MAX_PACKET_LEN + 1024 || len == 0 {
        return Err(InputEnd::Oversized(len));
    }
    if input.len() < 4 + len as usize {
        return Ok(None);
    }
    let _prefix = input.take(4);
    Ok(Some(input.take(len as usize)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pieces: &[&'static [u8]]) -> Input {
        Input::from_pieces(pieces)
    }

    #[test]
    fn requests_are_split_at_their_length_prefix_even_when_they_arrive_in_pieces() {
        let mut input = input(&[&[0, 0, 0, 3, 1, 2]]);
        assert_eq!(
            next_request(&mut input),
            Ok(None),
            "incomplete request waits"
        );

        input.push(Bytes::from_static(&[3, 0, 0]));
        input.push(Bytes::from_static(&[0, 1, 9]));

        let first = next_request(&mut input).unwrap().unwrap();
        assert_eq!(first.contiguous(), Bytes::from_static(&[1, 2, 3]));
        let second = next_request(&mut input).unwrap().unwrap();
        assert_eq!(second.contiguous(), Bytes::from_static(&[9]));
        assert!(input.is_empty());
    }

    #[test]
    fn an_oversized_length_prefix_ends_the_input() {
        let mut input = input(&[&[0xff, 0xff, 0xff, 0xff, 1]]);
        assert_eq!(next_request(&mut input), Err(InputEnd::Oversized(u32::MAX)));
    }
}
