//! Hand-written encoding for the two packets that carry file data, READ/DATA and WRITE.
//!
//! Everything else goes through russh-sftp's serde types, which copy payloads into owned
//! `Vec`s. For the bulk path that would mean two extra copies of every byte moved, so here a
//! WRITE's data stays slices of the packets it arrived in, and a READ is answered by reading
//! the file straight into the reply buffer behind its header (draft-ietf-secsh-filexfer-02 §6.4,
//! §7: `uint32 length, byte type, uint32 id, string data`).

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::input::Request;
use crate::recycle::REPLY_BUFFERS;
use crate::status::Failure;

pub const SSH_FXP_READ: u8 = 5;
pub const SSH_FXP_WRITE: u8 = 6;
const SSH_FXP_STATUS: u8 = 101;
const SSH_FXP_DATA: u8 = 103;

/// Bytes before a DATA reply's payload: length, type, id, data length.
pub const DATA_HEADER_LEN: usize = 4 + 1 + 4 + 4;

/// The longest READ or WRITE header the fast path decodes: type, id, a handle of up to 256
/// bytes (ours are decimal numbers), offset and length. Longer ones go to the general path,
/// which answers them NO_SUCH_HANDLE: no handle of ours is that long.
const MAX_IO_HEAD: usize = 1 + 4 + (4 + 256) + 8 + 4;

/// A decoded READ or WRITE. `handle` borrows nothing: it is a slice of the request.
#[derive(Debug, PartialEq, Eq)]
pub struct Io {
    pub id: u32,
    pub handle: Bytes,
    pub offset: u64,
    pub body: IoBody,
}

#[derive(Debug, PartialEq, Eq)]
pub enum IoBody {
    Read {
        len: u32,
    },
    /// The data as slices of the packets it arrived in, in order.
    Write {
        data: Vec<Bytes>,
    },
}

/// Decodes a READ or WRITE request. `None` for any other type or a malformed packet, which
/// then takes the general path and its error handling.
pub fn decode_io(request: &Request) -> Option<Io> {
    let head = request.head(MAX_IO_HEAD);
    let mut buf = head.clone();
    let kind = buf.try_get_u8().ok()?;
    if kind != SSH_FXP_READ && kind != SSH_FXP_WRITE {
        return None;
    }
    let id = buf.try_get_u32().ok()?;
    let handle = string(&mut buf)?;
    let offset = buf.try_get_u64().ok()?;
    let len = buf.try_get_u32().ok()?;
    let body = if kind == SSH_FXP_READ {
        IoBody::Read { len }
    } else {
        let start = head.len() - buf.remaining();
        let len = len as usize;
        if request.len() - start < len {
            return None;
        }
        IoBody::Write {
            data: request.slices(start, len),
        }
    };
    Some(Io {
        id,
        handle,
        offset,
        body,
    })
}

/// The least a request counts for in a batch, so that a batch holds at most 256 requests
/// however small they are (and their replies stay few).
const MIN_COST: usize = 4096;

/// What answering a request (without its length prefix) brings into memory: the request
/// itself, plus for a READ the data it asks for; never less than [`MIN_COST`].
pub fn cost(request: &Request) -> usize {
    let mut cost = request.len();
    // Checked first so a WRITE is not decoded (and its data sliced) just to be sized.
    if request.head(1).first() == Some(&SSH_FXP_READ)
        && let Some(Io {
            body: IoBody::Read { len },
            ..
        }) = decode_io(request)
    {
        cost += DATA_HEADER_LEN + len.min(crate::dispatch::MAX_READ_LEN) as usize;
    }
    cost.max(MIN_COST)
}

fn string(buf: &mut Bytes) -> Option<Bytes> {
    let len = buf.try_get_u32().ok()? as usize;
    (buf.remaining() >= len).then(|| buf.split_to(len))
}

/// A STATUS reply (§7: `uint32 id, uint32 code, string message, string language`), the
/// answer to every WRITE, encoded without russh-sftp's owned strings.
pub fn status(id: u32, failure: &Failure) -> Bytes {
    const LANGUAGE: &[u8] = b"en";
    let message = failure.message.as_bytes();
    let body_len = 1 + 4 + 4 + 4 + message.len() + 4 + LANGUAGE.len();
    let mut buf = BytesMut::with_capacity(4 + body_len);
    buf.put_u32(u32::try_from(body_len).unwrap_or(u32::MAX));
    buf.put_u8(SSH_FXP_STATUS);
    buf.put_u32(id);
    buf.put_u32(failure.code as u32);
    put_string(&mut buf, message);
    put_string(&mut buf, LANGUAGE);
    buf.freeze()
}

fn put_string(buf: &mut BytesMut, bytes: &[u8]) {
    buf.put_u32(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    buf.put_slice(bytes);
}

/// A reply buffer with room for `len` bytes of file data behind a DATA header; fill
/// `data_mut`, then [`DataReply::finish`] with the number of bytes read.
pub struct DataReply {
    buf: BytesMut,
}

impl DataReply {
    /// Room for `len` bytes of data, from [`REPLY_BUFFERS`].
    pub fn with_capacity(len: usize) -> Self {
        Self {
            buf: REPLY_BUFFERS.take(DATA_HEADER_LEN + len),
        }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[DATA_HEADER_LEN..]
    }

    pub fn finish(mut self, id: u32, filled: usize) -> Bytes {
        // Past what was read, a used buffer holds an earlier reply: never send any of it.
        assert!(filled <= self.buf.len() - DATA_HEADER_LEN);
        self.buf.truncate(DATA_HEADER_LEN + filled);
        let packet_len = u32::try_from(1 + 4 + 4 + filled).unwrap_or(u32::MAX);
        let data_len = u32::try_from(filled).unwrap_or(u32::MAX);
        let mut header = &mut self.buf[..DATA_HEADER_LEN];
        header.put_u32(packet_len);
        header.put_u8(SSH_FXP_DATA);
        header.put_u32(id);
        header.put_u32(data_len);
        let reply = self.buf.freeze();
        REPLY_BUFFERS.keep(&reply);
        reply
    }
}

#[cfg(test)]
mod tests {
    use russh_sftp::protocol::{Data, Packet, StatusCode, Write};

    use super::*;

    #[test]
    fn a_write_decodes_the_same_as_russh_sftp_encodes_it() {
        let write = Write {
            id: 7,
            handle: "12".into(),
            offset: 1 << 40,
            data: vec![1, 2, 3],
        };
        let mut encoded = Bytes::try_from(Packet::Write(write)).unwrap();
        encoded.advance(4);

        let io = decode_io(&Request::from(encoded)).expect("a WRITE");

        assert_eq!(io.id, 7);
        assert_eq!(io.handle, Bytes::from_static(b"12"));
        assert_eq!(io.offset, 1 << 40);
        assert_eq!(
            io.body,
            IoBody::Write {
                data: vec![Bytes::from_static(&[1, 2, 3])]
            }
        );
    }

    #[test]
    fn a_write_spanning_packets_keeps_its_data_in_their_slices() {
        let data: Vec<u8> = (0..=255).cycle().take(3000).collect();
        let write = Write {
            id: 3,
            handle: "7".into(),
            offset: 99,
            data: data.clone(),
        };
        let mut encoded = Bytes::try_from(Packet::Write(write)).unwrap();
        encoded.advance(4);
        // Cut inside the header and twice inside the data.
        let mut input = crate::input::Input::default();
        for (start, end) in [(0, 10), (10, 1000), (1000, 2500), (2500, encoded.len())] {
            input.push(encoded.slice(start..end));
        }
        let request = input.take(encoded.len());

        let io = decode_io(&request).expect("a WRITE");

        assert_eq!((io.id, io.offset), (3, 99));
        let IoBody::Write { data: pieces } = io.body else {
            panic!("a WRITE body")
        };
        assert_eq!(pieces.len(), 3, "the data stays in the packets' slices");
        assert_eq!(pieces.concat(), data);
    }

    #[test]
    fn a_truncated_write_is_left_to_the_general_path() {
        let packet = Bytes::from_static(&[SSH_FXP_WRITE, 0, 0, 0, 1, 0, 0, 0, 9, b'x']);
        assert_eq!(decode_io(&Request::from(packet)), None);
    }

    #[test]
    fn a_status_reply_encodes_the_same_as_russh_sftp() {
        let failure = Failure::new(StatusCode::NoSuchFile, "No such file");

        let ours = status(41, &failure);

        let theirs = Bytes::try_from(Packet::status(
            41,
            StatusCode::NoSuchFile,
            "No such file",
            "en",
        ))
        .unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_data_reply_encodes_the_same_as_russh_sftp() {
        let mut reply = DataReply::with_capacity(8);
        reply.data_mut()[..3].copy_from_slice(b"abc");

        let ours = reply.finish(9, 3);

        let theirs = Bytes::try_from(Packet::Data(Data {
            id: 9,
            data: b"abc".to_vec(),
        }))
        .unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_short_reply_in_a_used_buffer_carries_nothing_of_the_earlier_reply() {
        const LEN: usize = 256 * 1024;
        let mut first = DataReply::with_capacity(LEN);
        first.data_mut().fill(0xaa);
        drop(first.finish(1, LEN));

        // Likely the same memory (the pool is shared with other tests, so not certain).
        let mut second = DataReply::with_capacity(LEN);
        second.data_mut()[..3].copy_from_slice(b"abc");
        let reply = second.finish(2, 3);

        assert_eq!(reply.len(), DATA_HEADER_LEN + 3);
        assert_eq!(&reply[DATA_HEADER_LEN..], b"abc");
        assert_eq!(&reply[..4], &(1 + 4 + 4 + 3u32).to_be_bytes());
    }
}
