//! How a server handles uploads, downloads and thread actions: plain settings that the shell
//! fills from the configuration, and that `files` and `actions` read from [`super::AppState`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use super::action_tls::ActionTls;
use crate::error::{ApiError, ApiResult};

/// How long a signed download URL stays valid.
pub(super) const DEFAULT_URL_TTL_SECS: i64 = 5 * 60;

/// How long an upload waits for its turn before the server answers 503.
pub(super) const DEFAULT_UPLOAD_WAIT: Duration = Duration::from_secs(5);

/// The `Retry-After` of that 503, in seconds.
const UPLOAD_RETRY_AFTER_SECS: u64 = 5;

/// Outbound action requests give up after this long.
pub(super) const ACTION_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// The download URLs' signing key once it was read from the store (`files::signing`).
    pub url_key: Arc<OnceCell<String>>,
}

impl FileSettings {
    /// The limits the configuration names (its defaults live in `config`).
    pub fn new(
        max_upload_bytes: u64,
        max_body_bytes: usize,
        max_concurrent_uploads: usize,
    ) -> FileSettings {
        FileSettings {
            max_upload_bytes,
            max_body_bytes,
            url_ttl_secs: DEFAULT_URL_TTL_SECS,
            uploads: Arc::new(Semaphore::new(max_concurrent_uploads.max(1))),
            upload_wait: DEFAULT_UPLOAD_WAIT,
            url_key: Arc::default(),
        }
    }

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
}

/// How this server sends action requests.
#[derive(Debug, Clone)]
pub struct ActionSettings {
    /// `--allow-private-action-targets`: call loopback, private and link-local addresses.
    pub allow_private_targets: bool,
    pub timeout: Duration,
    /// The roots `https://` targets are verified against (`--action-ca-file` adds one).
    pub tls: ActionTls,
}

impl Default for ActionSettings {
    fn default() -> ActionSettings {
        ActionSettings {
            allow_private_targets: false,
            timeout: ACTION_TIMEOUT,
            tls: ActionTls::default(),
        }
    }
}
