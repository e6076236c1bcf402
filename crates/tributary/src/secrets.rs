//! Tokens, their hashes, and passwords.
//!
//! Only SHA-256 hashes of tokens are stored, so a leaked database leaks no credential; lookups
//! go by hash, which also keeps the comparison independent of how much of a guess matched.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random token of `bytes` random bytes, hex-encoded (Flowdock's tokens are hex).
pub fn new_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The SHA-256 of a token, hex-encoded: the only form in which tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `given` is the token whose [`hash_token`] is `expected_hash`, compared in constant
/// time: for tokens checked against configuration (the metrics token) rather than looked up.
pub fn token_matches(given: &str, expected_hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    hash_token(given)
        .as_bytes()
        .ct_eq(expected_hash.as_bytes())
        .into()
}

/// An argon2id hash in PHC string form.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC hash. Slow on purpose: run it off the async threads.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A random id in the 8-4-4-4-12 hex form that Flowdock used for new flows.
pub fn new_flow_id() -> String {
    let h = new_token(16);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_hash_stably() {
        let a = new_token(16);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_token(16));
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert!(token_matches(&a, &hash_token(&a)));
        assert!(!token_matches(&a[1..], &hash_token(&a)));
    }

    #[test]
    fn passwords_verify_only_with_the_right_password() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "wrong"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn flow_ids_have_the_uuid_shape() {
        let id = new_flow_id();
        let parts: Vec<_> = id.split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
    }
}
