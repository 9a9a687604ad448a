//! Received channel data split into requests without copying it.
//!
//! russh hands over channel data one SSH packet at a time (up to 64 KiB), and a 256 KiB WRITE
//! spans several of them. Gluing them into one buffer would copy every uploaded byte once
//! more, so the packets are kept as they came and a request is the list of their slices that
//! it covers. Only the few bytes of a header that straddle two packets are ever copied.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// One request, without its length prefix, as slices of the packets it arrived in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pieces: Vec<Bytes>,
    len: usize,
}

/// What keeping one request or one of its pieces costs beyond its bytes (queue slot, slice
/// handle, the SSH packet's own allocation), rounded up.
const BOOKKEEPING: usize = 128;

impl Request {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Roughly the memory this request holds while queued: its bytes plus bookkeeping for it
    /// and for each SSH packet it spans, so a flood of tiny requests or of tiny packets is
    /// charged for what it really costs, not for its few bytes.
    pub fn footprint(&self) -> usize {
        self.len + (1 + self.pieces.len()) * BOOKKEEPING
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `n` bytes (or all, if shorter) in one buffer; copied only if they span
    /// pieces.
    pub fn head(&self, n: usize) -> Bytes {
        let n = n.min(self.len);
        match self.pieces.first() {
            Some(first) if first.len() >= n => first.slice(..n),
            _ => {
                let mut head = BytesMut::with_capacity(n);
                for piece in &self.pieces {
                    let wanted = n - head.len();
                    head.extend_from_slice(&piece[..wanted.min(piece.len())]);
                    if head.len() == n {
                        break;
                    }
                }
                head.freeze()
            }
        }
    }

    /// Bytes `start..start + len` (clamped to the request) as slices of the pieces.
    pub fn slices(&self, start: usize, len: usize) -> Vec<Bytes> {
        let mut slices = Vec::new();
        let (mut skip, mut left) = (start, len);
        for piece in &self.pieces {
            if left == 0 {
                break;
            }
            if skip >= piece.len() {
                skip -= piece.len();
                continue;
            }
            let end = piece.len().min(skip + left);
            slices.push(piece.slice(skip..end));
            left -= end - skip;
            skip = 0;
        }
        slices
    }

    /// The whole request in one buffer (copied only if it spans pieces).
    pub fn contiguous(&self) -> Bytes {
        self.head(self.len)
    }
}

impl From<Bytes> for Request {
    fn from(bytes: Bytes) -> Self {
        let len = bytes.len();
        let pieces = if bytes.is_empty() {
            vec![]
        } else {
            vec![bytes]
        };
        Self { pieces, len }
    }
}

/// Channel data received and not yet split into requests.
#[derive(Debug, Default)]
pub struct Input {
    pieces: VecDeque<Bytes>,
    len: usize,
}

impl Input {
    /// Input that arrived as `pieces`, for tests.
    #[cfg(test)]
    pub(crate) fn from_pieces(pieces: &[&'static [u8]]) -> Self {
        let mut input = Input::default();
        for piece in pieces {
            input.push(Bytes::from_static(piece));
        }
        input
    }

    pub fn push(&mut self, data: Bytes) {
        if !data.is_empty() {
            self.len += data.len();
            self.pieces.push_back(data);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next request's length prefix, once all four bytes are here.
    pub fn peek_len(&self) -> Option<u32> {
        if self.len < 4 {
            return None;
        }
        let mut prefix = [0u8; 4];
        let mut filled = 0;
        for piece in &self.pieces {
            let n = (4 - filled).min(piece.len());
            prefix[filled..filled + n].copy_from_slice(&piece[..n]);
            filled += n;
            if filled == 4 {
                break;
            }
        }
        Some(u32::from_be_bytes(prefix))
    }

    /// Takes the next `len` bytes (all must be here) as a request.
    pub fn take(&mut self, mut len: usize) -> Request {
        debug_assert!(len <= self.len);
        self.len -= len;
        let mut request = Request {
            pieces: Vec::new(),
            len,
        };
        while len > 0 {
            let Some(front) = self.pieces.front_mut() else {
                break;
            };
            if front.len() <= len {
                len -= front.len();
                if let Some(piece) = self.pieces.pop_front() {
                    request.pieces.push(piece);
                }
            } else {
                request.pieces.push(front.split_to(len));
                len = 0;
            }
        }
        request
    }

    /// Frees what an empty input still holds, so an idle session keeps no buffers.
    pub fn shrink_if_empty(&mut self) {
        if self.is_empty() {
            self.pieces = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pieces: &[&'static [u8]]) -> Input {
        Input::from_pieces(pieces)
    }

    #[test]
    fn a_request_spanning_many_packets_is_charged_for_each() {
        let whole = input(&[b"abcdef"]).take(6);
        let split = input(&[b"a", b"b", b"c", b"d", b"e", b"f"]).take(6);
        assert_eq!(whole.footprint(), 6 + 2 * BOOKKEEPING);
        assert_eq!(split.footprint(), 6 + 7 * BOOKKEEPING);
    }

    #[test]
    fn a_length_prefix_split_over_pieces_is_read_whole() {
        let input = input(&[&[0, 0], &[1], &[2, 9]]);
        assert_eq!(input.peek_len(), Some(258));
        assert_eq!(self::input(&[&[0, 0, 1]]).peek_len(), None);
    }

    #[test]
    fn requests_are_taken_as_slices_of_the_pieces_they_span() {
        let mut input = input(&[b"abc", b"defg", b"hi"]);

        let first = input.take(5);
        let second = input.take(4);

        assert_eq!(first.pieces, [&b"abc"[..], &b"de"[..]]);
        assert_eq!(first.contiguous(), &b"abcde"[..]);
        assert_eq!(second.contiguous(), &b"fghi"[..]);
        assert!(input.is_empty());
    }

    #[test]
    fn heads_and_slices_cross_piece_boundaries() {
        let mut input = input(&[b"ab", b"cdef", b"g"]);
        let request = input.take(7);

        assert_eq!(request.head(3), &b"abc"[..]);
        assert_eq!(request.head(99), &b"abcdefg"[..]);
        let slices = request.slices(1, 5);
        assert_eq!(slices, [&b"b"[..], &b"cdef"[..]]);
        assert_eq!(request.slices(6, 10), [&b"g"[..]]);
    }
}
