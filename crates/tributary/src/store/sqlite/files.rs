//! [`FileStore`] on SQLite: stored files and server secrets. The contents live beside the
//! database (`FsBlobStore`).

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use tributary_types::Message;

use super::SqliteStore;
use crate::store::*;

#[async_trait]
impl FileStore for SqliteStore {
    fn blobs(&self) -> DynBlobStore {
        self.blobs.clone()
    }
    async fn file_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<FileRecord>> {
        let (flow_id, id) = (flow_id.to_owned(), id.to_owned());
        self.readers
            .lookup(move |c| file_by_id(c, &flow_id, &id))
            .await
    }
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String> {
        let (name, candidate) = (name.to_owned(), candidate.to_owned());
        self.writer
            .write(move |c| server_secret(c, &name, &candidate))
            .await
    }
}

/// Records the message's attachments; runs in the post's savepoint.
pub(super) fn insert_attachments(c: &Connection, m: &Message) -> StoreResult<()> {
    for f in attachment_files(m) {
        c.execute(
            "INSERT INTO files (flow_id, id, message_id, file_name, content_type, size, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                f.flow_id,
                f.id,
                f.message_id,
                f.file_name,
                f.content_type,
                f.size,
                f.created_at
            ],
        )
        .map_err(|e| super::constraint(e, "file", "message"))?;
    }
    Ok(())
}

pub(super) fn file_by_id(
    c: &Connection,
    flow_id: &str,
    id: &str,
) -> StoreResult<Option<FileRecord>> {
    Ok(c.query_row(
        "SELECT flow_id, id, message_id, file_name, content_type, size, created_at
         FROM files WHERE flow_id = ?1 AND id = ?2",
        params![flow_id, id],
        |r| {
            Ok(FileRecord {
                flow_id: r.get(0)?,
                id: r.get(1)?,
                message_id: r.get(2)?,
                file_name: r.get(3)?,
                content_type: r.get(4)?,
                size: r.get(5)?,
                created_at: r.get(6)?,
            })
        },
    )
    .optional()?)
}

/// The secret named `name`, stored from `candidate` when there is none yet.
pub(super) fn server_secret(c: &Connection, name: &str, candidate: &str) -> StoreResult<String> {
    c.execute(
        "INSERT INTO server_secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![name, candidate],
    )?;
    Ok(c.query_row(
        "SELECT value FROM server_secrets WHERE name = ?1",
        [name],
        |r| r.get(0),
    )?)
}
