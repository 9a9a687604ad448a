//! Gatehouse's FTP front end: plain FTP and explicit FTPS (`AUTH TLS`, RFC 4217) on
//! libunftp, password only.
//!
//! Logins go to `gatehouse_core::auth::ftp` and nowhere else, so a second factor never
//! applies here, exactly as for SFTP. Every file operation goes through the core jail. This
//! crate depends on core only, never on the other front ends; it owns the FTP wire protocol,
//! the TLS certificate on disk and the mapping of errors to FTP replies, nothing more.

mod door;
mod server;
mod status;
mod storage;
pub mod tls;

pub use server::{FtpError, FtpServer, TlsFiles};
