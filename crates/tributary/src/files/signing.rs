//! Short-lived signed download URLs: an HMAC-SHA256 over the file and an expiry time, keyed
//! by a server secret kept in the store, so that every node (and a restarted one) accepts the
//! URLs another node signed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::ApiResult;
use crate::state::AppState;

/// The name of the signing key among the store's server secrets.
pub const SECRET_NAME: &str = "file_url_key";

/// The signing key, read from the store once per server (and created there the first time).
pub async fn key(state: &AppState) -> ApiResult<String> {
    let key = state
        .files
        .url_key
        .get_or_try_init(|| async {
            let candidate = crate::secrets::new_token(32);
            state.store.server_secret(SECRET_NAME, &candidate).await
        })
        .await?;
    Ok(key.clone())
}

/// What a presented signature is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Valid,
    Expired,
    /// Not made with our key for this file and expiry: tampered with, or made up.
    Invalid,
}

/// The signature of a download of file `id` of `flow_id` that is valid until `expires`
/// (seconds since the Unix epoch).
pub fn sign(secret: &str, flow_id: &str, id: &str, expires: i64) -> String {
    // HMAC takes keys of any length, so this never fails; an empty signature never verifies.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{flow_id}\n{id}\n{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks the signature first, so that a changed expiry is refused as tampering.
pub fn verify(
    secret: &str,
    flow_id: &str,
    id: &str,
    expires: i64,
    signature: &str,
    now_secs: i64,
) -> Check {
    let expected = sign(secret, flow_id, id, expires);
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        return Check::Invalid;
    }
    if expires < now_secs {
        return Check::Expired;
    }
    Check::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_the_file_and_the_expiry() {
        let s = sign("k", "f", "1", 100);
        assert_eq!(verify("k", "f", "1", 100, &s, 50), Check::Valid);
        assert_eq!(verify("k", "f", "1", 100, &s, 101), Check::Expired);
        assert_eq!(verify("k", "f", "1", 200, &s, 50), Check::Invalid);
        assert_eq!(verify("k", "f", "2", 100, &s, 50), Check::Invalid);
        assert_eq!(verify("other", "f", "1", 100, &s, 50), Check::Invalid);
        assert_eq!(verify("k", "f", "1", 100, "", 50), Check::Invalid);
    }
}
