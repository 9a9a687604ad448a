//! Gatehouse's SFTP front end: a russh SSH server whose only service is the `sftp`
//! subsystem, with our own SFTP v3 dispatch over russh-sftp's protocol types.
//!
//! Who may log in is decided by `gatehouse_core::auth::sftp` (password or key, never a second
//! factor); where a path lands is decided by `gatehouse_core::jail`. This crate owns the SSH
//! and SFTP protocol behaviour only:
//!
//! - [`server`]: listener, SSH config, authentication callbacks, channel requests;
//! - [`quickack`]: immediate TCP ACKs during the handshake (the OpenSSH client's Nagle);
//! - [`shards`]: one thread per core, each serving its connections start to finish;
//! - [`input`]: received data split into requests, file data left in the packets it came in;
//! - [`pump`]: moves bytes between an SSH channel and the dispatcher without ever stalling
//!   the SSH session (see its notes for the russh-sftp hang it avoids);
//! - [`dispatch`]: SFTP requests in, one reply out for each;
//! - [`bulk`]: runs of READs and WRITEs served in one trip to the blocking pool;
//! - [`wire`]: zero-copy encoding for the bulk path (READ/DATA, WRITE, STATUS);
//! - [`recycle`]: READ reply buffers used again once sent, instead of zeroed afresh;
//! - [`attrs`] and [`status`]: how file metadata and errors are described to clients.

pub mod attrs;
pub mod bulk;
pub mod dispatch;
pub mod host_key;
pub mod input;
pub mod pump;
pub mod quickack;
pub mod recycle;
pub mod server;
pub mod shards;
pub mod status;
pub mod wire;

pub use server::SftpServer;
