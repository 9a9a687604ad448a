//! How failures are told to SFTP clients: the one place errors become status codes.
//!
//! The mapping follows OpenSSH's sftp-server (`errno_to_portable`), because clients are
//! written against it: rclone and `mkdir -p` loops rely on "no such file" being code 2 and
//! "already exists" being a plain failure (code 4), since SFTP v3 has no better code.

use std::io;

use russh_sftp::protocol::StatusCode;

/// A status code and the short message sent with it; the cause stays in the server log.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub code: StatusCode,
    pub message: &'static str,
}

impl Failure {
    pub const fn new(code: StatusCode, message: &'static str) -> Self {
        Self { code, message }
    }

    pub const OK: Self = Self::new(StatusCode::Ok, "Success");
    pub const EOF: Self = Self::new(StatusCode::Eof, "End of file");
    /// What the client hears of a fault of ours (a panic, an encoding bug).
    pub const INTERNAL: Self = Self::new(StatusCode::Failure, "Failure");
    pub const NO_SUCH_HANDLE: Self = Self::new(StatusCode::Failure, "Invalid handle");
    pub const UNSUPPORTED: Self = Self::new(StatusCode::OpUnsupported, "Operation unsupported");
    pub const BAD_MESSAGE: Self = Self::new(StatusCode::BadMessage, "Bad message");
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        use io::ErrorKind as K;
        // ELOOP: a symlink met where none may be followed (creating through a link).
        if err.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return Self::new(StatusCode::NoSuchFile, "No such file");
        }
        match err.kind() {
            K::NotFound | K::NotADirectory => Self::new(StatusCode::NoSuchFile, "No such file"),
            K::PermissionDenied => Self::new(StatusCode::PermissionDenied, "Permission denied"),
            K::AlreadyExists => Self::new(StatusCode::Failure, "File exists"),
            K::DirectoryNotEmpty => Self::new(StatusCode::Failure, "Directory not empty"),
            K::IsADirectory => Self::new(StatusCode::Failure, "Is a directory"),
            K::InvalidInput | K::InvalidFilename => Self::new(StatusCode::BadMessage, "Bad path"),
            K::StorageFull | K::QuotaExceeded => Self::new(StatusCode::Failure, "No space left"),
            K::Unsupported => Self::UNSUPPORTED,
            _ => Self::new(StatusCode::Failure, "Failure"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_paths_are_no_such_file_and_existing_ones_a_plain_failure() {
        let missing = Failure::from(io::Error::from(io::ErrorKind::NotFound));
        let exists = Failure::from(io::Error::from(io::ErrorKind::AlreadyExists));
        assert_eq!(missing.code, StatusCode::NoSuchFile);
        assert_eq!(exists.code, StatusCode::Failure);
    }
}
