//! Receiving thread actions (flowdock/api-docs docs/thread-actions.md): verifying the `FLOWDOCK-TOKEN` header
//! of an UpdateAction request, and answering with the authentication challenge.
//!
//! When a user clicks an UpdateAction, the server sends the action (plus `agent`, the user)
//! to the action's `target.urlTemplate`. The `FLOWDOCK-TOKEN` header is an HS256 JWT signed
//! with the application's OAuth client secret: `sub` is the user's id, `exp` is 30 seconds
//! ahead, `signature` is the hex SHA-256 of the request body, and `aud` is the origin the
//! request was sent to (`scheme://host[:port]`). An integration that does not know the user
//! answers 401 with `WWW-Authenticate: Flowdock-Token url=...`, and the user is shown that link.
//!
//! The verifier takes the integration's own origin (its public URL; any path is ignored) and
//! refuses a token issued for another one: a token captured by whoever received it at one URL
//! cannot be replayed to another integration, even one that shares the client secret.
//!
//! ```
//! use std::time::Duration;
//! use tributary_sdk::actions::{sign_action_token, verify_action_request, ActionError, TOKEN_HEADER};
//!
//! let body = br#"{"@type":"UpdateAction","name":"Vote: Pizza"}"#;
//! let me = "https://polls.example";
//! // What the server sends (the SDK signs too, so integrations can test their endpoints).
//! let token = sign_action_token(42, body, "client-secret", me, Duration::from_secs(30));
//! let mut headers = http::HeaderMap::new();
//! headers.insert(TOKEN_HEADER, token.parse().unwrap());
//!
//! assert_eq!(verify_action_request(&headers, body, "client-secret", me), Ok(42));
//! assert_eq!(
//!     verify_action_request(&headers, body, "client-secret", "https://polls.example/flowdock"),
//!     Ok(42)
//! );
//! assert_eq!(
//!     verify_action_request(&headers, b"{}", "client-secret", me),
//!     Err(ActionError::BodyMismatch)
//! );
//! assert_eq!(
//!     verify_action_request(&headers, body, "another-secret", me),
//!     Err(ActionError::BadSignature)
//! );
//! assert_eq!(
//!     verify_action_request(&headers, body, "client-secret", "https://other.example"),
//!     Err(ActionError::WrongAudience)
//! );
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
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
    /// The request carries no `FLOWDOCK-TOKEN` header.
    #[error("the FLOWDOCK-TOKEN header is missing")]
    MissingToken,
    /// The header is not a well-formed token, or a claim the check needs (`exp`,
    /// `signature`, `sub`) is missing or of the wrong kind; the text says which.
    #[error("the FLOWDOCK-TOKEN header is not a valid token: {0}")]
    Malformed(String),
    /// The token names another algorithm than HS256 (the one it names): refused, so that
    /// no `none` or public-key token gets through.
    #[error("the token is signed with {0}; only HS256 is accepted")]
    UnsupportedAlgorithm(String),
    /// The signature is not the HMAC of the token under the application's client secret.
    #[error("the token's signature does not match the client secret")]
    BadSignature,
    /// The token's `exp` lies in the past, beyond [`CLOCK_SKEW`].
    #[error("the token has expired")]
    Expired,
    /// The token's `signature` claim is not the SHA-256 of the body received: the body was
    /// changed, or the token belongs to another request.
    #[error("the token does not sign this request body")]
    BodyMismatch,
    /// `aud` is missing or names another origin than the integration's own: the token was
    /// sent to another URL, and whoever received it there is replaying it.
    #[error("the token was issued for another origin than this integration's")]
    WrongAudience,
}

/// Checks an UpdateAction request and returns the Flowdock user id it was made for.
///
/// `body` must be the raw bytes as received: the token signs their SHA-256.
/// `expected_origin` is where this integration receives actions, as the server reaches it:
/// its public URL (`https://polls.example`, or with a path, which is ignored). The token's
/// `aud` must name the same origin.
pub fn verify_action_request(
    headers: &http::HeaderMap,
    body: &[u8],
    client_secret: &str,
    expected_origin: &str,
) -> Result<i64, ActionError> {
    let token = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.trim().is_empty())
        .ok_or(ActionError::MissingToken)?;
    verify_action_token(
        token,
        body,
        client_secret,
        expected_origin,
        SystemTime::now(),
    )
}

/// [`verify_action_request`] for a token already taken from its header, at time `now`.
pub fn verify_action_token(
    token: &str,
    body: &[u8],
    client_secret: &str,
    expected_origin: &str,
    now: SystemTime,
) -> Result<i64, ActionError> {
    let claims = unexpired_claims(token, client_secret.as_bytes(), now, CLOCK_SKEW)?;
    if !audience_matches(claims.get("aud"), expected_origin) {
        return Err(ActionError::WrongAudience);
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

/// The origin of `url` (`scheme://host[:port]`, the port only when it is not the scheme's
/// default), as the token's `aud` carries it; `None` for anything but an http(s) URL.
///
/// ```
/// use tributary_sdk::actions::origin_of;
/// assert_eq!(origin_of("https://Polls.Example:443/flowdock/vote").as_deref(), Some("https://polls.example"));
/// assert_eq!(origin_of("http://127.0.0.1:8090").as_deref(), Some("http://127.0.0.1:8090"));
/// assert_eq!(origin_of("mailto:x@example.com"), None);
/// ```
pub fn origin_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

/// Whether `aud` (a string, or an array of them as RFC 7519 allows) names `expected`.
fn audience_matches(aud: Option<&Value>, expected: &str) -> bool {
    let Some(expected) = origin_of(expected) else {
        return false;
    };
    let named = |v: &Value| v.as_str().and_then(origin_of).as_deref() == Some(&expected);
    match aud {
        Some(Value::Array(all)) => all.iter().any(named),
        Some(v) => named(v),
        None => false,
    }
}

/// The claims of `token` when `secret` signed it and its `exp` (seconds) is not more than
/// `leeway` before `now`.
fn unexpired_claims(
    token: &str,
    secret: &[u8],
    now: SystemTime,
    leeway: Duration,
) -> Result<Map<String, Value>, ActionError> {
    let claims = jwt::decode(token, secret).map_err(|e| match e {
        JwtError::Malformed(why) => ActionError::Malformed(why.into()),
        JwtError::Algorithm(alg) => ActionError::UnsupportedAlgorithm(alg),
        JwtError::Signature => ActionError::BadSignature,
    })?;
    // flowdock/api-docs docs/thread-actions.md shows `exp` as a string; numbers are what RFC 7519 says.
    let exp = number_claim(claims.get("exp"))
        .ok_or_else(|| ActionError::Malformed("`exp` is missing".into()))?;
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if exp + (leeway.as_secs() as i64) < now_secs {
        return Err(ActionError::Expired);
    }
    Ok(claims)
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

/// A `FLOWDOCK-TOKEN` for `user_id` and `body`, sent to `target` (a URL or origin; `aud`
/// is its origin), valid for `expires_in`: what a Flowdock-compatible server sends.
/// Integrations use it to test their action endpoints.
pub fn sign_action_token(
    user_id: i64,
    body: &[u8],
    client_secret: &str,
    target: &str,
    expires_in: Duration,
) -> String {
    let exp = SystemTime::now()
        .checked_add(expires_in)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let aud = origin_of(target).unwrap_or_else(|| target.to_owned());
    jwt::sign(
        &json!({"sub": user_id.to_string(), "exp": exp, "aud": aud, "signature": body_signature(body)}),
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
mod tests;
