//! Pairing claims for the authentication challenge's link.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{number_claim, unexpired_claims, ActionError};
use crate::jwt;

/// A short-lived, signed claim that `flowdock_user_id` asked to authenticate, for the
/// challenge URL (`.../pair?claim=...`), as flowdock/api-docs docs/how-to-create-bidirectional-integrations.md
/// advises: the page it leads to knows which Flowdock user to pair without trusting the
/// query string. `secret` is the integration's own, not the client secret.
///
/// ```
/// use std::time::Duration;
/// use tributary_sdk::actions::{claim_token, verify_claim};
///
/// let claim = claim_token(42, b"polldock-cookie-secret", Duration::from_secs(900));
/// assert_eq!(verify_claim(&claim, b"polldock-cookie-secret"), Ok(42));
/// assert!(verify_claim(&claim, b"another-secret").is_err());
/// ```
pub fn claim_token(flowdock_user_id: i64, secret: &[u8], ttl: Duration) -> String {
    let exp = SystemTime::now()
        .checked_add(ttl)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    jwt::sign(&json!({"user": flowdock_user_id, "exp": exp}), secret)
}

/// The Flowdock user id of a claim made by [`claim_token`] with `secret`, if it has not
/// expired.
pub fn verify_claim(claim: &str, secret: &[u8]) -> Result<i64, ActionError> {
    let claims = unexpired_claims(claim, secret, SystemTime::now(), Duration::ZERO)?;
    number_claim(claims.get("user"))
        .ok_or_else(|| ActionError::Malformed("`user` is not a user id".into()))
}
