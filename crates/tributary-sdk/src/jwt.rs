//! HS256 JSON Web Tokens (RFC 7519), the one kind `FLOWDOCK-TOKEN` uses.
//!
//! Only HS256 is accepted: the header's `alg` must say so, which rules out `none` and every
//! algorithm-confusion trick a general JWT library has to defend against.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused before its claims were looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JwtError {
    Malformed(&'static str),
    Algorithm(String),
    Signature,
}

/// `header.payload.signature` for `claims`, signed with `secret`.
pub(crate) fn sign(claims: &Value, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

fn mac(secret: &[u8], input: &[u8]) -> Vec<u8> {
    let mut m = keyed(secret);
    m.update(input);
    m.finalize().into_bytes().to_vec()
}

fn keyed(secret: &[u8]) -> HmacSha256 {
    match <HmacSha256 as Mac>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// The claims of a token whose HS256 signature `secret` made.
pub(crate) fn decode(token: &str, secret: &[u8]) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("a JWT has three dot-separated parts"));
    };
    let header: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed("the header is not base64url JSON"))?;
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => {}
        other => return Err(JwtError::Algorithm(other.unwrap_or("none").to_owned())),
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Malformed("the signature is not base64url"))?;
    let mut m = keyed(secret);
    m.update(header_and_payload(token));
    // `verify_slice` compares in constant time.
    m.verify_slice(&signature)
        .map_err(|_| JwtError::Signature)?;
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed("the payload is not base64url JSON"))?;
    match claims {
        Value::Object(map) => Ok(map),
        _ => Err(JwtError::Malformed("the payload is not a JSON object")),
    }
}

/// The signed part of a token: everything before the last dot.
fn header_and_payload(token: &str) -> &[u8] {
    let token = token.trim();
    token
        .rfind('.')
        .map(|at| &token.as_bytes()[..at])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The example token from the JWT introduction, signed by another implementation.
    const KNOWN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
        eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
        SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    #[test]
    fn verifies_a_token_signed_elsewhere() {
        let claims = decode(KNOWN, b"your-256-bit-secret").unwrap();
        assert_eq!(claims["sub"], "1234567890");
        assert_eq!(claims["iat"], 1516239022);
        assert_eq!(
            decode(KNOWN, b"another-secret").unwrap_err(),
            JwtError::Signature
        );
    }

    #[test]
    fn round_trips_and_refuses_tampering() {
        let token = sign(&json!({"sub": "7", "exp": 10}), b"s3cret");
        assert_eq!(decode(&token, b"s3cret").unwrap()["sub"], "7");
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"8","exp":10}"#);
        parts[1] = &forged;
        assert_eq!(
            decode(&parts.join("."), b"s3cret").unwrap_err(),
            JwtError::Signature
        );
    }

    #[test]
    fn refuses_other_algorithms_and_garbage() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"1"}"#)
        );
        assert_eq!(
            decode(&none, b"k").unwrap_err(),
            JwtError::Algorithm("none".into())
        );
        assert!(matches!(
            decode("a.b", b"k").unwrap_err(),
            JwtError::Malformed(_)
        ));
        assert!(matches!(
            decode("!!.!!.!!", b"k").unwrap_err(),
            JwtError::Malformed(_)
        ));
    }
}
