//! The PostgreSQL backend: a connection pool, one transaction per write (posts share one
//! per group, see `poster`), and migrations serialised across nodes by an advisory lock.
//! Each area of the [`Store`] trait is implemented in the file named after it (`accounts`,
//! `flows`, `messages`, `integrations`, `oauth`, `files`, `access`).

mod access;
mod accounts;
mod actions;
mod blobs;
mod edit;
mod files;
mod flows;
mod integrations;
mod invitations;
mod memberships;
mod message_queries;
mod message_rows;
mod messages;
mod notify;
mod oauth;
mod post;
mod post_set;
mod poster;
mod private;
mod source_health;

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
    (9, include_str!("migrations/0009_private_conversations.sql")),
    (10, include_str!("migrations/0010_invitations.sql")),
    (11, include_str!("migrations/0011_flow_blocks.sql")),
    (
        12,
        include_str!("migrations/0012_thread_application_name.sql"),
    ),
    (13, include_str!("migrations/0013_source_health.sql")),
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
        StoreError::Backend(Box::new(e))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Backend(Box::new(e))
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
            .map_err(|e| StoreError::backend("bad PostgreSQL URL", e))?;
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
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
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

impl Store for PgStore {
    fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }
}
