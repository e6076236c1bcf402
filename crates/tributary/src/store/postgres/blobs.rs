//! The PostgreSQL blob store, the default with PostgreSQL: a blob's bytes are rows of
//! `blob_chunks`, all written in one transaction, so every node serves every file and a blob
//! is either whole or absent. Uploads spool to a local temporary directory first, so a slow
//! client never holds a database connection.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use deadpool_postgres::Pool;

use crate::store::blobs::*;
use crate::store::{now_millis, StoreError, StoreResult};

/// Bytes per `blob_chunks` row: large enough to keep rows few, small enough to stream.
const CHUNK: usize = 512 * 1024;

pub(super) struct PgBlobStore {
    pool: Pool,
    spool: PathBuf,
}

impl PgBlobStore {
    pub(super) fn new(pool: Pool, spool: PathBuf) -> PgBlobStore {
        let _ = std::fs::create_dir_all(&spool);
        sweep_spool(&spool);
        PgBlobStore { pool, spool }
    }
}

#[async_trait]
impl BlobStore for PgBlobStore {
    fn spool_dir(&self) -> &Path {
        &self.spool
    }

    async fn put(&self, key: &str, file: SpooledFile) -> StoreResult<()> {
        if !valid_key(key) {
            return Err(StoreError::NotFound("file"));
        }
        // One chunk in memory at a time: an upload is never held whole (issue 15). Reading
        // the local spool file inside the transaction costs the connection little.
        let mut chunks = file.chunks(CHUNK).await?;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "INSERT INTO blobs (key, size, created_at) VALUES ($1, $2, $3)",
            &[&key, &(file.size as i64), &now_millis()],
        )
        .await?;
        let insert = tx
            .prepare("INSERT INTO blob_chunks (key, seq, data) VALUES ($1, $2, $3)")
            .await?;
        let mut seq = 0i32;
        while let Some(data) = chunks.next().await? {
            tx.execute(&insert, &[&key, &seq, &data]).await?;
            seq += 1;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> StoreResult<Option<BlobStream>> {
        if !valid_key(key) {
            return Ok(None);
        }
        let client = self.pool.get().await?;
        if client
            .query_opt("SELECT 1 FROM blobs WHERE key = $1", &[&key])
            .await?
            .is_none()
        {
            return Ok(None);
        }
        drop(client);
        // One chunk per step, each with a pooled connection held only for its query.
        let state = (self.pool.clone(), key.to_owned(), 0i32);
        let stream = futures_util::stream::try_unfold(state, |(pool, key, seq)| async move {
            let client = pool.get().await.map_err(std::io::Error::other)?;
            let row = client
                .query_opt(
                    "SELECT data FROM blob_chunks WHERE key = $1 AND seq = $2",
                    &[&key, &seq],
                )
                .await
                .map_err(std::io::Error::other)?;
            Ok(row.map(|r| {
                let data: Vec<u8> = r.get(0);
                (Bytes::from(data), (pool, key, seq + 1))
            }))
        });
        Ok(Some(Box::pin(stream)))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let client = self.pool.get().await?;
        client
            .execute("DELETE FROM blobs WHERE key = $1", &[&key])
            .await?;
        Ok(())
    }
}
