//! The one place where errors become FTP replies. Clients see libunftp's short fixed reply
//! for the kind (550, 451, ...); the cause goes to the log.

use std::io;

use unftp_core::storage::{Error, ErrorKind};

/// Maps a jail error to an FTP storage error. A path the jail refuses to resolve (an escape
/// through `..`, a symlink or an absolute path) looks like a missing file, as it does in SFTP.
pub(crate) fn from_io(err: io::Error) -> Error {
    tracing::debug!(error = %err, "ftp storage call failed");
    match err.kind() {
        io::ErrorKind::InvalidInput => Error::new(ErrorKind::FileNameNotAllowedError, err),
        _ => Error::from(err),
    }
}

/// A blocking task that did not finish (the runtime is shutting down, or it panicked).
pub(crate) fn from_join(err: tokio::task::JoinError) -> Error {
    tracing::warn!(error = %err, "ftp storage task did not complete");
    Error::new(ErrorKind::LocalError, err)
}

/// A client path the jail's normalizer refused (a NUL byte, a name that is not UTF-8).
pub(crate) fn bad_name(reason: String) -> Error {
    tracing::debug!(reason, "ftp path refused");
    Error::new(ErrorKind::FileNameNotAllowedError, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_and_a_jail_refusal_become_permanent_failures() {
        let missing = from_io(io::Error::from(io::ErrorKind::NotFound));
        let denied = from_io(io::Error::from(io::ErrorKind::PermissionDenied));
        let invalid = from_io(io::Error::from(io::ErrorKind::InvalidInput));

        assert_eq!(missing.kind(), ErrorKind::PermanentFileNotAvailable);
        assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
        assert_eq!(invalid.kind(), ErrorKind::FileNameNotAllowedError);
    }
}
