//! The OAuth 2.0 provider (RFC 6749, with the RFC 9700 security practices).
//!
//! `authorize` validates authorization requests and mints codes (the consent page that drives
//! it lives in `web::consent`), `token` runs the grants, `revoke` is RFC 7009. Codes, access
//! tokens and refresh tokens are stored only as SHA-256 hashes; every token descended from
//! one grant shares a `family`, so a replayed code or a reused refresh token revokes the lot.
//! Requests that present an access token resolve it in `auth::access_token`.

pub mod authorize;
pub mod client;
pub mod error;
pub mod pkce;
pub mod revoke;
pub mod token;

use crate::secrets;
use crate::state::AppState;
use crate::store::{now_millis, NewOAuthToken};
use axum::routing::post;
use axum::Router;

/// The token and revocation endpoints. The authorization endpoint is a page
/// (`web::consent`), and the clients are `apps`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token::create_token))
        .route("/oauth/revoke", post(revoke::revoke_token))
}

/// Authorization codes live ten minutes (RFC 6749 §4.1.2 recommends at most ten).
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;

/// Access tokens live two hours; `offline_access` clients refresh them.
pub const ACCESS_TTL_SECS: i64 = 2 * 60 * 60;

/// The out-of-band redirect URI of installed applications.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Tokens as they are handed to the client, once.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub scopes: crate::auth::Scopes,
}

/// Fresh tokens for a grant. A refresh token comes only with `offline_access`
/// (flowdock/api-docs docs/authentication.md).
pub fn mint(
    app_id: i64,
    user_id: i64,
    scopes: crate::auth::Scopes,
    family: &str,
) -> (NewOAuthToken, IssuedTokens) {
    let access_token = secrets::new_token(32);
    let refresh_token = scopes
        .contains(crate::auth::Scopes::OFFLINE_ACCESS)
        .then(|| secrets::new_token(32));
    let row = NewOAuthToken {
        app_id,
        user_id,
        scopes: scopes.bits(),
        family: family.to_owned(),
        access_token_hash: secrets::hash_token(&access_token),
        refresh_token_hash: refresh_token.as_deref().map(secrets::hash_token),
        access_expires_at: now_millis() + ACCESS_TTL_SECS * 1000,
    };
    let issued = IssuedTokens {
        access_token,
        refresh_token,
        expires_in: ACCESS_TTL_SECS,
        scopes,
    };
    (row, issued)
}
