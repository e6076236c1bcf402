//! The embedded SQLite backend: WAL, one group-committing writer thread with a checkpointer
//! and a full-text indexer beside it, and a pool of read-only connections. `open` starts
//! them; each area of the [`Store`] trait is mapped onto them in the file named after it
//! (`accounts`, `flows`, `messages`, `integrations`, `oauth`, `files`, `access`).

mod access;
mod accounts;
mod actions;
mod checkpoint;
mod edit;
mod files;
mod flows;
mod integrations;
mod invitations;
mod memberships;
mod message_queries;
mod message_rows;
mod messages;
mod oauth;
mod open;
mod pool;
mod post;
mod private;
mod search;
pub mod seed;
mod source_health;
mod writer;

use std::sync::Arc;

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

impl Store for SqliteStore {
    fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }
}
