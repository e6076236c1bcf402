//! Integrations: developer applications, the sources they post through, and the attempts of
//! their thread actions (the action rows themselves are in [`super::actions`]).

use async_trait::async_trait;

use super::{ActionAttemptRecord, FlowRecord, NewActionAttempt, StoreResult};

#[async_trait]
pub trait IntegrationStore: Send + Sync {
    // Developer applications
    async fn create_app(&self, app: NewApp) -> StoreResult<AppRecord>;
    async fn app_by_id(&self, id: i64) -> StoreResult<Option<AppRecord>>;
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<AppRecord>>;
    /// The applications `owner_id` registered, ordered by id.
    async fn apps_of_owner(&self, owner_id: i64) -> StoreResult<Vec<AppRecord>>;
    /// Every application, or only the published ones; ordered by name.
    async fn list_apps(&self, published_only: bool) -> StoreResult<Vec<AppRecord>>;
    async fn update_app(&self, id: i64, changes: AppChanges) -> StoreResult<AppRecord>;

    // Sources
    async fn create_source(&self, source: NewSource) -> StoreResult<SourceRecord>;
    async fn source_by_id(&self, id: i64) -> StoreResult<Option<SourceRecord>>;
    /// Finds a source by its `flow_token` hash, removed or not, so that a removed source's
    /// token can be answered with 410 rather than 401.
    async fn source_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceRecord>>;
    /// Like [`IntegrationStore::source_by_token_hash`], with the source's application and
    /// flow, in one read: a `flow_token` post made three before.
    async fn source_context_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceContext>>;
    /// Marks the source removed. Removing twice keeps the first removal.
    async fn remove_source(&self, id: i64, reason: &str) -> StoreResult<SourceRecord>;
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

    // Health and rotation (issue 18)
    /// Counts one rejected request of the source, keeping `status` and `message` as the last.
    async fn record_source_rejection(
        &self,
        source_id: i64,
        status: u16,
        message: &str,
    ) -> StoreResult<()>;
    /// The source's figures: posts and action failures counted from `since`, a replaced
    /// token's grace counted as still running after `now`.
    async fn source_health(
        &self,
        source_id: i64,
        since: i64,
        now: i64,
    ) -> StoreResult<SourceHealthRecord>;
    /// Gives the source `new_hash` as its `flow_token` hash; the old hash keeps working until
    /// `valid_until`, and an older replaced hash no longer than that.
    async fn rotate_flow_token(
        &self,
        source_id: i64,
        new_hash: &str,
        valid_until: i64,
    ) -> StoreResult<()>;
    /// A hash that a rotation replaced, whatever its grace.
    async fn retired_flow_token(&self, hash: &str) -> StoreResult<Option<RetiredTokenRecord>>;
}

/// What the health of a source is made of (see [`IntegrationStore::source_health`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceHealthRecord {
    pub last_post_at: Option<i64>,
    pub posts_since: i64,
    pub rejected: i64,
    pub last_rejection: Option<RejectionRecord>,
    pub action_failures_since: i64,
    pub last_action_failure: Option<ActionFailureRecord>,
    /// When the last replaced token's grace ends, while it runs.
    pub grace_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RejectionRecord {
    pub at: i64,
    pub status: i64,
    pub message: String,
}

/// The latest action attempt that ended in `error` or `refused`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFailureRecord {
    pub at: i64,
    pub status: Option<i64>,
    pub outcome: String,
    pub error: Option<String>,
}

/// A replaced `flow_token` hash, with the hash that replaced it last.
#[derive(Debug, Clone, PartialEq)]
pub struct RetiredTokenRecord {
    pub source_id: i64,
    pub valid_until: i64,
    pub current_hash: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppRecord {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
    pub published: bool,
    pub created_at: i64,
    /// An admin allowed this application the OAuth password grant (off by default).
    pub password_grant: bool,
}

#[derive(Debug, Clone)]
pub struct NewApp {
    pub owner_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub id: i64,
    pub flow_id: String,
    pub app_id: i64,
    pub creator_id: Option<i64>,
    pub name: String,
    pub external_url: Option<String>,
    pub error_message: Option<String>,
    pub configuration_url: Option<String>,
    pub removed_at: Option<i64>,
    pub removal_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a `flow_token` names, read together because every post with one needs all three:
/// the source, the application it belongs to and the flow it posts to.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceContext {
    pub source: SourceRecord,
    pub app: AppRecord,
    pub flow: FlowRecord,
}

#[derive(Debug, Clone)]
pub struct NewSource {
    pub flow_id: String,
    pub app_id: i64,
    pub creator_id: Option<i64>,
    pub name: String,
    pub external_url: Option<String>,
    pub flow_token_hash: String,
}

/// Changes to a developer application; `None` leaves a field as it is, and `Some(None)` clears
/// an optional one.
#[derive(Debug, Clone, Default)]
pub struct AppChanges {
    pub name: Option<String>,
    pub icon_url: Option<Option<String>>,
    pub redirect_uri: Option<String>,
    pub setup_uri: Option<Option<String>>,
    pub configuration_uri: Option<Option<String>>,
    pub client_secret: Option<String>,
    pub published: Option<bool>,
    pub password_grant: Option<bool>,
}

/// Changes to a source through `PUT`; `Some(None)` clears the field.
#[derive(Debug, Clone, Default)]
pub struct SourceChanges {
    pub error_message: Option<Option<String>>,
    pub configuration_url: Option<Option<String>>,
}
