//! What every handler shares: the store, the public URLs, the metrics, and the file store.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::files::FileSettings;
use crate::metrics::Metrics;
use crate::store::{DynBlobStore, DynStore};

#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub urls: Urls,
    pub metrics: Arc<Metrics>,
    /// Where uploaded files live: the store's default unless `--files-dir` says otherwise.
    pub blobs: DynBlobStore,
    pub files: FileSettings,
    pub streams: Streams,
    /// How thread actions call integrations (issue 9).
    pub actions: crate::actions::ActionSettings,
}

/// What open streams share: how often they send keep-alives, and the signal that ends them
/// all, so that graceful shutdown does not wait on connections that never finish.
#[derive(Clone)]
pub struct Streams {
    pub keepalive: Duration,
    stop: Arc<watch::Sender<bool>>,
}

impl Streams {
    pub fn new(keepalive: Duration) -> Streams {
        Streams {
            keepalive,
            stop: Arc::new(watch::channel(false).0),
        }
    }

    /// Ends every open stream, and every stream opened from now on.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Resolves once [`Streams::stop`] was called.
    pub async fn stopped(&self) {
        let mut rx = self.stop.subscribe();
        let _ = rx.wait_for(|stopped| *stopped).await;
    }
}

/// Builds the absolute URLs that resources carry (`url`, `web_url`, `links`).
#[derive(Clone, Debug)]
pub struct Urls {
    base: Arc<str>,
}

impl Urls {
    pub fn new(public_url: &str) -> Urls {
        Urls {
            base: public_url.trim_end_matches('/').into(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn organization(&self, org: &str) -> String {
        format!("{}/organizations/{org}", self.base)
    }

    pub fn flow(&self, org: &str, flow: &str) -> String {
        format!("{}/flows/{org}/{flow}", self.base)
    }

    pub fn web_flow(&self, org: &str, flow: &str) -> String {
        format!("{}/app/{org}/{flow}", self.base)
    }

    pub fn join(&self, token: &str, flow: &str) -> String {
        format!("{}/invitations/{token}-{flow}", self.base)
    }

    pub fn avatar(&self, user_id: i64) -> String {
        format!("{}/avatars/{user_id}", self.base)
    }
}
