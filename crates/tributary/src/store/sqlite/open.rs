//! Opening the SQLite backend: the database file and its migrations, the search index's
//! catch-up, and the threads that share the work (writer, checkpointer, indexer, readers).

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags};

use super::checkpoint::Checkpointer;
use super::pool::ReadPool;
use super::search::{self, SearchIndex};
use super::writer::Writer;
use super::SqliteStore;
use crate::bus::Bus;
use crate::store::blobs::FsBlobStore;
use crate::store::{DynBlobStore, StoreError, StoreResult};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_foundation.sql")),
    (2, include_str!("migrations/0002_messages.sql")),
    (3, include_str!("migrations/0003_oauth.sql")),
    (4, include_str!("migrations/0004_files.sql")),
    (6, include_str!("migrations/0006_action_attempts.sql")),
    (7, include_str!("migrations/0007_search_file.sql")),
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

const READERS: usize = 4;

pub(super) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // The hot paths (token, flow and app lookups, message lists) run the same few statements
    // over and over; they are prepared once per connection and kept.
    conn.set_prepared_statement_cache_capacity(64);
    // FULL keeps every acknowledged write across power loss; DESIGN §5 asks for a benchmark
    // before anything weaker.
    conn.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
    )
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)",
    )?;
    for (version, sql) in MIGRATIONS {
        // IMMEDIATE takes the write lock first, so two processes starting at once apply
        // each migration exactly once.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        let applied = if done {
            Ok(())
        } else {
            conn.execute_batch(sql).and_then(|_| {
                conn.execute(
                    "INSERT INTO schema_migrations (version) VALUES (?1)",
                    [version],
                )
                .map(|_| ())
            })
        };
        match applied {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (creating when needed) the database file at `path` and runs the migrations.
    pub async fn open(path: &Path, bus: Arc<Bus>) -> StoreResult<SqliteStore> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::backend(format!("cannot create {}", dir.display()), e)
                })?;
            }
            let conn = Connection::open(&path)?;
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            configure(&conn)?;
            // The writer revisits the pages of every thread and of the indexes' random
            // positions; SQLite's default 2 MiB cache made it read them back from the file.
            // Not more than 16 MiB: when a B-tree split renumbers pages, SQLite parks one at
            // a page number near 1 GiB, and the COMMIT after it scans the whole cache to drop
            // pages past the end of the file. At 64 MiB that scan was a tenth of the writer.
            conn.execute_batch("PRAGMA cache_size = -16384")?;
            migrate(&conn)?;
            let search_path = search::index_path(&path);
            let search_conn = search::open(&search_path)?;
            search::catch_up(&conn, &search_conn)?;
            let search = SearchIndex::start(search_conn)
                .map_err(|e| StoreError::backend("start the indexer", e))?;
            let checkpoint_conn = Connection::open(&path)?;
            configure(&checkpoint_conn)?;
            let checkpointer = Checkpointer::start(checkpoint_conn)
                .map_err(|e| StoreError::backend("start the checkpointer", e))?;
            let writer = Writer::start(conn, bus.clone(), checkpointer, search.clone())
                .map_err(|e| StoreError::backend("start the writer", e))?;
            let data_dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            let blobs: DynBlobStore = Arc::new(FsBlobStore::open(&data_dir.join("files"))?);
            let readers = ReadPool::new(READERS, move || {
                let c = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                c.execute(
                    "ATTACH DATABASE ?1 AS search",
                    [search_path.to_string_lossy()],
                )?;
                Ok(c)
            })?;
            Ok(SqliteStore {
                writer,
                readers,
                search,
                bus,
                blobs,
            })
        })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
    }
}
