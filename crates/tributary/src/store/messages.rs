//! Messages and threads as the store holds them, and the write-path logic both backends
//! share: thread state updates, counts, and the one serialisation of each message.
//!
//! A message row keeps its own JSON (without `thread`); a thread row keeps the thread's JSON.
//! Reads splice the two, so every message shows its thread's current state without
//! re-serialising, and the post path hands back the exact bytes a stream will fan out.

use std::sync::Arc;

use base64::Engine;
use rand::RngCore;
use serde_json::Value;
use tributary_types::{Message, Thread, ThreadSource, ThreadUpdate};

use super::{StoreError, StoreResult};

/// How long an idempotency key is remembered (DESIGN §3.2).
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// A thread a post may start.
#[derive(Debug, Clone)]
pub struct NewThread {
    /// Random id, used only when the thread does not exist yet.
    pub id: String,
    pub origin: ThreadOrigin,
    pub source_id: Option<i64>,
    pub app_id: Option<i64>,
    pub external_thread_id: Option<String>,
    pub source: Option<ThreadSource>,
}

/// Where a thread started: the `origin` column, by which thread lists filter `chat` and
/// `inbox`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadOrigin {
    /// Started in chat, by a user's message.
    Chat,
    /// Started by an integration (or a user) in the team inbox.
    Inbox,
}

impl ThreadOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadOrigin::Chat => "chat",
            ThreadOrigin::Inbox => "inbox",
        }
    }
}

/// A random thread id in Flowdock's form (27 URL-safe characters).
pub fn new_thread_id() -> String {
    let mut buf = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// Which thread a post goes to.
#[derive(Debug, Clone)]
pub enum ThreadRef {
    /// Not threaded (status updates).
    None,
    /// An existing thread of the flow, by id; missing is `NotFound("thread")`.
    Existing(String),
    /// The source's thread with this `external_thread_id`, created when new.
    External(NewThread),
    /// A thread of its own.
    Start(NewThread),
}

/// The thread count a message adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    None,
    Activities,
    InternalComments,
    ExternalComments,
}

impl Counter {
    pub fn for_event(event: &str) -> Counter {
        match event {
            "activity" => Counter::Activities,
            "discussion" => Counter::ExternalComments,
            "message" | "comment" | "file" => Counter::InternalComments,
            _ => Counter::None,
        }
    }
}

/// An idempotency key to record with the post, and the answer to remember for it.
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    /// Whose key it is: `user:<id>` or `source:<id>`.
    pub scope: String,
    pub key: String,
    pub request_hash: String,
    pub status: u16,
    /// The remembered body is the message itself, or `{}`.
    pub body_is_message: bool,
}

/// A remembered answer.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotentResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// Everything one post writes, in one transaction.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// The message; the store fills `id`, `sent`, `created_at`, `thread_id` and `thread`.
    pub message: Message,
    pub user_id: Option<i64>,
    pub source_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub thread: ThreadRef,
    /// New thread state, already validated and sanitised.
    pub update: Option<ThreadUpdate>,
    pub search_text: String,
    pub claim: Option<IdempotencyClaim>,
}

#[derive(Debug, Clone)]
pub enum PostOutcome {
    Stored(StoredMessage),
    /// The key was used before: nothing was written.
    Replay(IdempotentResponse),
}

/// A message as stored, with its JSON serialised once (thread state included).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    pub flow_id: String,
    pub id: i64,
    pub event: String,
    pub user_id: Option<i64>,
    pub app: Option<String>,
    pub thread_id: Option<String>,
    pub json: Arc<str>,
}

impl StoredMessage {
    /// The record of a message just written: its row's fields, and `json` as clients see it.
    pub fn written(m: Message, user_id: Option<i64>, json: Arc<str>) -> StoredMessage {
        StoredMessage {
            flow_id: m.flow,
            id: m.id,
            event: m.event,
            user_id,
            app: m.app,
            thread_id: m.thread_id,
            json,
        }
    }

    pub fn parse(&self) -> Result<Message, serde_json::Error> {
        serde_json::from_str(&self.json)
    }

    /// The message as a stream event.
    pub fn to_event(&self) -> crate::bus::Event {
        crate::bus::Event::new(self.flow_id.as_str().into(), self.id, &self.json)
    }
}

/// A thread as stored: its JSON, and what lists sort and page by.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadRecord {
    pub id: String,
    pub flow_id: String,
    pub updated_at: i64,
    pub json: Arc<str>,
}

/// `GET .../messages` filters, already validated.
#[derive(Debug, Clone, Default)]
pub struct MessageQuery {
    pub flow_id: String,
    pub thread_id: Option<String>,
    pub events: Vec<String>,
    pub limit: i64,
    pub ascending: bool,
    pub since_id: Option<i64>,
    pub until_id: Option<i64>,
    pub tags: Vec<String>,
    /// `tag_mode=or`.
    pub tags_any: bool,
    /// Keywords that must all match.
    pub search: Vec<String>,
    pub skip: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AppFilter {
    Chat,
    Inbox,
    App(i64),
}

/// `GET .../threads` filters, already validated.
#[derive(Debug, Clone)]
pub struct ThreadQuery {
    pub flow_id: String,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub application: Option<AppFilter>,
    pub include_empty: bool,
    pub limit: i64,
}

/// A new event recorded by an edit (`message-edit`, `tag-change`).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub message: Message,
    pub user_id: Option<i64>,
}

/// `PUT` or a truncating `DELETE` of one message, with the events it records.
#[derive(Debug, Clone)]
pub struct MessageChange {
    pub flow_id: String,
    pub id: i64,
    /// The message's new JSON without `thread` (re-serialised by the caller).
    pub message: Message,
    pub search_text: String,
    pub events: Vec<NewEvent>,
}

/// What an edit stored: the changed message and the events, in id order.
#[derive(Debug, Clone)]
pub struct ChangeOutcome {
    pub message: StoredMessage,
    pub events: Vec<StoredMessage>,
}

/// RFC 3339 with milliseconds, as Flowdock's `created_at`.
pub fn iso8601(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// The state of a thread that a post starts.
pub fn new_thread_state(t: &NewThread, now: i64) -> Thread {
    Thread {
        id: t.id.clone(),
        title: None,
        body: None,
        external_url: None,
        status: None,
        actions: Vec::new(),
        fields: Vec::new(),
        source: t.source.clone(),
        activities: 0,
        internal_comments: 0,
        external_comments: 0,
        external_thread_id: t.external_thread_id.clone(),
        created_at: iso8601(now),
        updated_at: iso8601(now),
    }
}

/// Whether the post of `source_id` (`None` for a user) owns `thread`: only the source that
/// started a thread sets its state, because the server signs the thread's UpdateActions with
/// that source's client secret. A user owns no thread, not even a chat thread of their own
/// (it has no source to sign for, and must not look like an integration's).
pub fn owns(thread: &Thread, source_id: Option<i64>) -> bool {
    source_id.is_some() && thread.source.as_ref().map(|s| s.id) == source_id
}

/// Whether a post of `source_id` may join `thread` at all. A source posts into its own
/// threads and into threads no source owns (chat threads); another source's thread is
/// refused, with or without a `thread` object. Users are the flow's members: they may.
pub fn may_join(thread: &Thread, source_id: Option<i64>) -> StoreResult<()> {
    match (&thread.source, source_id) {
        (Some(owner), Some(poster)) if owner.id != poster => Err(StoreError::Forbidden(
            "This thread belongs to another source; a flow_token posts only to its own threads",
        )),
        _ => Ok(()),
    }
}

/// A new message enters its thread: the message's `thread` object updates the state when the
/// poster owns the thread ([`owns`]; anyone else's is ignored), the counts and `updated_at`
/// move, and the message names the thread. Returns the thread's new state as stored.
pub fn enter_thread(
    thread: &mut Thread,
    update: Option<&ThreadUpdate>,
    source_id: Option<i64>,
    m: &mut Message,
    now: i64,
) -> String {
    if let Some(u) = update.filter(|_| owns(thread, source_id)) {
        apply_update(thread, u);
    }
    count(thread, Counter::for_event(&m.event), 1);
    thread.updated_at = iso8601(now);
    m.thread_id = Some(thread.id.clone());
    m.external_thread_id = thread.external_thread_id.clone();
    serialise(&*thread)
}

/// The newest message's `thread` object replaces each field it carries.
pub fn apply_update(thread: &mut Thread, u: &ThreadUpdate) {
    if let Some(v) = &u.title {
        thread.title = Some(v.clone());
    }
    if let Some(v) = &u.body {
        thread.body = Some(v.clone());
    }
    if let Some(v) = &u.external_url {
        thread.external_url = Some(v.clone());
    }
    if let Some(v) = &u.status {
        thread.status = Some(v.clone());
    }
    if let Some(v) = &u.fields {
        thread.fields = v.clone();
    }
    if let Some(v) = &u.actions {
        thread.actions = v.clone();
    }
}

/// Adds (or, with `delta` -1, removes) one message of `counter` kind.
pub fn count(thread: &mut Thread, counter: Counter, delta: i64) {
    match counter {
        Counter::Activities => thread.activities = (thread.activities + delta).max(0),
        Counter::InternalComments => {
            thread.internal_comments = (thread.internal_comments + delta).max(0)
        }
        Counter::ExternalComments => {
            thread.external_comments = (thread.external_comments + delta).max(0)
        }
        Counter::None => {}
    }
}

/// Fills the fields only the store knows and serialises the message once, without `thread`.
pub fn finish_message(m: &mut Message, flow_id: &str, id: i64, now: i64) -> String {
    m.id = id;
    m.flow = flow_id.to_owned();
    m.sent = now;
    m.created_at = iso8601(now);
    m.thread = None;
    serialise(m)
}

pub fn serialise<T: serde::Serialize>(v: &T) -> String {
    // Serialising plain structs and `Value`s cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "{}".to_owned())
}

/// The message JSON with its thread's current state appended as `thread`.
pub fn splice(own: &str, thread: Option<&str>) -> Arc<str> {
    match (thread, own.strip_suffix('}')) {
        (Some(t), Some(head)) => {
            let mut s = String::with_capacity(own.len() + t.len() + 11);
            s.push_str(head);
            s.push_str(",\"thread\":");
            s.push_str(t);
            s.push('}');
            s.into()
        }
        _ => own.into(),
    }
}

/// The user id as a message carries it: `"0"` for integrations.
pub fn user_string(user_id: Option<i64>) -> String {
    user_id
        .map(|id| id.to_string())
        .unwrap_or_else(|| "0".into())
}

/// The content of a `Value` that is a string, or the `text` of a comment's object.
pub fn content_text(content: &Value) -> &str {
    match content {
        Value::String(s) => s,
        Value::Object(o) => o.get("text").and_then(Value::as_str).unwrap_or(""),
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_the_thread_into_the_message() {
        assert_eq!(
            &*splice(r#"{"id":1}"#, Some(r#"{"id":"t"}"#)),
            r#"{"id":1,"thread":{"id":"t"}}"#
        );
        assert_eq!(&*splice(r#"{"id":1}"#, None), r#"{"id":1}"#);
    }

    #[test]
    fn formats_milliseconds_as_iso8601() {
        assert_eq!(iso8601(1385546251160), "2013-11-27T09:57:31.160Z");
    }
}
