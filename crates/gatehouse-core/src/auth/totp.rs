//! TOTP (RFC 6238) as every authenticator app reads it: a 160-bit secret, HMAC-SHA1, six
//! digits, 30-second steps. A code is accepted for the current step and one on either side
//! (clock drift); which step matched is returned so the store can refuse it a second time.
//!
//! Secrets are sealed at rest with XChaCha20-Poly1305 under a server key, bound to the user
//! id, so a copied database row cannot be moved to another account. This module does not
//! touch the database; `store::second_factors` keeps the last accepted step.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::CoreError;
use crate::ids::UserId;

const STEP_SECS: i64 = 30;
const DIGITS: usize = 6;
const SECRET_BYTES: usize = 20;

/// Unreserved characters (RFC 3986) stay; everything else, space and ':' included, is
/// percent-encoded, which every app tested in CASES C3 decodes.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A TOTP secret in the clear. Its `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    pub fn generate() -> Self {
        let mut bytes = vec![0; SECRET_BYTES];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Upper-case RFC 4648 base32 without padding: 32 characters for 160 bits.
    pub fn to_base32(&self) -> String {
        match Secret::Raw(self.0.clone()).to_encoded() {
            Secret::Encoded(text) => text,
            Secret::Raw(_) => String::new(),
        }
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 0, STEP_SECS as u64, self.0.clone())
    }

    /// The code for one time step.
    pub fn code_at_step(&self, step: i64) -> String {
        self.totp()
            .generate(u64::try_from(step * STEP_SECS).unwrap_or(0))
    }

    /// The step `code` belongs to, trying now and one step either side.
    pub fn matching_step(&self, code: &str, now: DateTime<Utc>) -> Option<i64> {
        let code = code.trim();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = step_of(now);
        [current, current - 1, current + 1]
            .into_iter()
            .find(|step| constant_time_eq(self.code_at_step(*step).as_bytes(), code.as_bytes()))
    }

    /// The `otpauth://` URI of the key-URI format. Colons are removed from the label's parts
    /// (they would make the label ambiguous) and everything is percent-encoded, space as %20.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = encode(&issuer.replace(':', ""));
        let account = encode(&account.replace(':', ""));
        format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}\
             &algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            self.to_base32()
        )
    }
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, URI_COMPONENT).to_string()
}

pub fn step_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECS)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The server key that seals TOTP secrets. Its `Debug` prints nothing of it.
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(..)")
    }
}

impl SealKey {
    /// Reads the key (64 hex digits) from `path`, or creates it there with mode 0600.
    pub fn load_or_create(path: &Path) -> Result<Self, CoreError> {
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let bytes = hex::decode(text.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok());
            let Some(bytes) = bytes else {
                return Err(CoreError::invalid(format!(
                    "{} must hold 64 hex digits (a 32-byte key)",
                    path.display()
                )));
            };
            return Ok(Self(bytes));
        }
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        write_private(path, hex::encode(key).as_bytes())?;
        tracing::info!(path = %path.display(), "created the key that seals TOTP secrets");
        Ok(Self(key))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Nonce and ciphertext, base64; the user id is authenticated data.
    pub fn seal(&self, user: UserId, secret: &TotpSecret) -> Result<String, CoreError> {
        let mut nonce = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut nonce);
        let aad = user.0.to_be_bytes();
        let sealed = XChaCha20Poly1305::new((&self.0).into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &secret.0,
                    aad: &aad,
                },
            )
            .map_err(|_| CoreError::invalid("sealing a TOTP secret failed"))?;
        Ok(STANDARD.encode([nonce.as_slice(), &sealed].concat()))
    }

    pub fn open(&self, user: UserId, sealed: &str) -> Result<TotpSecret, CoreError> {
        let unreadable = || CoreError::invalid("a stored TOTP secret cannot be opened");
        let bytes = STANDARD.decode(sealed).map_err(|_| unreadable())?;
        if bytes.len() < 24 {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let aad = user.0.to_be_bytes();
        XChaCha20Poly1305::new((&self.0).into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(TotpSecret)
            .map_err(|_| unreadable())
    }
}

fn write_private(path: &Path, contents: &[u8]) -> Result<(), CoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn codes_match_the_rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA1 column, eight digits.
        let secret = b"12345678901234567890".to_vec();
        let totp = TOTP::new_unchecked(Algorithm::SHA1, 8, 0, 30, secret);
        let vectors = [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ];
        for (time, code) in vectors {
            assert_eq!(totp.generate(time), code, "RFC 6238 vector at T={time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_digits_of_the_vectors() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        assert_eq!(secret.code_at_step(1111111109 / 30), "081804");
        assert_eq!(
            secret.matching_step("081804", at(1111111109)),
            Some(1111111109 / 30)
        );
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_not_two() {
        let secret = TotpSecret::generate();
        let now = at(1_800_000_000);
        let step = step_of(now);

        for offset in [-1, 0, 1] {
            let code = secret.code_at_step(step + offset);
            assert_eq!(
                secret.matching_step(&code, now),
                Some(step + offset),
                "offset {offset}"
            );
        }
        let far = secret.code_at_step(step + 2);
        let near: Vec<String> = (-1..=1).map(|o| secret.code_at_step(step + o)).collect();
        if !near.contains(&far) {
            assert_eq!(
                secret.matching_step(&far, now),
                None,
                "two steps ahead is refused"
            );
        }
    }

    #[test]
    fn malformed_codes_are_refused_without_computing() {
        let secret = TotpSecret::generate();
        for bad in ["", "12345", "1234567", "abcdef", "12 456"] {
            assert_eq!(secret.matching_step(bad, Utc::now()), None, "{bad:?}");
        }
    }

    #[test]
    fn the_secret_is_32_characters_of_unpadded_upper_case_base32() {
        let text = TotpSecret::generate().to_base32();
        assert_eq!(text.len(), 32);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)),
            "{text}"
        );
    }

    #[test]
    fn the_otpauth_uri_encodes_issuer_and_account_and_drops_colons() {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        let uri = secret.otpauth_uri("ACME: Ops", "alice+ops@example.com");
        assert!(
            uri.starts_with("otpauth://totp/ACME%20Ops:alice%2Bops%40example.com?secret="),
            "{uri}"
        );
        assert!(uri.contains("&issuer=ACME%20Ops&"), "{uri}");
        assert!(uri.ends_with("&algorithm=SHA1&digits=6&period=30"), "{uri}");
        assert!(!uri.contains('+') && !uri.contains(' '), "{uri}");
    }

    #[test]
    fn a_sealed_secret_opens_only_for_the_same_user_and_key() {
        let key = SealKey::from_bytes([7; 32]);
        let secret = TotpSecret::generate();
        let sealed = key.seal(UserId(1), &secret).unwrap();

        assert_eq!(key.open(UserId(1), &sealed).unwrap(), secret);
        assert!(
            key.open(UserId(2), &sealed).is_err(),
            "bound to the user id"
        );
        assert!(
            SealKey::from_bytes([8; 32])
                .open(UserId(1), &sealed)
                .is_err(),
            "bound to the key"
        );
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let first = SealKey::load_or_create(&path).unwrap();
        let again = SealKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0);
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
