//! A bearer credential: an OAuth access token, resolved to its user and its grant's record.
//! The tokens themselves are minted and revoked by `oauth`; this is only the lookup every
//! request with `Authorization: Bearer` goes through.

use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::store::{now_millis, DynStore, OAuthTokenRecord, UserRecord};

/// Resolves a bearer token to its user: 401 when it is unknown, revoked or expired.
pub(super) async fn access_token_user(
    store: &DynStore,
    token: &str,
) -> ApiResult<(UserRecord, OAuthTokenRecord)> {
    let invalid = || ApiError::Unauthorized("Invalid access token".into());
    let record = store
        .oauth_token_by_access_hash(&secrets::hash_token(token))
        .await?
        .ok_or_else(invalid)?;
    if record.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(
            "This access token has been revoked".into(),
        ));
    }
    if record.access_expires_at <= now_millis() {
        return Err(ApiError::Unauthorized(
            "This access token has expired".into(),
        ));
    }
    let user = store
        .user_by_id(record.user_id)
        .await?
        .ok_or_else(invalid)?;
    Ok((user, record))
}
