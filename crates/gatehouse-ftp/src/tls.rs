//! The FTPS certificate: the configured one, or a self-signed one made on first start in the
//! data folder (key written with mode 0600) and reused after, so a client that pinned it keeps
//! trusting it across restarts.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Makes a self-signed certificate for `localhost` and `127.0.0.1` at the given paths unless
/// a certificate is already there.
pub fn ensure_self_signed(cert: &Path, key: &Path) -> io::Result<()> {
    if cert.is_file() && key.is_file() {
        return Ok(());
    }
    if let Some(parent) = cert.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|err| io::Error::other(format!("generating the FTPS certificate: {err}")))?;

    // The key is created 0600 from the start, so it is never readable by others, even briefly.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true).mode(0o600);
    options
        .open(key)?
        .write_all(made.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(cert, made.cert.pem())?;
    tracing::info!(path = %cert.display(), "created self-signed FTPS certificate");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_certificate_is_made_once_with_a_private_key_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("data/cert.pem");
        let key = dir.path().join("data/key.pem");

        ensure_self_signed(&cert, &key).unwrap();
        let first = std::fs::read_to_string(&cert).unwrap();
        ensure_self_signed(&cert, &key).unwrap();
        let second = std::fs::read_to_string(&cert).unwrap();

        assert!(first.starts_with("-----BEGIN CERTIFICATE-----"), "{first}");
        assert_eq!(first, second, "an existing certificate must be reused");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the private key must be readable by its owner only"
        );
    }
}
