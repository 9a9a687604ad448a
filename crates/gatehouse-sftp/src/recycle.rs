//! READ reply buffers, written again once the SSH layer is done with them.
//!
//! A download needs a 256 KiB reply buffer per READ. Without `unsafe` (which this crate
//! forbids) a file can only be read into initialised memory, so every fresh buffer is zeroed
//! first, and in profiles of 1 GiB downloads that zeroing cost 2-3 % of the server's CPU.
//! A reply goes to russh, which copies it into SSH packets and drops its references; this
//! pool keeps one reference of its own, and once that is the only one left, the buffer can
//! be written again as it is, old bytes and all, since a READ overwrites what it returns.
//!
//! One pool serves every session and keeps at most [`MAX_KEPT`] buffers, so an idle session
//! holds none, and what the pool holds on to (beyond replies still being sent) is at most
//! `MAX_KEPT` × 256 KiB however many sessions there are. It never shrinks: after a download
//! that much of the last replies' file data stays in the process's memory until reused.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use bytes::{Bytes, BytesMut};

/// Enough for the buffers of a few downloads at once (each has four to eight in flight).
const MAX_KEPT: usize = 32;

/// How many kept buffers one `take` looks at before it allocates instead.
const SCAN: usize = 4;

/// Replies smaller than this are not worth keeping or reusing: zeroing them costs next to
/// nothing.
const MIN_KEPT_LEN: usize = 64 * 1024;

/// The pool every session's READ replies come from.
pub static REPLY_BUFFERS: ReplyBuffers = ReplyBuffers::new();

#[derive(Default)]
pub struct ReplyBuffers {
    /// Buffers lent out, oldest first; each may still be referenced by the SSH layer.
    kept: Mutex<VecDeque<Bytes>>,
}

impl ReplyBuffers {
    pub const fn new() -> Self {
        Self {
            kept: Mutex::new(VecDeque::new()),
        }
    }

    /// A buffer of `len` bytes. Its contents are unspecified: zeros, or an earlier reply's.
    /// A small one is always fresh, so a 32 KiB READ never pins a 256 KiB buffer.
    pub fn take(&self, len: usize) -> BytesMut {
        if len < MIN_KEPT_LEN {
            return BytesMut::zeroed(len);
        }
        self.reclaim(len).unwrap_or_else(|| BytesMut::zeroed(len))
    }

    /// Keeps a reference to `reply`, so that its buffer can be taken again once every other
    /// reference is gone. The oldest kept buffer makes room if the pool is full.
    pub fn keep(&self, reply: &Bytes) {
        if reply.len() < MIN_KEPT_LEN {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() == MAX_KEPT {
            kept.pop_front();
        }
        kept.push_back(reply.clone());
    }

    fn reclaim(&self, len: usize) -> Option<BytesMut> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        // Oldest first: the first sent is the likeliest to have left.
        for _ in 0..kept.len().min(SCAN) {
            let reply = kept.pop_front()?;
            match reply.try_into_mut() {
                Ok(mut buf) if buf.capacity() >= len => {
                    // Zeroes only what the last reply did not fill (none, after a full READ).
                    buf.resize(len, 0);
                    return Some(buf);
                }
                Ok(_too_small) => {}
                Err(still_sending) => kept.push_back(still_sending),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEN: usize = 256 * 1024;

    #[test]
    fn a_buffer_comes_back_once_nothing_else_holds_it_and_is_not_zeroed_again() {
        let pool = ReplyBuffers::new();
        let mut buf = pool.take(LEN);
        buf.fill(7);
        let sent = buf.freeze();
        pool.keep(&sent);
        let address = sent.as_ptr();

        let while_sending = pool.take(LEN);
        assert_ne!(
            while_sending.as_ptr(),
            address,
            "a buffer still referenced elsewhere is never handed out"
        );

        drop(sent);
        let again = pool.take(LEN);
        assert_eq!(again.as_ptr(), address, "the same memory, taken again");
        assert_eq!(again.len(), LEN);
        assert!(again.iter().all(|&b| b == 7), "not zeroed a second time");
    }

    #[test]
    fn a_shorter_earlier_reply_is_extended_with_zeros() {
        let pool = ReplyBuffers::new();
        let mut buf = pool.take(LEN);
        buf.fill(7);
        buf.truncate(LEN - 10);
        pool.keep(&buf.freeze());

        let again = pool.take(LEN);
        assert_eq!(again.len(), LEN);
        assert!(again[LEN - 10..].iter().all(|&b| b == 0));
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_buffers_and_no_small_ones() {
        let pool = ReplyBuffers::new();
        let in_flight: Vec<Bytes> = (0..MAX_KEPT + 5)
            .map(|_| pool.take(LEN).freeze())
            .inspect(|reply| pool.keep(reply))
            .collect();
        pool.keep(&Bytes::from(vec![0; 100]));
        assert_eq!(pool.kept.lock().unwrap().len(), MAX_KEPT);
        drop(in_flight);
    }
}
