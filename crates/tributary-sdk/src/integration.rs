//! What an [`Integration`] (a `flow_token`) does beyond posting raw messages: typed
//! activities and discussions, its source's error message, and retries.
//!
//! ```no_run
//! # async fn run() -> Result<(), tributary_sdk::Error> {
//! use tributary_sdk::thread::{Activity, Author, StatusColor, Thread};
//! use tributary_sdk::{Error, Integration, Retry};
//!
//! let integration = Integration::new("http://127.0.0.1:8080", "3e2252e2e164d70ebbc5c59b9db629c8")
//!     .with_retry(Retry::backoff(3));
//! let thread = Thread::new("Lunch?").status(StatusColor::Green, "open");
//! match integration
//!     .post_activity(&Activity::new("polldock:poll:1", Author::new("Ann"), "created a poll", thread))
//!     .await
//! {
//!     Ok(()) => integration.clear_error().await.map(|_| ())?,
//!     // The source was removed from the flow: forget the token and stop posting.
//!     Err(Error::SourceGone { reason }) => println!("removed: {reason}"),
//!     Err(e) => {
//!         integration.set_error(&format!("Posting failed: {e}")).await?;
//!     }
//! }
//! # Ok(()) }
//! ```

use reqwest::Method;
use serde_json::json;
use tributary_types::{Message, Source};

use crate::client::decode;
use crate::thread::{Activity, Discussion};
use crate::{Error, Integration, Retry};

impl Integration {
    /// Retries posts answered 429 as `policy` says (by default they are not retried).
    pub fn with_retry(self, policy: Retry) -> Integration {
        Integration {
            retry: policy,
            ..self
        }
    }

    /// Posts an activity into its thread; accepted once durable.
    pub async fn post_activity(&self, activity: &Activity) -> Result<(), Error> {
        self.post(&activity.to_message()).await
    }

    /// Posts a discussion (an external comment) into its thread.
    pub async fn post_discussion(&self, discussion: &Discussion) -> Result<(), Error> {
        self.post(&discussion.to_message()).await
    }

    /// Posts an activity and returns the stored message, with its id and `thread_id`.
    pub async fn post_activity_and_wait(&self, activity: &Activity) -> Result<Message, Error> {
        self.post_and_wait(&activity.to_message(), None).await
    }

    /// Shows `message` prominently in the flow's Inbox Settings, until [`Self::clear_error`].
    /// Use it when a problem persists that the flow's users must fix (docs: "Notifying users
    /// of problems").
    pub async fn set_error(&self, message: &str) -> Result<Source, Error> {
        self.update_source(message).await
    }

    /// Clears the source's error message: an empty `error_message` clears it.
    pub async fn clear_error(&self) -> Result<Source, Error> {
        self.update_source("").await
    }

    /// The source behind this token (`GET /sources?flow_token=`).
    pub async fn source(&self) -> Result<Source, Error> {
        let req = self
            .http
            .get(format!("{}/sources", self.base))
            .query(&[("flow_token", self.flow_token.as_str())]);
        let sources: Vec<Source> = decode(crate::retry::send(&self.retry, req).await?).await?;
        sources
            .into_iter()
            .next()
            .ok_or_else(|| Error::Decode("GET /sources answered no source".into()))
    }

    /// Rotates this integration's own `flow_token` (`POST` on its source's `rotate`), with the
    /// grace of [`crate::Sources::rotate_flow_token`], and answers the new token: store it
    /// before anything else, it is shown only once. This `Integration` keeps the old token;
    /// make a new one with the answer.
    pub async fn rotate_flow_token(&self, grace_secs: Option<u64>) -> Result<String, Error> {
        let source = self.source().await?;
        let mut body = crate::integrations::grace_body(grace_secs);
        body["flow_token"] = json!(self.flow_token);
        // The source's URL is the server's public one; this integration may reach the server
        // at another address, so only the path is taken from it.
        let path = reqwest::Url::parse(&source.url)
            .map_err(|e| Error::Decode(format!("the source's url: {e}")))?
            .path()
            .to_owned();
        let req = self
            .http
            .post(format!("{}{path}/rotate", self.base))
            .json(&body);
        let rotated: Source = decode(crate::retry::send(&self.retry, req).await?).await?;
        rotated
            .flow_token
            .ok_or_else(|| Error::Decode("the rotation answered no flow_token".into()))
    }

    async fn update_source(&self, error_message: &str) -> Result<Source, Error> {
        let req = self
            .http
            .request(Method::PUT, format!("{}/sources", self.base))
            .json(&json!({"flow_token": self.flow_token, "error_message": error_message}));
        decode(crate::retry::send(&self.retry, req).await?).await
    }
}
