//! Messages and threads: typed calls for users (`Client::messages`, `Client::threads`) and
//! for integrations posting with a `flow_token` ([`Integration`]).

use std::time::Duration;

use reqwest::Method;
use serde::de::IgnoredAny;
use tributary_types::{encode_segment as encode, EditMessage, Message, PostMessage, Thread};

use crate::client::decode;
use crate::{Client, Error};

/// Filters of `GET .../messages`; unset fields are left out.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// `event=`: only messages of these event types (comma-separated, e.g. `message,comment`).
    pub event: Option<String>,
    /// `limit=`: at most this many messages.
    pub limit: Option<u32>,
    /// `sort=asc`: oldest first (the default is newest first).
    pub sort_ascending: bool,
    /// `since_id=`: only messages after this id.
    pub since_id: Option<i64>,
    /// `until_id=`: only messages before this id.
    pub until_id: Option<i64>,
    /// `tags=`: only messages with these tags.
    pub tags: Vec<String>,
    /// `tag_mode=or`: any of the tags is enough (the default needs all).
    pub tag_mode_or: bool,
    /// `search=`: only messages whose text holds these words.
    pub search: Option<String>,
    /// `skip=`: leave out this many matching messages first.
    pub skip: Option<u32>,
}

impl MessageFilter {
    /// The query string, with its leading `?`; empty when no filter is set.
    pub fn query(&self) -> String {
        let mut q: Vec<String> = Vec::new();
        if let Some(e) = &self.event {
            q.push(format!("event={}", encode(e)));
        }
        if let Some(l) = self.limit {
            q.push(format!("limit={l}"));
        }
        if self.sort_ascending {
            q.push("sort=asc".into());
        }
        if let Some(id) = self.since_id {
            q.push(format!("since_id={id}"));
        }
        if let Some(id) = self.until_id {
            q.push(format!("until_id={id}"));
        }
        if !self.tags.is_empty() {
            q.push(format!("tags={}", encode(&self.tags.join(","))));
        }
        if self.tag_mode_or {
            q.push("tag_mode=or".into());
        }
        if let Some(s) = &self.search {
            q.push(format!("search={}", encode(s)));
        }
        if let Some(s) = self.skip {
            q.push(format!("skip={s}"));
        }
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

/// `/flows/:org/:flow/messages`, as a user.
pub struct Messages<'a> {
    pub(crate) client: &'a Client,
}

impl Messages<'_> {
    /// `POST /flows/:org/:flow/messages`: the stored message, once it is durable.
    pub async fn post(
        &self,
        org: &str,
        flow: &str,
        message: &PostMessage,
    ) -> Result<Message, Error> {
        self.client
            .send_json(
                Method::POST,
                &format!("/flows/{org}/{flow}/messages"),
                message,
            )
            .await
    }

    /// `POST /flows/:org/:flow/messages/:id/comments`.
    pub async fn comment(
        &self,
        org: &str,
        flow: &str,
        parent: i64,
        text: &str,
    ) -> Result<Message, Error> {
        let body = PostMessage {
            event: "comment".into(),
            content: Some(text.into()),
            ..PostMessage::default()
        };
        self.client
            .send_json(
                Method::POST,
                &format!("/flows/{org}/{flow}/messages/{parent}/comments"),
                &body,
            )
            .await
    }

    /// `GET /flows/:org/:flow/messages`, in ascending id order.
    pub async fn list(
        &self,
        org: &str,
        flow: &str,
        filter: &MessageFilter,
    ) -> Result<Vec<Message>, Error> {
        self.client
            .get(&format!("/flows/{org}/{flow}/messages{}", filter.query()))
            .await
    }

    /// `GET /flows/:org/:flow/threads/:id/messages`.
    pub async fn list_in_thread(
        &self,
        org: &str,
        flow: &str,
        thread: &str,
        filter: &MessageFilter,
    ) -> Result<Vec<Message>, Error> {
        self.client
            .get(&format!(
                "/flows/{org}/{flow}/threads/{}/messages{}",
                encode(thread),
                filter.query()
            ))
            .await
    }

    /// `GET /flows/:org/:flow/messages/:id`.
    pub async fn get(&self, org: &str, flow: &str, id: i64) -> Result<Message, Error> {
        self.client
            .get(&format!("/flows/{org}/{flow}/messages/{id}"))
            .await
    }

    /// `PUT /flows/:org/:flow/messages/:id`.
    pub async fn edit(
        &self,
        org: &str,
        flow: &str,
        id: i64,
        edit: &EditMessage,
    ) -> Result<(), Error> {
        let _: IgnoredAny = self
            .client
            .send_json(
                Method::PUT,
                &format!("/flows/{org}/{flow}/messages/{id}"),
                edit,
            )
            .await?;
        Ok(())
    }

    /// `DELETE /flows/:org/:flow/messages/:id`.
    pub async fn delete(&self, org: &str, flow: &str, id: i64) -> Result<(), Error> {
        let res = self
            .client
            .request(
                Method::DELETE,
                &format!("/flows/{org}/{flow}/messages/{id}"),
            )
            .send()
            .await?;
        if res.status().is_success() {
            return Ok(());
        }
        decode::<IgnoredAny>(res).await.map(|_| ())
    }
}

/// `/flows/:org/:flow/threads`.
pub struct Threads<'a> {
    pub(crate) client: &'a Client,
}

impl Threads<'_> {
    /// `GET /flows/:org/:flow/threads`, newest first; `query` is appended as is
    /// (for example `application=inbox&empty=1`).
    pub async fn list(&self, org: &str, flow: &str, query: &str) -> Result<Vec<Thread>, Error> {
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        self.client
            .get(&format!("/flows/{org}/{flow}/threads{q}"))
            .await
    }

    /// `GET /flows/:org/:flow/threads/:id`.
    pub async fn get(&self, org: &str, flow: &str, id: &str) -> Result<Thread, Error> {
        self.client
            .get(&format!("/flows/{org}/{flow}/threads/{}", encode(id)))
            .await
    }
}

/// An integration: posts to its flow with the source's `flow_token`.
#[derive(Clone, Debug)]
pub struct Integration {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) flow_token: String,
    pub(crate) retry: crate::Retry,
}

impl Integration {
    /// An integration posting to the server at `base_url` with its source's `flow_token`.
    pub fn new(base_url: impl Into<String>, flow_token: impl Into<String>) -> Integration {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Integration {
            http,
            base: base_url.into().trim_end_matches('/').to_owned(),
            flow_token: flow_token.into(),
            retry: crate::Retry::NONE,
        }
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    pub(crate) fn body(&self, message: &PostMessage) -> PostMessage {
        PostMessage {
            flow_token: Some(self.flow_token.clone()),
            ..message.clone()
        }
    }

    /// `POST /messages`: accepted (202) once durable; the id is not returned.
    pub async fn post(&self, message: &PostMessage) -> Result<(), Error> {
        let req = self
            .http
            .post(format!("{}/messages", self.base))
            .json(&self.body(message));
        let res = crate::retry::send(&self.retry, req).await?;
        decode::<IgnoredAny>(res).await.map(|_| ())
    }

    /// `POST /messages` with `X-flowdock-wait-for-message`: the stored message, with its id
    /// and `thread_id`. `idempotency_key` makes retries safe.
    pub async fn post_and_wait(
        &self,
        message: &PostMessage,
        idempotency_key: Option<&str>,
    ) -> Result<Message, Error> {
        let mut req = self
            .http
            .post(format!("{}/messages", self.base))
            .header("X-flowdock-wait-for-message", "true")
            .json(&self.body(message));
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        decode(crate::retry::send(&self.retry, req).await?).await
    }
}
