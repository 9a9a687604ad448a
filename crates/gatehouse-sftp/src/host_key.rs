//! The server's Ed25519 host key: created on first start in OpenSSH format with mode 0600,
//! then reused, so clients' `known_hosts` entries stay valid across restarts.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use russh::keys::{HashAlg, PrivateKey, ssh_key::LineEnding};

pub fn load_or_create(path: &Path) -> io::Result<PrivateKey> {
    if path.exists() {
        return PrivateKey::read_openssh_file(path).map_err(|err| {
            io::Error::other(format!("reading host key {}: {err}", path.display()))
        });
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let key = PrivateKey::random(&mut rand_ssh::rng(), russh::keys::Algorithm::Ed25519)
        .map_err(|err| io::Error::other(format!("generating host key: {err}")))?;
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|err| io::Error::other(format!("encoding host key: {err}")))?;
    // Create with 0600 from the start so the key is never readable by others, even briefly.
    let mut options = std::fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
    io::Write::write_all(&mut options.open(path)?, text.as_bytes())?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    tracing::info!(path = %path.display(), "created SSH host key");
    Ok(key)
}

/// `SHA256:<base64>`, as `ssh-keygen -l` and the OpenSSH client print it.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/host_key");

        let first = load_or_create(&path).unwrap();
        let second = load_or_create(&path).unwrap();

        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "the host key must be readable by its owner only"
        );
        assert_eq!(
            fingerprint(&first),
            fingerprint(&second),
            "the key must be reused"
        );
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("-----BEGIN OPENSSH")
        );
    }
}
