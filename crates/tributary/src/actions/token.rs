//! The `FLOWDOCK-TOKEN` header of an UpdateAction request: an HS256 JWT signed with the
//! application's OAuth client secret, with `sub` (the user id), `exp` (30 seconds ahead) and
//! `signature` (the hex SHA-256 of the exact body bytes sent), as docs/thread-actions.md
//! describes it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long a token stays valid.
pub const TOKEN_TTL_SECS: i64 = 30;

/// The token for `user_id` clicking an action whose request body is `body`.
pub fn sign(user_id: i64, body: &[u8], client_secret: &str, now_secs: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    // `sub` is a string, as RFC 7519 defines it and the docs' example shows it.
    let claims = json!({
        "sub": user_id.to_string(),
        "exp": now_secs + TOKEN_TTL_SECS,
        "signature": hex::encode(Sha256::digest(body)),
    });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let mut mac = match Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_verifies_what_the_server_signs() {
        let body = br#"{"@type":"UpdateAction","name":"Vote"}"#;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let token = sign(12, body, "secret", now);
        assert_eq!(
            tributary_sdk::actions::verify_action_token(
                &token,
                body,
                "secret",
                std::time::SystemTime::now()
            ),
            Ok(12)
        );
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["sub"], "12");
        assert_eq!(claims["exp"], now + 30);
    }
}
