//! OAuth 2.0: authorization codes and access (and refresh) tokens, stored by their hashes.

use async_trait::async_trait;

use super::StoreResult;

#[async_trait]
pub trait OAuthStore: Send + Sync {
    async fn create_oauth_code(&self, code: NewOAuthCode) -> StoreResult<()>;
    async fn oauth_code_by_hash(&self, hash: &str) -> StoreResult<Option<OAuthCodeRecord>>;
    /// Marks the code used and issues `token` in one transaction. When the code was already
    /// used, nothing is issued, every token of the code's family is revoked, and `None` is
    /// returned: a replayed code must not stay valid anywhere (RFC 6749 §4.1.2).
    async fn redeem_oauth_code(
        &self,
        code_hash: &str,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>>;
    async fn create_oauth_token(&self, token: NewOAuthToken) -> StoreResult<OAuthTokenRecord>;
    async fn oauth_token_by_access_hash(&self, hash: &str)
        -> StoreResult<Option<OAuthTokenRecord>>;
    async fn oauth_token_by_refresh_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>>;
    /// Revokes `old_id` as rotated and issues `token`, in one transaction. When `old_id` was
    /// already revoked (a reused refresh token), its whole family is revoked instead and
    /// `None` is returned.
    async fn rotate_oauth_token(
        &self,
        old_id: i64,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>>;
    async fn revoke_oauth_token(&self, id: i64, reason: &str) -> StoreResult<()>;
    /// Revokes every live token `user_id` granted to `app_id`.
    async fn revoke_oauth_grant(&self, user_id: i64, app_id: i64) -> StoreResult<()>;
    /// The user's tokens that still work (not revoked; access or refresh still usable).
    async fn live_oauth_tokens_of_user(&self, user_id: i64) -> StoreResult<Vec<OAuthTokenRecord>>;
}

/// An OAuth authorization code, stored by its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthCodeRecord {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    /// The `redirect_uri` the authorization request named; `None` when it used the
    /// registered one by leaving it out.
    pub redirect_uri: Option<String>,
    /// Scope bits, as `auth::Scopes::bits`.
    pub scopes: i64,
    /// The PKCE S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    pub flow_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewOAuthCode {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    pub redirect_uri: Option<String>,
    pub scopes: i64,
    pub code_challenge: Option<String>,
    pub flow_id: Option<String>,
    pub expires_at: i64,
}

/// An access token and its optional refresh token. Only hashes are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthTokenRecord {
    pub id: i64,
    pub app_id: i64,
    pub user_id: i64,
    pub scopes: i64,
    /// Shared by every token descended from one grant.
    pub family: String,
    pub has_refresh: bool,
    pub access_expires_at: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoke_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewOAuthToken {
    pub app_id: i64,
    pub user_id: i64,
    pub scopes: i64,
    pub family: String,
    pub access_token_hash: String,
    pub refresh_token_hash: Option<String>,
    pub access_expires_at: i64,
}
