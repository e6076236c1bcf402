//! Files as the store records them: one row per attachment of a committed message, and the
//! blob store that keeps their contents. Server secrets live here too: like blobs, they are
//! things the store keeps for the server rather than rows of the Flowdock domain.
//!
//! The rows are derived from the message's own `attachments` inside the post's transaction
//! (both backends call [`attachment_files`]), so there is one source of truth: a file is
//! downloadable exactly when the message that carries it is committed.

use async_trait::async_trait;
use tributary_types::Message;

use super::{DynBlobStore, StoreResult};

/// Files (issue 8). `post_message` records a message's attachments in the `files` table.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Where this backend keeps file contents unless configured otherwise: a directory beside
    /// the SQLite database, or the PostgreSQL database itself.
    fn blobs(&self) -> DynBlobStore;
    /// A file of a committed message.
    async fn file_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<FileRecord>>;
    /// The server secret named `name`, stored from `candidate` the first time it is asked
    /// for; every node and every restart reads the same value.
    async fn server_secret(&self, name: &str, candidate: &str) -> StoreResult<String>;
}

/// One stored file of a flow. `id` is also its blob key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub flow_id: String,
    pub id: String,
    pub message_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: i64,
}

/// The REST path of a file: `/files/<flow id>/<file id>/<file name>`, as attachments carry it.
pub fn file_path(flow_id: &str, id: &str, file_name: &str) -> String {
    format!(
        "/files/{}/{}/{}",
        encode_segment(flow_id),
        encode_segment(id),
        encode_segment(file_name)
    )
}

/// One segment of a file's path, as the SDK encodes it too.
pub use tributary_types::encode_segment;

/// The files a message carries: every attachment whose `path` names a file of the
/// message's own flow. The message's `id` and `sent` must be filled in.
pub fn attachment_files(m: &Message) -> Vec<FileRecord> {
    let prefix = format!("/files/{}/", encode_segment(&m.flow));
    m.attachments
        .iter()
        .filter_map(|a| {
            let rest = a.get("path")?.as_str()?.strip_prefix(&prefix)?;
            let (id, _) = rest.split_once('/')?;
            Some(FileRecord {
                flow_id: m.flow.clone(),
                id: id.to_owned(),
                message_id: m.id,
                file_name: a.get("file_name")?.as_str()?.to_owned(),
                content_type: a.get("content_type")?.as_str()?.to_owned(),
                size: a.get("file_size")?.as_i64()?,
                created_at: m.sent,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_the_name_in_one_segment() {
        assert_eq!(
            file_path("f-1", "ab12", "my report/v2.pdf"),
            "/files/f-1/ab12/my%20report%2Fv2.pdf"
        );
    }

    #[test]
    fn rows_come_from_attachments_of_the_own_flow() {
        let m: Message = serde_json::from_value(serde_json::json!({
            "id": 7, "flow": "f-1", "event": "file", "user": "1", "sent": 99, "created_at": "",
            "attachments": [
                {"path": file_path("f-1", "ab12", "a b.png"), "file_name": "a b.png",
                 "content_type": "image/png", "file_size": 3},
                {"path": "/files/other/zz/x", "file_name": "x", "content_type": "a/b", "file_size": 1}
            ]
        }))
        .unwrap();
        let rows = attachment_files(&m);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, "ab12");
        assert_eq!(rows[0].message_id, 7);
        assert_eq!(rows[0].size, 3);
    }
}
