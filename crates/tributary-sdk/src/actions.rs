//! Receiving thread actions (docs/thread-actions.md): verifying the `FLOWDOCK-TOKEN` header
//! of an UpdateAction request, and answering with the authentication challenge.
//!
//! When a user clicks an UpdateAction, the server sends the action (plus `agent`, the user)
//! to the action's `target.urlTemplate`. The `FLOWDOCK-TOKEN` header is an HS256 JWT signed
//! with the application's OAuth client secret: `sub` is the user's id, `exp` is 30 seconds
//! ahead, and `signature` is the hex SHA-256 of the request body. An integration that does not
//! know the user answers 401 with `WWW-Authenticate: Flowdock-Token url=...`, and the user is
//! shown that link.
//!
//! ```
//! use std::time::Duration;
//! use tributary_sdk::actions::{sign_action_token, verify_action_request, ActionError, TOKEN_HEADER};
//!
//! let body = br#"{"@type":"UpdateAction","name":"Vote: Pizza"}"#;
//! // What the server sends (the SDK signs too, so integrations can test their endpoints).
//! let token = sign_action_token(42, body, "client-secret", Duration::from_secs(30));
//! let mut headers = http::HeaderMap::new();
//! headers.insert(TOKEN_HEADER, token.parse().unwrap());
//!
//! assert_eq!(verify_action_request(&headers, body, "client-secret"), Ok(42));
//! assert_eq!(
//!     verify_action_request(&headers, b"{}", "client-secret"),
//!     Err(ActionError::BodyMismatch)
//! );
//! assert_eq!(
//!     verify_action_request(&headers, body, "another-secret"),
//!     Err(ActionError::BadSignature)
//! );
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::jwt::{self, JwtError};

mod claim;
mod request;

pub use claim::{claim_token, verify_claim};
pub use request::{ActionRequest, Agent, EntryPoint};

/// The request header that carries the signed token.
pub const TOKEN_HEADER: &str = "FLOWDOCK-TOKEN";

/// How far a token's `exp` may lie in the past and still be accepted, for clock skew between
/// the server and the integration.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5);

/// Why an action request was refused. Answer 401 (or 403) and do nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("the FLOWDOCK-TOKEN header is missing")]
    MissingToken,
    #[error("the FLOWDOCK-TOKEN header is not a valid token: {0}")]
    Malformed(String),
    #[error("the token is signed with {0}; only HS256 is accepted")]
    UnsupportedAlgorithm(String),
    #[error("the token's signature does not match the client secret")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token does not sign this request body")]
    BodyMismatch,
}

/// Checks an UpdateAction request and returns the Flowdock user id it was made for.
///
/// `body` must be the raw bytes as received: the token signs their SHA-256.
pub fn verify_action_request(
    headers: &http::HeaderMap,
    body: &[u8],
    client_secret: &str,
) -> Result<i64, ActionError> {
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.trim().is_empty())
        .ok_or(ActionError::MissingToken)?;
    verify_action_token(token, body, client_secret, SystemTime::now())
}

/// [`verify_action_request`] for a token already taken from its header, at time `now`.
pub fn verify_action_token(
    token: &str,
    body: &[u8],
    client_secret: &str,
    now: SystemTime,
) -> Result<i64, ActionError> {
    let claims = jwt::decode(token, client_secret.as_bytes()).map_err(|e| match e {
        JwtError::Malformed(why) => ActionError::Malformed(why.into()),
        JwtError::Algorithm(alg) => ActionError::UnsupportedAlgorithm(alg),
        JwtError::Signature => ActionError::BadSignature,
    })?;
    // docs/thread-actions.md shows `exp` as a string; numbers are what RFC 7519 says.
    let exp = number_claim(claims.get("exp"))
        .ok_or_else(|| ActionError::Malformed("`exp` is missing".into()))?;
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if exp + (CLOCK_SKEW.as_secs() as i64) < now_secs {
        return Err(ActionError::Expired);
    }
    let signature = claims
        .get("signature")
        .and_then(Value::as_str)
        .ok_or_else(|| ActionError::Malformed("`signature` is missing".into()))?;
    let expected = body_signature(body);
    if !bool::from(
        signature
            .to_ascii_lowercase()
            .as_bytes()
            .ct_eq(expected.as_bytes()),
    ) {
        return Err(ActionError::BodyMismatch);
    }
    number_claim(claims.get("sub"))
        .ok_or_else(|| ActionError::Malformed("`sub` is not a user id".into()))
}

/// A claim that is a JSON number or a string holding one.
pub(crate) fn number_claim(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The hex SHA-256 of a request body, as the token's `signature` claim carries it.
pub fn body_signature(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// A `FLOWDOCK-TOKEN` for `user_id` and `body`, valid for `expires_in`: what a
/// Flowdock-compatible server sends. Integrations use it to test their action endpoints.
pub fn sign_action_token(
    user_id: i64,
    body: &[u8],
    client_secret: &str,
    expires_in: Duration,
) -> String {
    let exp = SystemTime::now()
        .checked_add(expires_in)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    jwt::sign(
        &json!({"sub": user_id.to_string(), "exp": exp, "signature": body_signature(body)}),
        client_secret.as_bytes(),
    )
}

/// The `WWW-Authenticate` value that asks the user to authenticate at `url`.
pub fn challenge_header_value(url: &str) -> String {
    format!("Flowdock-Token url={url}")
}

/// The URL of a `WWW-Authenticate: Flowdock-Token url=...` challenge, when `value` is one.
pub fn parse_challenge(value: &str) -> Option<String> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("flowdock-token") {
        return None;
    }
    let rest = rest.trim();
    let url = rest
        .strip_prefix("url=")
        .or_else(|| rest.strip_prefix("URL="))?;
    let url = url.trim().trim_matches('"');
    (!url.is_empty()).then(|| url.to_owned())
}

/// The whole 401 answer that sends the user to `url` to authenticate: the header, and a
/// JSON body for humans reading logs. It converts into a response of any `http`-based
/// framework (axum takes it as is).
///
/// ```
/// let res = tributary_sdk::actions::authentication_challenge("https://polls.example/pair?claim=x");
/// assert_eq!(res.status(), 401);
/// assert_eq!(
///     res.headers()["www-authenticate"],
///     "Flowdock-Token url=https://polls.example/pair?claim=x"
/// );
/// ```
pub fn authentication_challenge(url: &str) -> http::Response<String> {
    let mut res = http::Response::new(json!({"error": "Authentication required"}).to_string());
    *res.status_mut() = http::StatusCode::UNAUTHORIZED;
    if let Ok(v) = http::HeaderValue::from_str(&challenge_header_value(url)) {
        res.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
    }
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "polldock-client-secret";
    const BODY: &[u8] = br#"{"@type":"UpdateAction","name":"Vote: Tea","agent":{"@type":"Person","name":"Ann","image":"https://a.example/1"}}"#;

    fn headers(token: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(TOKEN_HEADER, token.parse().unwrap());
        h
    }

    fn at(secs_from_now: i64) -> SystemTime {
        let now = SystemTime::now();
        if secs_from_now >= 0 {
            now + Duration::from_secs(secs_from_now as u64)
        } else {
            now - Duration::from_secs((-secs_from_now) as u64)
        }
    }

    fn token_with(claims: Value, secret: &str) -> String {
        jwt::sign(&claims, secret.as_bytes())
    }

    #[test]
    fn a_valid_token_names_the_user() {
        let token = sign_action_token(7, BODY, SECRET, Duration::from_secs(30));
        assert_eq!(verify_action_request(&headers(&token), BODY, SECRET), Ok(7));
        // Header names are case-insensitive on the wire.
        let mut h = http::HeaderMap::new();
        h.insert("flowdock-token", token.parse().unwrap());
        assert_eq!(verify_action_request(&h, BODY, SECRET), Ok(7));
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let token = sign_action_token(7, BODY, "someone-elses-secret", Duration::from_secs(30));
        assert_eq!(
            verify_action_request(&headers(&token), BODY, SECRET),
            Err(ActionError::BadSignature)
        );
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = sign_action_token(7, BODY, SECRET, Duration::from_secs(30));
        assert_eq!(
            verify_action_token(&token, BODY, SECRET, at(31 + CLOCK_SKEW.as_secs() as i64)),
            Err(ActionError::Expired)
        );
        // Within the allowed skew it still passes.
        assert_eq!(verify_action_token(&token, BODY, SECRET, at(32)), Ok(7));
        let old = token_with(
            json!({"sub": "7", "exp": 1_000_000, "signature": body_signature(BODY)}),
            SECRET,
        );
        assert_eq!(
            verify_action_request(&headers(&old), BODY, SECRET),
            Err(ActionError::Expired)
        );
    }

    #[test]
    fn a_body_that_does_not_match_is_refused() {
        let token = sign_action_token(7, BODY, SECRET, Duration::from_secs(30));
        let mut tampered = BODY.to_vec();
        tampered.extend_from_slice(b" ");
        assert_eq!(
            verify_action_request(&headers(&token), &tampered, SECRET),
            Err(ActionError::BodyMismatch)
        );
        assert_eq!(
            verify_action_request(&headers(&token), b"", SECRET),
            Err(ActionError::BodyMismatch)
        );
    }

    #[test]
    fn missing_and_malformed_tokens_are_refused() {
        assert_eq!(
            verify_action_request(&http::HeaderMap::new(), BODY, SECRET),
            Err(ActionError::MissingToken)
        );
        assert!(matches!(
            verify_action_request(&headers("not-a-jwt"), BODY, SECRET),
            Err(ActionError::Malformed(_))
        ));
        let exp = (SystemTime::now() + Duration::from_secs(30))
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let no_signature = token_with(json!({"sub": "7", "exp": exp}), SECRET);
        assert!(matches!(
            verify_action_request(&headers(&no_signature), BODY, SECRET),
            Err(ActionError::Malformed(_))
        ));
        let no_exp = token_with(
            json!({"sub": "7", "signature": body_signature(BODY)}),
            SECRET,
        );
        assert!(matches!(
            verify_action_request(&headers(&no_exp), BODY, SECRET),
            Err(ActionError::Malformed(_))
        ));
        // `exp` as a string (as the docs print it) and `sub` as a number are both read.
        let docs_shape = token_with(
            json!({"sub": 9, "exp": exp.to_string(), "signature": body_signature(BODY)}),
            SECRET,
        );
        assert_eq!(
            verify_action_request(&headers(&docs_shape), BODY, SECRET),
            Ok(9)
        );
    }

    #[test]
    fn challenges_round_trip() {
        let url = "https://polls.example/pair?claim=abc";
        assert_eq!(
            parse_challenge(&challenge_header_value(url)).as_deref(),
            Some(url)
        );
        assert_eq!(
            parse_challenge("flowdock-token url=\"https://x.example/a\"").as_deref(),
            Some("https://x.example/a")
        );
        assert_eq!(parse_challenge("Basic realm=\"Flowdock\""), None);
        assert_eq!(parse_challenge("Flowdock-Token"), None);
        let res = authentication_challenge(url);
        assert_eq!(res.status(), http::StatusCode::UNAUTHORIZED);
        assert!(res.body().contains("Authentication required"));
    }

    #[test]
    fn action_requests_parse() {
        let req: ActionRequest = serde_json::from_slice(BODY).unwrap();
        assert_eq!(req.name, "Vote: Tea");
        assert_eq!(req.agent.unwrap().name, "Ann");
    }
}
