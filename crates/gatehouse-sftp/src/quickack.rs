//! Immediate ACKs while the SSH handshake runs, so the client's Nagle algorithm never waits
//! for our delayed ACK.
//!
//! OpenSSH's client leaves Nagle on for non-interactive sessions such as `sftp`. During the
//! key exchange it sends KEXINIT and then, before that segment is acknowledged, the small
//! ECDH_INIT: Nagle holds the second until the first is ACKed, and Linux delays that ACK by
//! up to 40 ms because nothing of ours is going out to carry it. Traced on loopback, half of
//! all `sftp` key logins took 60 ms instead of 20 for that one wait. Setting `TCP_QUICKACK`
//! after a read sends the pending ACK at once; the kernel leaves quick-ACK mode again on its
//! own, so it is set after each of the first reads only. Bulk transfers, later, carry their
//! ACKs on replies.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Reads after which the handshake and login are over, with room to spare (version, key
/// exchange, service request, a few authentication rounds, channel and subsystem).
const HANDSHAKE_READS: u8 = 24;

/// A TCP stream that acknowledges what it reads at once for its first reads.
pub struct QuickAck {
    stream: TcpStream,
    reads_left: u8,
}

impl QuickAck {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            reads_left: HANDSHAKE_READS,
        }
    }
}

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if self.reads_left > 0
            && matches!(polled, Poll::Ready(Ok(())))
            && buf.filled().len() > before
        {
            self.reads_left -= 1;
            // Only a lost optimisation if it fails; the read itself succeeded.
            #[cfg(any(target_os = "linux", target_os = "android"))]
            let _ = rustix::net::sockopt::set_tcp_quickack(&self.stream, true);
        }
        polled
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use rustix::net::sockopt::{set_tcp_quickack, tcp_quickack};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    #[tokio::test]
    async fn reads_turn_quick_acks_back_on_during_the_handshake_only() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let mut server = QuickAck::new(accepted);
        let mut byte = [0u8; 1];

        for read in 0..=HANDSHAKE_READS {
            // Delayed ACKs, as the kernel chooses once both sides have talked.
            set_tcp_quickack(&server.stream, false).unwrap();
            client.write_all(b"x").await.unwrap();
            server.read_exact(&mut byte).await.unwrap();

            let quick = tcp_quickack(&server.stream).unwrap();
            let expected = read < HANDSHAKE_READS;
            assert_eq!(quick, expected, "quick ACKs after read {read}");
        }
    }
}
