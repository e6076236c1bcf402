//! Persistence: one [`Store`] trait, with an embedded SQLite backend and a PostgreSQL backend
//! for scale-out. The `--database` URL's scheme picks the backend.
//!
//! Both backends pass the same conformance suite (`tests/api/store_conformance.rs`), so the
//! rest of the server never needs to know which one it runs on.

pub mod access;
pub mod actions;
pub mod blobs;
mod error;
pub mod files;
mod fs_blobs;
pub mod messages;
pub mod models;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

use crate::bus::Bus;

pub use access::*;
pub use actions::*;
pub use blobs::{BlobStore, DynBlobStore};
pub(crate) use error::GroupFailure;
pub use error::{BoxError, StoreError, StoreResult};
pub use files::*;
pub use messages::*;
pub use models::*;

/// [`AccessStore`] holds what takes access away and what re-checks it (open streams).
#[async_trait]
pub trait Store: AccessStore + Send + Sync + 'static {
    /// Where this store publishes committed message events, in commit order per flow.
    fn bus(&self) -> &Arc<Bus>;

    // Users
    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRecord>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn user_by_api_token_hash(&self, hash: &str) -> StoreResult<Option<UserRecord>>;
    async fn set_api_token_hash(&self, user_id: i64, hash: &str) -> StoreResult<()>;
    /// Users who share a flow with `user_id`, plus every user of the organizations it
    /// administers (docs/users.md, "List all users"). Ordered by id.
    async fn users_visible_to(&self, user_id: i64) -> StoreResult<Vec<UserRecord>>;
    /// Whether the two users belong to at least one common organization.
    async fn share_organization(&self, a: i64, b: i64) -> StoreResult<bool>;

    // Organizations
    async fn create_org(&self, org: NewOrg) -> StoreResult<OrgRecord>;
    async fn org_by_name(&self, parameterized_name: &str) -> StoreResult<Option<OrgRecord>>;
    /// Adds the user to the organization, or updates the admin flag of an existing member.
    async fn add_org_member(&self, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()>;
    /// `Some(admin)` when the user is a member.
    async fn org_membership(&self, org_id: i64, user_id: i64) -> StoreResult<Option<bool>>;
    async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<OrgRecord>>;
    async fn org_members(&self, org_id: i64) -> StoreResult<Vec<OrgMember>>;

    // Flows
    /// Creates the flow; `creator`, when given, becomes its first member.
    async fn create_flow(&self, flow: NewFlow, creator: Option<i64>) -> StoreResult<FlowRecord>;
    async fn flow_by_name(&self, org: &str, flow: &str) -> StoreResult<Option<FlowRecord>>;
    async fn flow_by_id(&self, id: &str) -> StoreResult<Option<FlowRecord>>;
    /// The flows the user has joined and, with `with_joinable`, the organization-mode flows of
    /// its organizations that it could join. Disabled flows are left out. Ordered by org, name.
    async fn flows_for_user(
        &self,
        user_id: i64,
        with_joinable: bool,
    ) -> StoreResult<Vec<FlowForUser>>;
    async fn flow_membership(
        &self,
        flow_id: &str,
        user_id: i64,
    ) -> StoreResult<Option<FlowMembership>>;
    /// Joins the user to the flow (or updates `open` when already a member).
    async fn set_flow_member(&self, flow_id: &str, user_id: i64, open: bool) -> StoreResult<()>;
    async fn update_flow(&self, flow_id: &str, changes: FlowChanges) -> StoreResult<FlowRecord>;
    async fn flow_members(&self, flow_id: &str) -> StoreResult<Vec<UserRecord>>;

    // Developer applications
    async fn create_app(&self, app: NewApp) -> StoreResult<AppRecord>;
    async fn app_by_id(&self, id: i64) -> StoreResult<Option<AppRecord>>;

    // Sources
    async fn create_source(&self, source: NewSource) -> StoreResult<SourceRecord>;
    async fn source_by_id(&self, id: i64) -> StoreResult<Option<SourceRecord>>;
    /// Finds a source by its `flow_token` hash, removed or not, so that a removed source's
    /// token can be answered with 410 rather than 401.
    async fn source_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceRecord>>;
    /// Like [`Store::source_by_token_hash`], with the source's application and flow, in one
    /// read: a `flow_token` post made three before.
    async fn source_context_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceContext>>;
    /// Marks the source removed. Removing twice keeps the first removal.
    async fn remove_source(&self, id: i64, reason: &str) -> StoreResult<SourceRecord>;

    // Site administrators (issue 4: they publish applications)
    async fn user_is_admin(&self, user_id: i64) -> StoreResult<bool>;
    async fn set_user_admin(&self, user_id: i64, admin: bool) -> StoreResult<()>;

    // Developer applications, continued
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<AppRecord>>;
    /// The applications `owner_id` registered, ordered by id.
    async fn apps_of_owner(&self, owner_id: i64) -> StoreResult<Vec<AppRecord>>;
    /// Every application, or only the published ones; ordered by name.
    async fn list_apps(&self, published_only: bool) -> StoreResult<Vec<AppRecord>>;
    async fn update_app(&self, id: i64, changes: AppChanges) -> StoreResult<AppRecord>;

    // Sources, continued
    /// The live (not removed) sources of a flow, ordered by id.
    async fn sources_in_flow(&self, flow_id: &str) -> StoreResult<Vec<SourceRecord>>;
    /// The live sources of every flow `user_id` has joined, ordered by id.
    async fn sources_of_member(&self, user_id: i64) -> StoreResult<Vec<SourceRecord>>;
    async fn update_source(&self, id: i64, changes: SourceChanges) -> StoreResult<SourceRecord>;

    // Thread actions (issue 9)
    async fn record_action_attempt(
        &self,
        attempt: NewActionAttempt,
    ) -> StoreResult<ActionAttemptRecord>;
    /// The source's latest attempts, newest first, at most `ACTION_ATTEMPTS_LIMIT`.
    async fn action_attempts_of_source(
        &self,
        source_id: i64,
    ) -> StoreResult<Vec<ActionAttemptRecord>>;

    // OAuth 2.0
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

    // Web sessions
    async fn create_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The session's user, when the session exists and has not expired.
    async fn web_session_user(&self, token_hash: &str) -> StoreResult<Option<UserRecord>>;
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()>;
    // Messages and threads
    /// The one write of a post, in one transaction: replays a known idempotency key, or
    /// upserts the thread, allocates the flow's next message id, inserts the message, updates
    /// the thread's state and counts, and records the key. Answers after the commit.
    async fn post_message(&self, post: NewPost) -> StoreResult<PostOutcome>;
    /// A remembered answer for the key, when it is younger than `IDEMPOTENCY_TTL_MS`.
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>>;
    async fn message_by_id(&self, flow_id: &str, id: i64) -> StoreResult<Option<StoredMessage>>;
    /// Matching messages in ascending id order.
    async fn list_messages(&self, query: MessageQuery) -> StoreResult<Vec<StoredMessage>>;
    /// Rewrites one message and records the edit's events, in one transaction.
    async fn change_message(&self, change: MessageChange) -> StoreResult<ChangeOutcome>;
    /// Removes the message, takes it out of its thread's counts, and records the
    /// `message-delete` event `deletion` (returned), so streams learn of it in order.
    async fn delete_message(
        &self,
        flow_id: &str,
        id: i64,
        deletion: NewEvent,
    ) -> StoreResult<StoredMessage>;
    async fn thread_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<ThreadRecord>>;
    /// Threads by `updated_at`, newest first.
    async fn list_threads(&self, query: ThreadQuery) -> StoreResult<Vec<ThreadRecord>>;

    // Files (issue 8). `post_message` records a message's attachments in the `files` table.
    /// Where this backend keeps file contents unless configured otherwise: a directory beside
    /// the SQLite database, or the PostgreSQL database itself.
    fn blobs(&self) -> DynBlobStore;
    /// A file of a committed message.
    async fn file_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<FileRecord>>;
    /// The server secret named `name`, stored from `candidate` the first time it is asked
    /// for; every node and every restart reads the same value.
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String>;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store named by `url`: `sqlite://PATH` (or a bare path) or `postgres://...`.
/// Migrations run before it is returned.
pub async fn connect(url: &str) -> StoreResult<DynStore> {
    connect_with_bus(url, Bus::new()).await
}

/// [`connect`], publishing committed events to `bus`.
pub async fn connect_with_bus(url: &str, bus: Arc<Bus>) -> StoreResult<DynStore> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url, bus).await?))
    } else {
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        Ok(Arc::new(
            sqlite::SqliteStore::open(path.as_ref(), bus).await?,
        ))
    }
}

/// Milliseconds since the Unix epoch: the one clock every row uses.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A column list for a join: `id, name` with alias `s` gives `s.id, s.name`.
pub(crate) fn qualified(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|col| format!("{alias}.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}
