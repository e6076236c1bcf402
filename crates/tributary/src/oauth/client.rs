//! Client authentication at the token and revocation endpoints: `client_secret_basic` (the
//! `Authorization: Basic` header, which the `oauth2` crates send) or `client_secret_post`
//! (`client_id` and `client_secret` in the body, which Flowdock's docs show).

use axum::http::{header, HeaderMap};
use base64::Engine;
use subtle::ConstantTimeEq;

use super::error::OAuthError;
use crate::input::Params;
use crate::store::{AppRecord, DynStore};

/// The application the request authenticates as, or `invalid_client`.
pub async fn authenticate_client(
    store: &DynStore,
    headers: &HeaderMap,
    params: &Params,
) -> Result<AppRecord, OAuthError> {
    let (client_id, secret) = match basic_credentials(headers) {
        Some(pair) => pair,
        None => (
            params.get_str("client_id").unwrap_or_default().to_owned(),
            params
                .get_str("client_secret")
                .unwrap_or_default()
                .to_owned(),
        ),
    };
    if client_id.is_empty() {
        return Err(OAuthError::invalid_client("client_id is required"));
    }
    let app = store
        .app_by_client_id(&client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("Unknown client"))?;
    if !bool::from(secret.as_bytes().ct_eq(app.client_secret.as_bytes())) {
        return Err(OAuthError::invalid_client("Invalid client secret"));
    }
    Ok(app)
}

/// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unform = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unform(id), unform(secret)))
}
