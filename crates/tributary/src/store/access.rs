//! Who may still read: the writes that take access away (disabling an account, removing a
//! flow member) and the batched re-read with which the open streams' revocation sweeper
//! (in the server state) checks, once per keep-alive for every open stream at once, that the
//! credentials the streams were opened with still work. The query and report types live
//! here, below the state that uses them.

use async_trait::async_trait;

use super::StoreResult;

#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Disables (or enables again) an account: a disabled user's credentials all stop
    /// working, and its open streams end.
    async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> StoreResult<()>;
    /// Takes the user out of the flow; `false` when it was not a member.
    async fn remove_flow_member(&self, flow_id: &str, user_id: i64) -> StoreResult<bool>;
    /// What the sweeper needs to know about the grants in `query`, in one read. Rows that no
    /// longer exist are simply absent from the report.
    async fn stream_access(&self, query: AccessQuery) -> StoreResult<AccessReport>;
}

/// The distinct grants of the open streams, deduplicated by the caller.
#[derive(Debug, Clone, Default)]
pub struct AccessQuery {
    pub users: Vec<i64>,
    /// SHA-256 hashes of OAuth access tokens.
    pub access_tokens: Vec<String>,
    /// SHA-256 hashes of web session tokens.
    pub sessions: Vec<String>,
    /// `(user id, flow id)` pairs whose membership to check.
    pub memberships: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessReport {
    pub users: Vec<UserAccess>,
    pub access_tokens: Vec<TokenAccess>,
    /// Sessions as tokens: `revoked` is always false, as logging out deletes the row.
    pub sessions: Vec<TokenAccess>,
    /// The pairs of the query that are still memberships.
    pub memberships: Vec<MemberAccess>,
}

/// What a user's credentials are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    pub id: i64,
    pub disabled: bool,
    pub api_token_hash: String,
    /// The argon2 hash, whose change means the password changed.
    pub password_hash: Option<String>,
}

/// An access token or a session, by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAccess {
    pub hash: String,
    pub expires_at: i64,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAccess {
    pub user_id: i64,
    pub flow_id: String,
    /// The flow was archived (`disabled`), which ends its streams too.
    pub flow_disabled: bool,
}
