//! [`FileStore`] on PostgreSQL: stored files and server secrets. The contents live in the
//! database too (`blobs`), so every node serves every file.

use async_trait::async_trait;
use tokio_postgres::GenericClient;
use tributary_types::Message;

use super::PgStore;
use crate::store::*;

#[async_trait]
impl FileStore for PgStore {
    fn blobs(&self) -> DynBlobStore {
        self.blobs.clone()
    }
    async fn file_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<FileRecord>> {
        file_by_id(&**self.client().await?, flow_id, id).await
    }
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        server_secret(&**self.client().await?, name, candidate).await
    }
}

/// Records the message's attachments; runs in the post's transaction.
pub(super) async fn insert_attachments(c: &impl GenericClient, m: &Message) -> StoreResult<()> {
    for f in attachment_files(m) {
        c.execute(
            "INSERT INTO files (flow_id, id, message_id, file_name, content_type, size, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &f.flow_id,
                &f.id,
                &f.message_id,
                &f.file_name,
                &f.content_type,
                &f.size,
                &f.created_at,
            ],
        )
        .await
        .map_err(|e| super::constraint(e, "file", "message"))?;
    }
    Ok(())
}

pub(super) async fn file_by_id(
    c: &impl GenericClient,
    flow_id: &str,
    id: &str,
) -> StoreResult<Option<FileRecord>> {
    let row = c
        .query_opt(
            "SELECT flow_id, id, message_id, file_name, content_type, size, created_at
             FROM files WHERE flow_id = $1 AND id = $2",
            &[&flow_id, &id],
        )
        .await?;
    Ok(row.map(|r| FileRecord {
        flow_id: r.get(0),
        id: r.get(1),
        message_id: r.get(2),
        file_name: r.get(3),
        content_type: r.get(4),
        size: r.get(5),
        created_at: r.get(6),
    }))
}

/// The secret named `name`, stored from `candidate` when there is none yet. Concurrent
/// first calls on several nodes agree, because only one insert wins.
pub(super) async fn server_secret(
    c: &impl GenericClient,
    name: &str,
    candidate: &str,
) -> StoreResult<String> {
    c.execute(
        "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[&name, &candidate],
    )
    .await?;
    let row = c
        .query_one("SELECT value FROM server_secrets WHERE name = $1", &[&name])
        .await?;
    Ok(row.get(0))
}
