//! Who may log in, through which door.
//!
//! Each door has its own module and its own principal type. `auth::sftp` checks a password or
//! an SSH key and never reads second-factor state: a second factor never applies to SFTP, so
//! enabling 2FA cannot break a scripted upload;
//! `auth::ftp` is the same kind of door, password only. The shared password check, the throttle and
//! the audit trail live in [`login`], once.

pub mod ftp;
pub mod login;
pub mod recovery;
pub mod sftp;
pub mod sms;
pub mod totp;
pub mod web;

pub use login::Authenticator;
