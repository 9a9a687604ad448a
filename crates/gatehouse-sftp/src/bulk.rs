//! The bulk path: runs of READ and WRITE requests served in one trip to the blocking pool.
//!
//! A transfer is a stream of these, pipelined by the client (OpenSSH keeps up to 64 in
//! flight). Handing each one to the blocking pool on its own costs a wake-up of a pool thread
//! and another of the session task per request, and profiles of 1 GiB transfers showed those
//! wake-ups costing about as much CPU as the file I/O itself. So the dispatcher gathers every
//! READ and WRITE that is already queued and hands the run over at once.
//!
//! Each request keeps its own offset: a run is never assumed to be contiguous, since clients
//! may send requests in any order. Only WRITEs to the same file at exactly adjoining offsets
//! go to the kernel together, as one `pwritev`.

use std::fs::File;
use std::io::IoSlice;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use crate::dispatch::{MAX_READ_LEN, Traffic};
use crate::status::Failure;
use crate::wire::{self, DataReply, IoBody};

/// The most slices one `pwritev` takes (`IOV_MAX` on Linux and the BSDs).
const MAX_SLICES: usize = 1024;

/// One READ or WRITE with its handle already looked up.
pub struct Op {
    pub id: u32,
    pub file: Result<Arc<File>, Failure>,
    pub offset: u64,
    pub body: IoBody,
}

/// Serves `ops` in order and returns one encoded reply per op, in the same order. Blocks on
/// file I/O: call it from the blocking pool.
pub fn serve(ops: Vec<Op>, traffic: &Traffic) -> Vec<Bytes> {
    let mut replies = Vec::with_capacity(ops.len());
    let mut ops = ops.into_iter().peekable();
    while let Some(op) = ops.next() {
        let file = match op.file {
            Ok(file) => file,
            Err(failure) => {
                replies.push(wire::status(op.id, &failure));
                continue;
            }
        };
        match op.body {
            IoBody::Read { len } => replies.push(read(op.id, &file, op.offset, len, traffic)),
            IoBody::Write { data } => {
                // Saturating: a client may send any offset, and one near u64::MAX only gets
                // the kernel's EINVAL, for itself and whatever would "adjoin" it.
                let mut end = op.offset.saturating_add(total_len(&data) as u64);
                let mut run = vec![(op.id, data)];
                while let Some(next) = ops.next_if(|next| adjoins(next, &file, end)) {
                    let IoBody::Write { data } = next.body else {
                        unreachable!("adjoins() accepts only writes")
                    };
                    end = end.saturating_add(total_len(&data) as u64);
                    run.push((next.id, data));
                }
                write_run(&file, op.offset, &run, traffic, &mut replies);
            }
        }
    }
    replies
}

fn total_len(pieces: &[Bytes]) -> usize {
    pieces.iter().map(Bytes::len).sum()
}

/// Whether `next` is a WRITE to `file` starting exactly at `end`.
fn adjoins(next: &Op, file: &Arc<File>, end: u64) -> bool {
    matches!(&next.body, IoBody::Write { .. })
        && next.offset == end
        && next.file.as_ref().is_ok_and(|f| Arc::ptr_eq(f, file))
}

fn read(id: u32, file: &File, offset: u64, len: u32, traffic: &Traffic) -> Bytes {
    // A client asking for more than we serve gets a shorter DATA, never an error.
    let len = len.min(MAX_READ_LEN) as usize;
    let mut reply = DataReply::with_capacity(len);
    let buf = reply.data_mut();
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            // What was read before the error is still good; the next READ reports it.
            Err(_) if filled > 0 => break,
            Err(err) => return wire::status(id, &Failure::from(err)),
        }
    }
    if filled == 0 {
        return wire::status(id, &Failure::EOF);
    }
    traffic.read.fetch_add(filled as u64, Ordering::Relaxed);
    reply.finish(id, filled)
}

/// Writes adjoining chunks starting at `offset` with as few system calls as the kernel allows,
/// and answers each WRITE: OK, or the error for every chunk of the run if any part failed
/// (the client then fails the transfer rather than trust a partial file).
fn write_run(
    file: &File,
    offset: u64,
    run: &[(u32, Vec<Bytes>)],
    traffic: &Traffic,
    replies: &mut Vec<Bytes>,
) {
    let pieces: Vec<&Bytes> = run.iter().flat_map(|(_, data)| data).collect();
    let total: usize = pieces.iter().map(|piece| piece.len()).sum();
    let result = write_all_vectored_at(file, &pieces, total, offset);
    for (id, _) in run {
        replies.push(match &result {
            Ok(()) => wire::status(*id, &Failure::OK),
            Err(failure) => wire::status(*id, failure),
        });
    }
    if result.is_ok() {
        traffic.written.fetch_add(total as u64, Ordering::Relaxed);
    }
}

fn write_all_vectored_at(
    file: &File,
    pieces: &[&Bytes],
    total: usize,
    offset: u64,
) -> Result<(), Failure> {
    if let [piece] = pieces {
        return file.write_all_at(piece, offset).map_err(Failure::from);
    }
    // Skip what earlier calls wrote: whole pieces first, then the front of a partial one.
    let mut written = 0usize;
    while written < total {
        let mut skip = written;
        let slices: Vec<IoSlice<'_>> = pieces
            .iter()
            .filter_map(|piece| {
                if skip >= piece.len() {
                    skip -= piece.len();
                    return None;
                }
                let slice = IoSlice::new(&piece[skip..]);
                skip = 0;
                Some(slice)
            })
            .take(MAX_SLICES)
            .collect();
        match rustix::io::pwritev(file, &slices, offset + written as u64) {
            Ok(0) => {
                return Err(Failure::from(std::io::Error::from(
                    std::io::ErrorKind::WriteZero,
                )));
            }
            Ok(n) => written += n,
            Err(rustix::io::Errno::INTR) => {}
            Err(errno) => return Err(Failure::from(std::io::Error::from(errno))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(id: u32, file: &Arc<File>, offset: u64, data: &'static [u8]) -> Op {
        Op {
            id,
            file: Ok(Arc::clone(file)),
            offset,
            body: IoBody::Write {
                // Two pieces each, as a WRITE spanning two SSH packets arrives.
                data: vec![
                    Bytes::from_static(&data[..1]),
                    Bytes::from_static(&data[1..]),
                ],
            },
        }
    }

    fn status_code(reply: &Bytes) -> u32 {
        assert_eq!(reply[4], 101, "a STATUS reply");
        u32::from_be_bytes(reply[9..13].try_into().unwrap())
    }

    #[test]
    fn adjoining_and_scattered_writes_land_at_their_own_offsets() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create_new(dir.path().join("f")).unwrap());
        let traffic = Traffic::default();
        let ops = vec![
            write(1, &file, 4, b"efgh"),
            write(2, &file, 8, b"ij"),   // adjoins the first: one pwritev
            write(3, &file, 0, b"abcd"), // goes back: a new run
            write(4, &file, 10, b"kl"),
        ];

        let replies = serve(ops, &traffic);

        let ids: Vec<u32> = replies
            .iter()
            .map(|r| u32::from_be_bytes(r[5..9].try_into().unwrap()))
            .collect();
        assert_eq!(ids, [1, 2, 3, 4], "one reply per request, in request order");
        assert!(replies.iter().all(|r| status_code(r) == 0));
        assert_eq!(
            std::fs::read(dir.path().join("f")).unwrap(),
            b"abcdefghijkl"
        );
        assert_eq!(traffic.written.load(Ordering::Relaxed), 12);
    }

    #[test]
    fn a_write_at_the_largest_offset_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create_new(dir.path().join("f")).unwrap());
        let ops = vec![write(1, &file, u64::MAX, b"zz"), write(2, &file, 0, b"ab")];

        let replies = serve(ops, &Traffic::default());

        let codes: Vec<u32> = replies.iter().map(status_code).collect();
        assert_eq!(
            codes,
            [5, 0],
            "BAD_MESSAGE (EINVAL), then OK for the write at 0"
        );
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"ab");
    }

    #[test]
    fn a_bad_handle_fails_only_its_own_request() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create_new(dir.path().join("f")).unwrap());
        let mut bad = write(2, &file, 2, b"zz");
        bad.file = Err(Failure::NO_SUCH_HANDLE);
        let ops = vec![write(1, &file, 0, b"ab"), bad, write(3, &file, 2, b"cd")];

        let replies = serve(ops, &Traffic::default());

        let codes: Vec<u32> = replies.iter().map(status_code).collect();
        assert_eq!(codes, [0, 4, 0]);
        assert_eq!(std::fs::read(dir.path().join("f")).unwrap(), b"abcd");
    }

    #[test]
    fn a_read_past_the_end_is_eof_and_a_read_across_it_is_short() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"0123456789").unwrap();
        let file = Arc::new(File::open(dir.path().join("f")).unwrap());
        let read = |id, offset, len| Op {
            id,
            file: Ok(Arc::clone(&file)),
            offset,
            body: IoBody::Read { len },
        };

        let replies = serve(vec![read(1, 6, 100), read(2, 10, 4)], &Traffic::default());

        assert_eq!(replies[0][4], 103, "DATA");
        assert_eq!(&replies[0][13..], b"6789");
        assert_eq!(status_code(&replies[1]), 1, "EOF");
    }
}
