//! Files: uploads on posts (multipart, or base64 in JSON), attachments on inbox items, and
//! downloads through short-lived signed URLs.
//!
//! The way of an upload: the request body streams into a spool file (`upload`) → the post
//! validates like any other (`messages::post`, with `attach` for the attachment JSON) → the
//! blob store makes the file durable (`store::blobs`) → the message commits and records its
//! files. The way of a download: `GET <path>` as a flow member → 302 to the same path signed
//! for a few minutes (`signing`) → the bytes, with headers that keep the browser from running
//! anything (`download`).

pub mod attach;
mod base64_spool;
pub mod download;
mod gate;
pub mod image;
mod json_split;
mod json_upload;
pub mod mime;
mod multipart;
pub mod signing;
pub mod upload;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use crate::config::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONCURRENT_UPLOADS, DEFAULT_MAX_UPLOAD_BYTES,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long a signed download URL stays valid.
pub const DEFAULT_URL_TTL_SECS: i64 = 5 * 60;

/// How long an upload waits for its turn before the server answers 503.
pub const DEFAULT_UPLOAD_WAIT: Duration = Duration::from_secs(5);

/// The `Retry-After` of that 503, in seconds.
const UPLOAD_RETRY_AFTER_SECS: u64 = 5;

/// The limits and keys of uploads and downloads.
#[derive(Clone, Debug)]
pub struct FileSettings {
    /// Largest file, in bytes (`--max-upload-bytes`).
    pub max_upload_bytes: u64,
    /// Largest body without files; in a multipart upload, the other fields together.
    pub max_body_bytes: usize,
    /// Lifetime of a signed download URL, in seconds.
    pub url_ttl_secs: i64,
    /// The uploads that may run at once (`--max-concurrent-uploads`): each body larger than
    /// `max_body_bytes` holds a permit until its post is answered.
    pub uploads: Arc<Semaphore>,
    /// How long an upload waits for a permit before it is answered 503.
    pub upload_wait: Duration,
    secret: Arc<OnceCell<String>>,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            url_ttl_secs: DEFAULT_URL_TTL_SECS,
            uploads: Arc::new(Semaphore::new(DEFAULT_MAX_CONCURRENT_UPLOADS)),
            upload_wait: DEFAULT_UPLOAD_WAIT,
            secret: Arc::default(),
        }
    }
}

impl FileSettings {
    /// At most `n` uploads at once (at least one).
    pub fn set_max_concurrent_uploads(&mut self, n: usize) {
        self.uploads = Arc::new(Semaphore::new(n.max(1)));
    }

    /// A turn to upload, waited for at most `upload_wait`; then 503 with `Retry-After`, so
    /// that a flood of uploads queues in the clients rather than in the server's memory.
    pub async fn upload_permit(&self) -> ApiResult<OwnedSemaphorePermit> {
        let wait = self.uploads.clone().acquire_owned();
        match tokio::time::timeout(self.upload_wait, wait).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(ApiError::Unavailable {
                message: format!(
                    "Too many uploads at once; try again in {UPLOAD_RETRY_AFTER_SECS} seconds"
                ),
                retry_after: UPLOAD_RETRY_AFTER_SECS,
            }),
        }
    }

    /// The URL signing key, read from the store once (and created there the first time).
    pub async fn secret(&self, state: &AppState) -> ApiResult<String> {
        let secret = self
            .secret
            .get_or_try_init(|| async {
                let candidate = crate::secrets::new_token(32);
                state
                    .store
                    .server_secret(signing::SECRET_NAME, &candidate)
                    .await
            })
            .await?;
        Ok(secret.clone())
    }
}

/// Removes the stored files of a message that was just deleted (its `files` rows went with
/// it, so nothing can reach them any more). A failure only leaves an unreachable blob.
pub async fn remove_blobs(state: &AppState, m: &tributary_types::Message) {
    for f in crate::store::attachment_files(m) {
        if let Err(e) = state.blobs.delete(&f.id).await {
            tracing::warn!(file.key = %f.id, error = %e, "files.blob_not_removed");
        }
    }
}

/// The download route, merged into the server's router.
pub fn routes() -> Router<AppState> {
    Router::new().route("/files/{flow}/{id}/{name}", get(download::get_file))
}
