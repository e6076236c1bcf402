//! The database of one run: a temporary SQLite directory, or a PostgreSQL database created for
//! the run and dropped after it, and the count of stored messages a run checks against.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::server::Res;

/// A database for one run.
pub enum Database {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

static PG_SEQ: AtomicU32 = AtomicU32::new(0);

impl Database {
    pub fn sqlite() -> Res<Database> {
        tempfile::Builder::new()
            .prefix("tributary-bench-")
            .tempdir()
            .map(Database::Sqlite)
            .map_err(|e| format!("cannot create a temporary directory: {e}"))
    }

    /// Creates a fresh database on the server `admin_url` points at (its `postgres`
    /// database, reachable without a password).
    pub async fn postgres(admin_url: &str) -> Res<Database> {
        let name = format!(
            "tributary_bench_{}_{}",
            std::process::id(),
            PG_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        pg_admin(admin_url, &format!("CREATE DATABASE {name}")).await?;
        Ok(Database::Postgres {
            admin_url: admin_url.to_owned(),
            name,
        })
    }

    pub fn url(&self) -> String {
        match self {
            Database::Sqlite(dir) => {
                format!("sqlite://{}", self::sqlite_file(dir.path()).display())
            }
            Database::Postgres { admin_url, name } => {
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(admin_url);
                format!("{base}/{name}")
            }
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        match self {
            Database::Sqlite(dir) => Some(sqlite_file(dir.path())),
            Database::Postgres { .. } => None,
        }
    }

    /// Drops the PostgreSQL database (the SQLite directory goes when dropped).
    pub async fn remove(self) -> Res<()> {
        if let Database::Postgres { admin_url, name } = &self {
            pg_admin(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
        Ok(())
    }

    /// Messages stored in the source's flow by the source: the count to compare with the
    /// acknowledged posts.
    pub async fn stored_by_source(&self, source_id: i64) -> Res<u64> {
        match self {
            Database::Sqlite(_) => {
                let path = self.sqlite_path().unwrap_or_default();
                tokio::task::spawn_blocking(move || -> Res<u64> {
                    let c = rusqlite::Connection::open_with_flags(
                        &path,
                        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
                    )
                    .map_err(|e| e.to_string())?;
                    c.busy_timeout(Duration::from_secs(10))
                        .map_err(|e| e.to_string())?;
                    c.query_row(
                        "SELECT count(*) FROM messages WHERE source_id = ?1",
                        [source_id],
                        |r| r.get::<_, i64>(0),
                    )
                    .map(|n| n as u64)
                    .map_err(|e| e.to_string())
                })
                .await
                .map_err(|e| e.to_string())?
            }
            Database::Postgres { .. } => {
                let (client, conn) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::spawn(conn);
                let row = client
                    .query_one(
                        "SELECT count(*) FROM messages WHERE source_id = $1",
                        &[&source_id],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(row.get::<_, i64>(0) as u64)
            }
        }
    }
}

fn sqlite_file(dir: &Path) -> PathBuf {
    dir.join("tributary.db")
}

async fn pg_admin(admin_url: &str, sql: &str) -> Res<()> {
    let (client, conn) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("PostgreSQL at {admin_url}: {e}"))?;
    tokio::spawn(conn);
    client
        .batch_execute(sql)
        .await
        .map_err(|e| format!("PostgreSQL `{sql}`: {e}"))
}
