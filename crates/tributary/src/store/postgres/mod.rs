//! The PostgreSQL backend: a connection pool, one transaction per write (posts share one
//! per group, see `poster`), and migrations serialised across nodes by an advisory lock.

mod access;
mod accounts;
mod actions;
mod blobs;
mod files;
mod flows;
mod integrations;
mod message_queries;
mod messages;
mod notify;
mod oauth;
mod post;
mod post_set;
mod poster;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::*;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_foundation.sql")),
    (2, include_str!("migrations/0002_messages.sql")),
    (3, include_str!("migrations/0003_oauth.sql")),
    (4, include_str!("migrations/0004_files.sql")),
    (6, include_str!("migrations/0006_action_attempts.sql")),
    (8, include_str!("migrations/0008_password_grant.sql")),
];

/// Any fixed number works; it only has to be the same on every node.
const MIGRATION_LOCK: i64 = 0x7472_6962;

const POOL_SIZE: usize = 16;

pub struct PgStore {
    pool: Pool,
    bus: Arc<Bus>,
    listener: tokio::task::JoinHandle<()>,
    /// Posts go through one group-commit task (see `poster`).
    poster: poster::Poster,
    /// Files live in the database too, so every node serves every file.
    blobs: DynBlobStore,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// Maps constraint failures: a unique violation means `taken` is already taken, a foreign-key
/// violation means `missing` does not exist.
pub(crate) fn constraint(
    e: tokio_postgres::Error,
    taken: &'static str,
    missing: &'static str,
) -> StoreError {
    match e.code() {
        Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Conflict(taken),
        Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => StoreError::NotFound(missing),
        _ => e.into(),
    }
}

impl PgStore {
    pub async fn connect(url: &str, bus: Arc<Bus>) -> StoreResult<PgStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("bad PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let (listening, listened) = tokio::sync::oneshot::channel();
        let listener = notify::spawn_listener(config, pool.clone(), bus.clone(), listening);
        let spool = std::env::temp_dir().join("tributary-uploads");
        let blobs: DynBlobStore = Arc::new(blobs::PgBlobStore::new(pool.clone(), spool));
        let poster = poster::Poster::start(pool.clone());
        let store = PgStore {
            pool,
            bus,
            listener,
            poster,
            blobs,
        };
        store.migrate().await?;
        // A post committed before the first LISTEN would never reach a stream on this node.
        if tokio::time::timeout(notify::LISTEN_WAIT, listened)
            .await
            .is_err()
        {
            tracing::warn!("bus.listen_not_ready");
        }
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
        )
        .await?;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?
                .is_some();
            if !done {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn client(&self) -> StoreResult<Object> {
        Ok(self.pool.get().await?)
    }

    /// One row by a key, through the connection's statement cache. An uncached query is
    /// two round trips (prepare, then execute), and a `flow_token` post makes three of
    /// these lookups (source, application, flow) before it reaches the group writer.
    async fn row_by_key(
        &self,
        sql: &str,
        args: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> StoreResult<Option<tokio_postgres::Row>> {
        let c = self.client().await?;
        let statement = c.prepare_cached(sql).await?;
        Ok(c.query_opt(&statement, args).await?)
    }
}

/// Tells every node, at commit, that the flow has events up to `id`.
async fn announce(tx: &tokio_postgres::Transaction<'_>, flow_id: &str, id: i64) -> StoreResult<()> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&notify::CHANNEL, &notify::payload(flow_id, id)],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
    fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }

    async fn create_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        accounts::create_user(&**self.client().await?, user).await
    }
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<UserRecord>> {
        let row = self
            .row_by_key(&accounts::user_sql("u.id = $1"), &[&id])
            .await?;
        Ok(row.as_ref().map(accounts::user_row))
    }
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        accounts::user_where(
            &**self.client().await?,
            "lower(u.email) = lower($1)",
            &email,
        )
        .await
    }
    async fn user_by_api_token_hash(&self, hash: &str) -> StoreResult<Option<UserRecord>> {
        let row = self
            .row_by_key(&accounts::user_sql("u.api_token_hash = $1"), &[&hash])
            .await?;
        Ok(row.as_ref().map(accounts::user_row))
    }
    async fn set_api_token_hash(&self, user_id: i64, hash: &str) -> StoreResult<()> {
        accounts::set_api_token_hash(&**self.client().await?, user_id, hash).await
    }
    async fn users_visible_to(&self, user_id: i64) -> StoreResult<Vec<UserRecord>> {
        accounts::users_visible_to(&**self.client().await?, user_id).await
    }
    async fn share_organization(&self, a: i64, b: i64) -> StoreResult<bool> {
        accounts::share_organization(&**self.client().await?, a, b).await
    }

    async fn create_org(&self, org: NewOrg) -> StoreResult<OrgRecord> {
        accounts::create_org(&**self.client().await?, org).await
    }
    async fn org_by_name(&self, parameterized_name: &str) -> StoreResult<Option<OrgRecord>> {
        accounts::org_where(
            &**self.client().await?,
            "o.parameterized_name = $1",
            &parameterized_name,
        )
        .await
    }
    async fn add_org_member(&self, org_id: i64, user_id: i64, admin: bool) -> StoreResult<()> {
        accounts::add_org_member(&**self.client().await?, org_id, user_id, admin).await
    }
    async fn org_membership(&self, org_id: i64, user_id: i64) -> StoreResult<Option<bool>> {
        accounts::org_membership(&**self.client().await?, org_id, user_id).await
    }
    async fn orgs_of_user(&self, user_id: i64) -> StoreResult<Vec<OrgRecord>> {
        accounts::orgs_of_user(&**self.client().await?, user_id).await
    }
    async fn org_members(&self, org_id: i64) -> StoreResult<Vec<OrgMember>> {
        accounts::org_members(&**self.client().await?, org_id).await
    }

    async fn create_flow(&self, flow: NewFlow, creator: Option<i64>) -> StoreResult<FlowRecord> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let id = flow.id.clone();
        flows::insert_flow(&*tx, flow).await?;
        if let Some(user_id) = creator {
            flows::set_flow_member(&*tx, &id, user_id, true).await?;
        }
        tx.commit().await?;
        flows::flow_by_id(&**client, &id)
            .await?
            .ok_or(StoreError::NotFound("flow"))
    }
    async fn flow_by_name(&self, org: &str, flow: &str) -> StoreResult<Option<FlowRecord>> {
        flows::flow_by_name(&**self.client().await?, org, flow).await
    }
    async fn flow_by_id(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
        let row = self
            .row_by_key(&flows::flow_sql("f.id = $1"), &[&id])
            .await?;
        Ok(row.as_ref().map(flows::flow_row))
    }
    async fn flows_for_user(
        &self,
        user_id: i64,
        with_joinable: bool,
    ) -> StoreResult<Vec<FlowForUser>> {
        flows::flows_for_user(&**self.client().await?, user_id, with_joinable).await
    }
    async fn flow_membership(
        &self,
        flow_id: &str,
        user_id: i64,
    ) -> StoreResult<Option<FlowMembership>> {
        flows::flow_membership(&**self.client().await?, flow_id, user_id).await
    }
    async fn set_flow_member(&self, flow_id: &str, user_id: i64, open: bool) -> StoreResult<()> {
        flows::set_flow_member(&**self.client().await?, flow_id, user_id, open).await
    }
    async fn update_flow(&self, flow_id: &str, changes: FlowChanges) -> StoreResult<FlowRecord> {
        flows::update_flow(&**self.client().await?, flow_id, changes).await
    }
    async fn flow_members(&self, flow_id: &str) -> StoreResult<Vec<UserRecord>> {
        flows::flow_members(&**self.client().await?, flow_id).await
    }

    async fn create_app(&self, app: NewApp) -> StoreResult<AppRecord> {
        integrations::create_app(&**self.client().await?, app).await
    }
    async fn app_by_id(&self, id: i64) -> StoreResult<Option<AppRecord>> {
        let row = self
            .row_by_key(&integrations::app_sql("id = $1"), &[&id])
            .await?;
        Ok(row.as_ref().map(integrations::app_row))
    }
    async fn create_source(&self, source: NewSource) -> StoreResult<SourceRecord> {
        integrations::create_source(&**self.client().await?, source).await
    }
    async fn source_by_id(&self, id: i64) -> StoreResult<Option<SourceRecord>> {
        let row = self
            .row_by_key(&integrations::source_sql("id = $1"), &[&id])
            .await?;
        Ok(row.as_ref().map(integrations::source_row))
    }
    async fn source_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceRecord>> {
        let row = self
            .row_by_key(&integrations::source_sql("flow_token_hash = $1"), &[&hash])
            .await?;
        Ok(row.as_ref().map(integrations::source_row))
    }
    async fn source_context_by_token_hash(&self, hash: &str) -> StoreResult<Option<SourceContext>> {
        let row = self
            .row_by_key(integrations::source_context_sql(), &[&hash])
            .await?;
        Ok(row.as_ref().map(integrations::source_context_row))
    }
    async fn remove_source(&self, id: i64, reason: &str) -> StoreResult<SourceRecord> {
        integrations::remove_source(&**self.client().await?, id, reason).await
    }

    async fn user_is_admin(&self, user_id: i64) -> StoreResult<bool> {
        oauth::user_is_admin(&**self.client().await?, user_id).await
    }
    async fn set_user_admin(&self, user_id: i64, admin: bool) -> StoreResult<()> {
        oauth::set_user_admin(&**self.client().await?, user_id, admin).await
    }

    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<AppRecord>> {
        integrations::app_by_client_id(&**self.client().await?, client_id).await
    }
    async fn apps_of_owner(&self, owner_id: i64) -> StoreResult<Vec<AppRecord>> {
        integrations::apps_where(
            &**self.client().await?,
            "owner_id = $1 ORDER BY id",
            &[&owner_id],
        )
        .await
    }
    async fn list_apps(&self, published_only: bool) -> StoreResult<Vec<AppRecord>> {
        integrations::apps_where(
            &**self.client().await?,
            "(published OR NOT $1) ORDER BY name, id",
            &[&published_only],
        )
        .await
    }
    async fn update_app(&self, id: i64, changes: AppChanges) -> StoreResult<AppRecord> {
        integrations::update_app(&**self.client().await?, id, changes).await
    }

    async fn sources_in_flow(&self, flow_id: &str) -> StoreResult<Vec<SourceRecord>> {
        integrations::sources_where(&**self.client().await?, "flow_id = $1", &flow_id).await
    }
    async fn sources_of_member(&self, user_id: i64) -> StoreResult<Vec<SourceRecord>> {
        integrations::sources_where(
            &**self.client().await?,
            "flow_id IN (SELECT flow_id FROM flow_memberships WHERE user_id = $1)",
            &user_id,
        )
        .await
    }
    async fn update_source(&self, id: i64, changes: SourceChanges) -> StoreResult<SourceRecord> {
        integrations::update_source(&**self.client().await?, id, changes).await
    }

    async fn record_action_attempt(
        &self,
        attempt: NewActionAttempt,
    ) -> StoreResult<ActionAttemptRecord> {
        actions::record(&**self.client().await?, attempt).await
    }
    async fn action_attempts_of_source(
        &self,
        source_id: i64,
    ) -> StoreResult<Vec<ActionAttemptRecord>> {
        actions::of_source(&**self.client().await?, source_id).await
    }

    async fn create_oauth_code(&self, code: NewOAuthCode) -> StoreResult<()> {
        oauth::create_code(&**self.client().await?, code).await
    }
    async fn oauth_code_by_hash(&self, hash: &str) -> StoreResult<Option<OAuthCodeRecord>> {
        oauth::code_by_hash(&**self.client().await?, hash).await
    }
    async fn redeem_oauth_code(
        &self,
        code_hash: &str,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let issued = if oauth::mark_code_used(&*tx, code_hash).await? {
            Some(oauth::create_token(&*tx, token).await?)
        } else {
            oauth::revoke_family(&*tx, &token.family, "code_replayed").await?;
            None
        };
        tx.commit().await?;
        Ok(issued)
    }
    async fn create_oauth_token(&self, token: NewOAuthToken) -> StoreResult<OAuthTokenRecord> {
        oauth::create_token(&**self.client().await?, token).await
    }
    async fn oauth_token_by_access_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        oauth::token_where(&**self.client().await?, "access_token_hash = $1", &hash).await
    }
    async fn oauth_token_by_refresh_hash(
        &self,
        hash: &str,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        oauth::token_where(&**self.client().await?, "refresh_token_hash = $1", &hash).await
    }
    async fn rotate_oauth_token(
        &self,
        old_id: i64,
        token: NewOAuthToken,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let issued = if oauth::mark_rotated(&*tx, old_id).await? {
            Some(oauth::create_token(&*tx, token).await?)
        } else {
            oauth::revoke_family(&*tx, &token.family, "refresh_reused").await?;
            None
        };
        tx.commit().await?;
        Ok(issued)
    }
    async fn revoke_oauth_token(&self, id: i64, reason: &str) -> StoreResult<()> {
        oauth::revoke_token(&**self.client().await?, id, reason).await
    }
    async fn revoke_oauth_grant(&self, user_id: i64, app_id: i64) -> StoreResult<()> {
        oauth::revoke_grant(&**self.client().await?, user_id, app_id).await
    }
    async fn live_oauth_tokens_of_user(&self, user_id: i64) -> StoreResult<Vec<OAuthTokenRecord>> {
        oauth::live_tokens_of_user(&**self.client().await?, user_id).await
    }

    async fn create_web_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        oauth::create_session(&**self.client().await?, token_hash, user_id, expires_at).await
    }
    async fn web_session_user(&self, token_hash: &str) -> StoreResult<Option<UserRecord>> {
        oauth::session_user(&**self.client().await?, token_hash).await
    }
    async fn delete_web_session(&self, token_hash: &str) -> StoreResult<()> {
        oauth::delete_session(&**self.client().await?, token_hash).await
    }
    async fn post_message(&self, post: NewPost) -> StoreResult<PostOutcome> {
        self.poster.post(post).await
    }
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        messages::idempotent_response(&self.client().await?, scope, key).await
    }
    async fn message_by_id(&self, flow_id: &str, id: i64) -> StoreResult<Option<StoredMessage>> {
        message_queries::message_by_id(&**self.client().await?, flow_id, id).await
    }
    async fn list_messages(&self, query: MessageQuery) -> StoreResult<Vec<StoredMessage>> {
        message_queries::list_messages(&**self.client().await?, query).await
    }
    async fn change_message(&self, change: MessageChange) -> StoreResult<ChangeOutcome> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let outcome = messages::change_message(&tx, change).await?;
        if let Some(last) = outcome.events.last() {
            announce(&tx, &last.flow_id, last.id).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }
    async fn delete_message(
        &self,
        flow_id: &str,
        id: i64,
        deletion: NewEvent,
    ) -> StoreResult<StoredMessage> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let event = messages::delete_message(&tx, flow_id, id, deletion).await?;
        announce(&tx, flow_id, event.id).await?;
        tx.commit().await?;
        Ok(event)
    }
    async fn thread_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<ThreadRecord>> {
        message_queries::thread_by_id(&**self.client().await?, flow_id, id).await
    }
    async fn list_threads(&self, query: ThreadQuery) -> StoreResult<Vec<ThreadRecord>> {
        message_queries::list_threads(&**self.client().await?, query).await
    }

    fn blobs(&self) -> DynBlobStore {
        self.blobs.clone()
    }
    async fn file_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<FileRecord>> {
        files::file_by_id(&**self.client().await?, flow_id, id).await
    }
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        files::server_secret(&**self.client().await?, name, candidate).await
    }
}
