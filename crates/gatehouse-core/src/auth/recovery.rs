//! Recovery codes: ten one-time codes shown once, stored as SHA-256 hashes. Each code carries
//! 50 random bits, so a fast hash is enough (nobody brute-forces 2^50 through the throttle).
//! Consuming one is a single conditional DELETE in `store::recovery_codes`.

use rand::Rng;
use sha2::{Digest, Sha256};

pub const CODES_PER_SET: usize = 10;

/// Lower-case letters and digits without look-alikes (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A fresh set of codes, shaped `xxxxx-xxxxx`.
pub fn generate() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..CODES_PER_SET)
        .map(|_| {
            let mut pick = || char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]);
            let left: String = (0..5).map(|_| pick()).collect();
            let right: String = (0..5).map(|_| pick()).collect();
            format!("{left}-{right}")
        })
        .collect()
}

/// The hash stored for a code, after folding case and dropping spaces and dashes, so a code
/// typed as `ABCDE FGHJK` still matches.
pub fn hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_has_ten_distinct_codes_of_the_documented_shape() {
        let codes = generate();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10, "codes should be distinct: {codes:?}");
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'),
            "{codes:?}"
        );
    }

    #[test]
    fn case_spaces_and_dashes_do_not_change_the_hash() {
        assert_eq!(hash("abcde-fghjk"), hash(" ABCDE FGHJK "));
        assert_ne!(hash("abcde-fghjk"), hash("abcde-fghjm"));
    }
}
