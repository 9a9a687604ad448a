//! Password hashing and policy.
//!
//! Hashes are argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane). Hashing
//! runs on its own low-priority threads ([`pool`]), so a flood of login attempts uses at most
//! `max_concurrent_hashes` cores, yields them to running transfers, and never stalls the
//! async workers that move files.
//! An unknown user is checked against a dummy hash of the same cost, so "no such user" and
//! "wrong password" take the same time and give the same answer.

mod pool;

use std::fmt;
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::config::HashPriority;
use crate::error::CoreError;
use pool::HashPool;

/// A password as typed. Its `Debug` prints nothing and its memory is wiped on drop.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(password: impl Into<String>) -> Self {
        Self(Zeroizing::new(password.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A 20-character password from an alphabet without look-alikes (no 0/O, 1/l/I).
    pub fn generate() -> Self {
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = OsRng;
        let text: String = (0..20)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        Self::new(text)
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// The rules every new password must meet, following NIST SP 800-63B: a minimum length, a
/// generous maximum, no composition rules, and a refusal of the most common passwords and of
/// the username itself.
#[derive(Clone, Copy, Debug)]
pub struct PasswordPolicy {
    pub min_length: usize,
}

/// Passwords that appear at the top of every breach corpus; a sample, not a breach database.
const COMMON: &[&str] = &[
    "123456789012",
    "password1234",
    "qwertyuiop12",
    "passwordpassword",
    "111111111111",
    "iloveyou1234",
    "adminadmin12",
    "letmein12345",
    "welcome12345",
    "changeme1234",
    "qwerty123456",
    "1q2w3e4r5t6y",
    "abc123456789",
    "password123!",
    "p@ssw0rd1234",
    "000000000000",
    "123123123123",
    "trustno11234",
    "football1234",
    "baseball1234",
];

impl PasswordPolicy {
    pub const MAX_LENGTH: usize = 256;

    pub fn check(&self, password: &Password, username: &str) -> Result<(), CoreError> {
        let text = password.expose();
        let length = text.chars().count();
        if length < self.min_length {
            return Err(CoreError::invalid(format!(
                "password too short: at least {} characters",
                self.min_length
            )));
        }
        if length > Self::MAX_LENGTH {
            return Err(CoreError::invalid(
                "password too long: at most 256 characters",
            ));
        }
        let lower = text.to_lowercase();
        if COMMON.contains(&lower.as_str()) {
            return Err(CoreError::invalid("password is too common; choose another"));
        }
        if !username.is_empty() && lower.contains(&username.to_lowercase()) {
            return Err(CoreError::invalid("password must not contain the username"));
        }
        if text.chars().all(|c| text.starts_with(c)) {
            return Err(CoreError::invalid("password must not repeat one character"));
        }
        Ok(())
    }
}

/// The result of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Correct, but hashed with outdated parameters: store a fresh hash.
    YesRehash,
}

#[derive(Clone)]
pub struct PasswordHasher {
    pool: HashPool,
    dummy_hash: Arc<str>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher").finish_non_exhaustive()
    }
}

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| CoreError::Hashing(err.to_string()))
}

fn verify_blocking(password: &str, stored: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified::No;
    };
    if argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Verified::No;
    }
    let current = argon2();
    let wanted = current.params();
    let same_cost = Params::try_from(&parsed).is_ok_and(|used| {
        (used.m_cost(), used.t_cost(), used.p_cost())
            == (wanted.m_cost(), wanted.t_cost(), wanted.p_cost())
    });
    let outdated = parsed.algorithm != argon2::ARGON2ID_IDENT || !same_cost;
    if outdated {
        Verified::YesRehash
    } else {
        Verified::Yes
    }
}

impl PasswordHasher {
    /// Starts `max_concurrent` hashing threads with room for as many waiting checks as a
    /// one-shot command could ever queue. Computes the dummy hash once, at start-up.
    pub fn new(max_concurrent: usize) -> Result<Self, CoreError> {
        Self::with_queue_limit(max_concurrent, 1024, HashPriority::Low)
    }

    /// Sheds password checks beyond `max_waiting` queued ones with [`CoreError::Busy`]. A
    /// flood of guesses then costs one refused send each instead of a queue that grows as
    /// long as the flood lasts, while logins already hashing finish normally.
    pub fn with_queue_limit(
        max_concurrent: usize,
        max_waiting: usize,
        priority: HashPriority,
    ) -> Result<Self, CoreError> {
        let dummy_hash = hash_blocking("gatehouse-dummy-password-for-unknown-users")?;
        Ok(Self {
            pool: HashPool::start(max_concurrent, max_waiting, priority)?,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Half the machine's cores, at least one: the rest stays free for moving files.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
    }

    pub async fn hash(&self, password: &Password) -> Result<String, CoreError> {
        let password = password.clone();
        self.run(move || hash_blocking(password.expose())).await?
    }

    /// Verifies against `stored`, or against the dummy hash when there is no user, so both
    /// cases cost one argon2 evaluation.
    pub async fn verify(
        &self,
        password: &Password,
        stored: Option<&str>,
    ) -> Result<Verified, CoreError> {
        let exists = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.clone();
        let verified = self
            .run(move || verify_blocking(password.expose(), &hash))
            .await?;
        Ok(if exists { verified } else { Verified::No })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CoreError> {
        self.pool.run(work).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new(2).unwrap();
        let hash = hasher
            .hash(&Password::new("correct horse battery"))
            .await
            .unwrap();

        let right = hasher
            .verify(&Password::new("correct horse battery"), Some(&hash))
            .await;
        let wrong = hasher
            .verify(&Password::new("correct horse battery!"), Some(&hash))
            .await;

        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(right.unwrap(), Verified::Yes);
        assert_eq!(wrong.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() {
        let hasher = PasswordHasher::new(1).unwrap();
        let dummy = Password::new("gatehouse-dummy-password-for-unknown-users");
        assert_eq!(hasher.verify(&dummy, None).await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn a_hash_with_weaker_parameters_verifies_and_asks_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak
            .hash_password(b"an old password here", &salt)
            .unwrap()
            .to_string();
        let hasher = PasswordHasher::new(1).unwrap();

        let verified = hasher
            .verify(&Password::new("an old password here"), Some(&old))
            .await;

        assert_eq!(verified.unwrap(), Verified::YesRehash);
    }

    #[tokio::test]
    async fn checks_beyond_the_queue_limit_are_shed_and_the_rest_complete() {
        let hasher = PasswordHasher::with_queue_limit(1, 2, HashPriority::Normal).unwrap();
        let password = Password::new("correct horse battery");

        let checks = (0..12).map(|_| hasher.verify(&password, None));
        let results = futures::future::join_all(checks).await;

        let shed = results
            .iter()
            .filter(|r| matches!(r, Err(CoreError::Busy)))
            .count();
        let done = results
            .iter()
            .filter(|r| matches!(r, Ok(Verified::No)))
            .count();
        assert!(shed > 0, "a burst beyond the limit must be shed");
        assert_eq!(shed + done, 12, "every other check completes normally");
        assert_eq!(
            hasher.verify(&password, None).await.unwrap(),
            Verified::No,
            "and it recovers"
        );
    }

    #[test]
    fn the_policy_refuses_short_common_and_username_passwords() {
        let policy = PasswordPolicy { min_length: 12 };
        let cases = [
            ("short", "too short"),
            ("password1234", "too common"),
            ("alice-is-great-2026", "username"),
            ("aaaaaaaaaaaaaa", "repeat"),
        ];
        for (password, reason) in cases {
            let err = policy
                .check(&Password::new(password), "alice")
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(reason),
                "{password:?}: expected {reason:?} in {err:?}"
            );
        }
        assert!(policy.check(&Password::generate(), "alice").is_ok());
    }
}
