//! `POST /oauth/revoke` (RFC 7009).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::client::authenticate_client;
use super::error::OAuthError;
use crate::error::ApiError;
use crate::input::Params;
use crate::secrets;
use crate::state::AppState;

/// POST /oauth/revoke
///
/// Revoking either token of a pair revokes both. Unknown tokens, and tokens of other
/// clients, answer 200 as well (RFC 7009 §2.2): the answer reveals nothing about them.
pub async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Params, ApiError>,
) -> Result<StatusCode, OAuthError> {
    let params = params?;
    let app = authenticate_client(&state.store, &headers, &params).await?;
    let token = params
        .get_str("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    let hash = secrets::hash_token(token);
    let store = &state.store;
    let found = if params.get_str("token_type_hint") == Some("refresh_token") {
        match store.oauth_token_by_refresh_hash(&hash).await? {
            Some(t) => Some(t),
            None => store.oauth_token_by_access_hash(&hash).await?,
        }
    } else {
        match store.oauth_token_by_access_hash(&hash).await? {
            Some(t) => Some(t),
            None => store.oauth_token_by_refresh_hash(&hash).await?,
        }
    };
    if let Some(t) = found.filter(|t| t.app_id == app.id) {
        store.revoke_oauth_token(t.id, "revoked_by_client").await?;
    }
    Ok(StatusCode::OK)
}
