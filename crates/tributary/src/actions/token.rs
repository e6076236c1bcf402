//! The `FLOWDOCK-TOKEN` header of an UpdateAction request: an HS256 JWT signed with the
//! application's OAuth client secret, with `sub` (the user id), `exp` (30 seconds ahead) and
//! `signature` (the hex SHA-256 of the exact body bytes sent), as flowdock/api-docs docs/thread-actions.md
//! describes it, plus `aud`: the origin the request goes to. Whoever receives a token can
//! replay it within its 30 seconds; `aud` lets every other integration of the application
//! refuse it (the SDK's verifier does), so a token sent to one URL works only there.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};

/// How long a token stays valid.
pub const TOKEN_TTL_SECS: i64 = 30;

/// The audience of a request to `url`: its origin, `scheme://host[:port]` with the port only
/// when it is not the scheme's default (as the SDK's `origin_of` reads it).
pub fn audience(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// The token for `user_id` clicking an action whose request body is `body`, sent to the
/// origin `audience`.
pub fn sign(
    user_id: i64,
    body: &[u8],
    client_secret: &str,
    audience: &str,
    now_secs: i64,
) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    // `sub` is a string, as RFC 7519 defines it and the docs' example shows it.
    let claims = json!({
        "sub": user_id.to_string(),
        "exp": now_secs + TOKEN_TTL_SECS,
        "aud": audience,
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
        let target = url::Url::parse("https://polls.example:8443/vote?x=1").unwrap();
        assert_eq!(audience(&target), "https://polls.example:8443");
        let token = sign(12, body, "secret", &audience(&target), now);
        let verify = |origin: &str| {
            tributary_sdk::actions::verify_action_token(
                &token,
                body,
                "secret",
                origin,
                std::time::SystemTime::now(),
            )
        };
        assert_eq!(verify("https://polls.example:8443/"), Ok(12));
        assert_eq!(
            verify("https://polls.example"),
            Err(tributary_sdk::actions::ActionError::WrongAudience)
        );
        let default_port = url::Url::parse("https://polls.example:443/vote").unwrap();
        assert_eq!(audience(&default_port), "https://polls.example");
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["sub"], "12");
        assert_eq!(claims["exp"], now + 30);
        assert_eq!(claims["aud"], "https://polls.example:8443");
    }
}
