//! The embedded SQLite backend: WAL, one group-committing writer thread with a checkpointer
//! and a full-text indexer beside it, and a pool of read-only connections. `open` starts
//! them; this file maps the [`Store`] trait onto them.

mod access;
mod accounts;
mod actions;
mod checkpoint;
mod files;
mod flows;
mod integrations;
mod message_queries;
mod messages;
mod oauth;
mod open;
mod pool;
mod search;
pub mod seed;
mod writer;

use std::sync::Arc;

use async_trait::async_trait;

use super::*;
use pool::ReadPool;
use search::SearchIndex;
use writer::Writer;

pub struct SqliteStore {
    writer: Writer,
    readers: ReadPool,
    /// The full-text index's thread, which searches wait for.
    search: Arc<SearchIndex>,
    bus: Arc<Bus>,
    /// Files live beside the database: `files/` in its directory.
    blobs: DynBlobStore,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// Maps constraint failures: a unique violation means `taken` is already taken, a foreign-key
/// violation means `missing` does not exist.
pub(crate) fn constraint(
    e: rusqlite::Error,
    taken: &'static str,
    missing: &'static str,
) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            StoreError::NotFound(missing)
        }
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict(taken)
        }
        _ => e.into(),
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        self.writer
            .write(move |c| accounts::create_user(c, user))
            .await
    }
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        self.readers
            .lookup(move |c| accounts::user_where(c, "u.id = ?1", id))
            .await
    }
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let email = email.to_owned();
        self.readers
            .lookup(move |c| accounts::user_where(c, "u.email = ?1", email))
            .await
    }
    async fn user_by_api_token_hash(&self, hash: &str) -> StoreResult<Option<UserRecord>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| accounts::user_where(c, "u.api_token_hash = ?1", hash))
            .await
    }
    async fn set_api_token_hash(&self, user_id: i64, hash: &str) -> StoreResult<()> {
        let hash = hash.to_owned();
        self.writer
            .write(move |c| accounts::set_api_token_hash(c, user_id, &hash))
            .await
    }
    async fn users_visible_to(&self, user_id: i64) -> StoreResult<Vec<UserRecord>> {
        self.readers
            .read(move |c| accounts::users_visible_to(c, user_id))
            .await
    }
    async fn share_organization(&self, a: i64, b: i64) -> StoreResult<bool> {
        self.readers
            .read(move |c| accounts::share_organization(c, a, b))
            .await
    }

    async fn create_org(&self, org: NewOrg) -> StoreResult<OrgRecord> {
        self.writer
            .write(move |c| accounts::create_org(c, org))
            .await
    }
    async fn org_by_name(&self, parameterized_name: &str) -> StoreResult<Option<OrgRecord>> {
        let name = parameterized_name.to_owned();
        self.readers
            .lookup(move |c| accounts::org_where(c, "o.parameterized_name = ?1", name))
            .await
    }
    async fn add_org_member(&self, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()> {
        self.writer
            .write(move |c| accounts::add_org_member(c, org_id, user_id, admin))
            .await
    }
    async fn org_membership(&self, org_id: i64, user_id: i64) -> StoreResult<Option<bool>> {
        self.readers
            .lookup(move |c| accounts::org_membership(c, org_id, user_id))
            .await
    }
    async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
        self.readers
            .read(move |c| accounts::orgs_of_user(c, user_id))
            .await
    }
    async fn org_members(&self, org_id: i64) -> StoreResult<Vec<OrgMember>> {
        self.readers
            .read(move |c| accounts::org_members(c, org_id))
            .await
    }

    async fn create_flow(&self, flow: NewFlow, creator: Option<i64>) -> StoreResult<FlowRecord> {
        self.writer
            .write(move |c| flows::create_flow(c, flow, creator))
            .await
    }
    async fn flow_by_name(&self, org: &str, flow: &str) -> StoreResult<Option<FlowRecord>> {
        let (org, flow) = (org.to_owned(), flow.to_owned());
        self.readers
            .lookup(move |c| flows::flow_by_name(c, &org, &flow))
            .await
    }
    async fn flow_by_id(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
        let id = id.to_owned();
        self.readers
            .lookup(move |c| flows::flow_by_id(c, &id))
            .await
    }
    async fn flows_for_user(
        &self,
        user_id: i64,
        with_joinable: bool,
    ) -> StoreResult<Vec<FlowForUser>> {
        self.readers
            .read(move |c| flows::flows_for_user(c, user_id, with_joinable))
            .await
    }
    async fn flow_membership(
        &self,
        flow_id: &str,
        user_id: i64,
    ) -> StoreResult<Option<FlowMembership>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .read(move |c| flows::flow_membership(c, &flow_id, user_id))
            .await
    }
    async fn set_flow_member(&self, flow_id: &str, user_id: i64, open: bool) -> StoreResult<()> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| flows::set_flow_member(c, &flow_id, user_id, open))
            .await
    }
    async fn update_flow(&self, flow_id: &str, changes: FlowChanges) -> StoreResult<FlowRecord> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write(move |c| flows::update_flow(c, &flow_id, changes))
            .await
    }
    async fn flow_members(&self, flow_id: &str) -> StoreResult<Vec<UserRecord>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .read(move |c| flows::flow_members(c, &flow_id))
            .await
    }

    async fn create_app(&self, app: NewApp) -> StoreResult<AppRecord> {
        self.writer
            .write(move |c| integrations::create_app(c, app))
            .await
    }
    async fn app_by_id(&self, id: i64) -> StoreResult<Option<AppRecord>> {
        self.readers
            .lookup(move |c| integrations::app_by_id(c, id))
            .await
    }
    async fn create_source(&self, source: NewSource) -> StoreResult<SourceRecord> {
        self.writer
            .write(move |c| integrations::create_source(c, source))
            .await
    }
    async fn source_by_id(&self, id: i64) -> StoreResult<Option<SourceRecord>> {
        self.readers
            .lookup(move |c| integrations::source_where(c, "id = ?1", id))
            .await
    }
    async fn source_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceRecord>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| integrations::source_where(c, "flow_token_hash = ?1", hash))
            .await
    }
    async fn source_context_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceContext>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| integrations::source_context_by_token_hash(c, &hash))
            .await
    }
    async fn remove_source(&self, id: i64, reason: &str) -> StoreResult<SourceRecord> {
        let reason = reason.to_owned();
        self.writer
            .write(move |c| integrations::remove_source(c, id, &reason))
            .await
    }

    async fn user_is_admin(&self, user_id: i64) -> StoreResult<bool> {
        self.readers
            .lookup(move |c| oauth::user_is_admin(c, user_id))
            .await
    }
    async fn set_user_admin(&self, user_id: i64, admin: bool) -> StoreResult<()> {
        self.writer
            .write(move |c| oauth::set_user_admin(c, user_id, admin))
            .await
    }

    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<AppRecord>> {
        let client_id = client_id.to_owned();
        self.readers
            .lookup(move |c| integrations::app_by_client_id(c, &client_id))
            .await
    }
    async fn apps_of_owner(&self, owner_id: i64) -> StoreResult<Vec<AppRecord>> {
        self.readers
            .read(move |c| integrations::apps_where(c, "owner_id = ?1 ORDER BY id", owner_id))
            .await
    }
    async fn list_apps(&self, published_only: bool) -> StoreResult<Vec<AppRecord>> {
        self.readers
            .read(move |c| {
                integrations::apps_where(
                    c,
                    "(published OR NOT ?1) ORDER BY name, id",
                    published_only,
                )
            })
            .await
    }
    async fn update_app(&self, id: i64, changes: AppChanges) -> StoreResult<AppRecord> {
        self.writer
            .write(move |c| integrations::update_app(c, id, changes))
            .await
    }

    async fn sources_in_flow(&self, flow_id: &str) -> StoreResult<Vec<SourceRecord>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .read(move |c| integrations::sources_where(c, "flow_id = ?1", flow_id))
            .await
    }
    async fn sources_of_member(&self, user_id: i64) -> StoreResult<Vec<SourceRecord>> {
        self.readers
            .read(move |c| {
                integrations::sources_where(
                    c,
                    "flow_id IN (SELECT flow_id FROM flow_memberships WHERE user_id = ?1)",
                    user_id,
                )
            })
            .await
    }
    async fn update_source(&self, id: i64, changes: SourceChanges) -> StoreResult<SourceRecord> {
        self.writer
            .write(move |c| integrations::update_source(c, id, changes))
            .await
    }

    async fn record_action_attempt(
        &self,
        attempt: NewActionAttempt,
    ) -> StoreResult<ActionAttemptRecord> {
        self.writer
            .write(move |c| actions::record(c, attempt))
            .await
    }
    async fn action_attempts_of_source(
        &self,
        source_id: i64,
    ) -> StoreResult<Vec<ActionAttemptRecord>> {
        self.readers
            .read(move |c| actions::of_source(c, source_id))
            .await
    }

    async fn create_oauth_code(&self, code: NewOAuthCode) -> StoreResult<()> {
        self.writer
            .write(move |c| oauth::create_code(c, code))
            .await
    }
    async fn oauth_code_by_hash(&self, hash: &str) -> StoreResult<Option<OAuthCodeRecord>> {
        let hash = hash.to_owned();
        self.readers
            .lookup(move |c| oauth::code_by_hash(c, &hash))
            .await
    }
    async fn redeem_oauth_code(
        &self,
        code_hash: &str,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let code_hash = code_hash.to_owned();
        self.writer
            .write(move |c| oauth::redeem_code(c, &code_hash, token))
            .await
    }
    async fn create_oauth_token(&self, token: NewOAuthToken) -> StoreResult<OAuthTokenRecord> {
        self.writer
            .write(move |c| oauth::create_token(c, token))
            .await
    }
    async fn oauth_token_by_access_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let hash = hash.to_owned();
        self.readers
            .read(move |c| oauth::token_where(c, "access_token_hash = ?1", hash))
            .await
    }
    async fn oauth_token_by_refresh_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let hash = hash.to_owned();
        self.readers
            .read(move |c| oauth::token_where(c, "refresh_token_hash = ?1", hash))
            .await
    }
    async fn rotate_oauth_token(
        &self,
        old_id: i64,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        self.writer
            .write(move |c| oauth::rotate_token(c, old_id, token))
            .await
    }
    async fn revoke_oauth_token(&self, id: i64, reason: &str) -> StoreResult<()> {
        let reason = reason.to_owned();
        self.writer
            .write(move |c| oauth::revoke_token(c, id, &reason))
            .await
    }
    async fn revoke_oauth_grant(&self, user_id: i64, app_id: i64) -> StoreResult<()> {
        self.writer
            .write(move |c| oauth::revoke_grant(c, user_id, app_id))
            .await
    }
    async fn live_oauth_tokens_of_user(&self, user_id: i64) -> StoreResult<Vec<OAuthTokenRecord>> {
        self.readers
            .read(move |c| oauth::live_tokens_of_user(c, user_id))
            .await
    }

    async fn create_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.writer
            .write(move |c| oauth::create_session(c, &token_hash, user_id, expires_at))
            .await
    }
    async fn web_session_user(&self, token_hash: &str) -> StoreResult<Option<UserRecord>> {
        let token_hash = token_hash.to_owned();
        self.readers
            .lookup(move |c| oauth::session_user(c, &token_hash))
            .await
    }
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()> {
        let token_hash = token_hash.to_owned();
        self.writer
            .write(move |c| oauth::delete_session(c, &token_hash))
            .await
    }
    async fn post_message(&self, post: NewPost) -> StoreResult<PostOutcome> {
        // The writer answers after the group's COMMIT, in commit order: acknowledged means
        // durable, and a publisher fed from these answers sees ids in order.
        self.writer
            .write_job(move |c| messages::post_message(c, post))
            .await
    }
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.readers
            .lookup(move |c| messages::idempotent_response(c, &scope, &key))
            .await
    }
    async fn message_by_id(&self, flow_id: &str, id: i64) -> StoreResult<Option<StoredMessage>> {
        let flow_id = flow_id.to_owned();
        self.readers
            .lookup(move |c| message_queries::message_by_id(c, &flow_id, id))
            .await
    }
    async fn list_messages(&self, query: MessageQuery) -> StoreResult<Vec<StoredMessage>> {
        if !query.search.is_empty() {
            self.search.caught_up().await;
        }
        self.readers
            .read(move |c| message_queries::list_messages(c, query))
            .await
    }
    async fn change_message(&self, change: MessageChange) -> StoreResult<ChangeOutcome> {
        self.writer
            .write_job(move |c| messages::change_message(c, change))
            .await
    }
    async fn delete_message(
        &self,
        flow_id: &str,
        id: i64,
        deletion: NewEvent,
    ) -> StoreResult<StoredMessage> {
        let flow_id = flow_id.to_owned();
        self.writer
            .write_job(move |c| messages::delete_message(c, &flow_id, id, deletion))
            .await
    }
    async fn thread_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<ThreadRecord>> {
        let (flow_id, id) = (flow_id.to_owned(), id.to_owned());
        self.readers
            .lookup(move |c| message_queries::thread_by_id(c, &flow_id, &id))
            .await
    }
    async fn list_threads(&self, query: ThreadQuery) -> StoreResult<Vec<ThreadRecord>> {
        self.readers
            .read(move |c| message_queries::list_threads(c, query))
            .await
    }

    fn blobs(&self) -> DynBlobStore {
        self.blobs.clone()
    }
    async fn file_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<FileRecord>> {
        let (flow_id, id) = (flow_id.to_owned(), id.to_owned());
        self.readers
            .lookup(move |c| files::file_by_id(c, &flow_id, &id))
            .await
    }
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        let (name, candidate) = (name.to_owned(), candidate.to_owned());
        self.writer
            .write(move |c| files::server_secret(c, &name, &candidate))
            .await
    }
}
