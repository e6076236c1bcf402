//! What every handler shares: the store, the public URLs, the metrics, the file store, the
//! settings of uploads and thread actions, the password checker, and the open streams' signals
//! and revocation registry.
//!
//! State sits below `auth`, the resources and the stream, and imports none of them: the types
//! `AppState` holds live here (or lower), and the modules that use them import them from here.

mod action_tls;
pub mod limits;
mod mail;
mod passwords;
pub mod revocation;
mod settings;
mod streams;

use std::sync::Arc;

use axum::extract::FromRef;

use crate::metrics::Metrics;
use crate::store::{DynBlobStore, DynStore};

pub use action_tls::ActionTls;
pub use limits::RateLimits;
pub use mail::Mailer;
pub use passwords::Passwords;
pub use revocation::Grant;
pub use settings::{ActionSettings, FileSettings};
pub use streams::{Signals, Streams, Wait};

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
    pub actions: ActionSettings,
    /// Every password check goes through here (issue 15).
    pub passwords: Passwords,
    /// Invitation emails (issue 17): `--smtp-url`, or none.
    pub mail: Mailer,
    /// How long a `flow_token` keeps working after a rotation replaced it, and the most a
    /// rotation may ask for (`--flow-token-grace`, issue 18).
    pub flow_token_grace: std::time::Duration,
    /// The rate limits' buckets (issue 18).
    pub limits: RateLimits,
}

/// `/metrics` and the metrics middleware need the metrics alone.
impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(state: &AppState) -> Arc<Metrics> {
        state.metrics.clone()
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
