//! Persistence: one [`Store`] trait, with an embedded SQLite backend and a PostgreSQL backend
//! for scale-out. The `--database` URL's scheme picks the backend.
//!
//! [`Store`] is the sum of one trait per area, each in the file named after it, with its
//! inputs and records beside it: [`AccountStore`] (users, API tokens, sessions),
//! [`FlowStore`] (organizations and flows), [`MessageStore`] (posting, reading, editing,
//! search), [`IntegrationStore`] (applications, sources, action attempts), [`OAuthStore`],
//! [`FileStore`], [`AccessStore`] (what takes access away, and the stream sweeper's
//! re-check), and [`InvitationStore`] (invitations and join links). Each backend implements each area in its file of the same name.
//!
//! Both backends pass the same conformance suite (`tests/api/store_conformance.rs`), so the
//! rest of the server never needs to know which one it runs on.

pub mod access;
pub mod accounts;
pub mod actions;
pub mod blobs;
mod error;
pub mod files;
pub mod flows;
mod fs_blobs;
pub mod integrations;
pub mod invitations;
pub mod message_json;
pub mod messages;
pub mod oauth;
pub mod postgres;
pub mod private;
pub mod sqlite;
pub mod threads;

use std::sync::Arc;

use crate::bus::Bus;

pub use access::*;
pub use accounts::*;
pub use actions::*;
pub use blobs::{BlobStore, DynBlobStore};
pub(crate) use error::GroupFailure;
pub use error::{BoxError, StoreError, StoreResult};
pub use files::*;
pub use flows::*;
pub use integrations::*;
pub use invitations::*;
pub use message_json::*;
pub use messages::*;
pub use oauth::*;
pub use private::*;
pub use threads::*;

/// Everything the server keeps, as one trait object ([`DynStore`]).
pub trait Store:
    AccountStore
    + FlowStore
    + MessageStore
    + IntegrationStore
    + OAuthStore
    + FileStore
    + AccessStore
    + InvitationStore
    + PrivateStore
    + Send
    + Sync
    + 'static
{
    /// Where this store publishes committed message events, in commit order per flow.
    fn bus(&self) -> &Arc<Bus>;
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
