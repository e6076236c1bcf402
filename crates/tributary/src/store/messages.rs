//! Messages and threads as the store holds them: the [`MessageStore`] trait and its inputs
//! and records. The write-path logic both backends share is beside it: thread state in
//! [`super::threads`], the one serialisation of each message in [`super::message_json`].
//!
//! A message row keeps its own JSON (without `thread`); a thread row keeps the thread's JSON.
//! Reads splice the two, so every message shows its thread's current state without
//! re-serialising, and the post path hands back the exact bytes a stream will fan out.

use std::sync::Arc;

use async_trait::async_trait;
use tributary_types::{Message, ThreadSource, ThreadUpdate};

use super::message_json::splice;
use super::StoreResult;
use crate::bus::Event;

/// Messages and threads: the post path's one write, edits and deletions, and the reads.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// The one write of a post, in one transaction: replays a known idempotency key, or
    /// upserts the thread, allocates the flow's next message id, inserts the message, updates
    /// the thread's state and counts, and records the key. Answers after the commit.
    async fn post_message(&self, post: NewPost) -> StoreResult<PostOutcome>;
    /// A remembered answer for the key, when it is younger than `IDEMPOTENCY_TTL_MS`.
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>>;
    async fn message_by_id(&self, flow_id: &str, id: i64) -> StoreResult<Option<StoredMessage>>;
    /// Matching messages in ascending id order.
    async fn list_messages(&self, query: MessageQuery) -> StoreResult<Vec<StoredMessage>>;
    /// Rewrites one message and records the edit's events, in one transaction.
    async fn change_message(&self, change: MessageChange) -> StoreResult<ChangeOutcome>;
    /// Removes the message, takes it out of its thread's counts, and records the
    /// `message-delete` event `deletion` (returned), so streams learn of it in order.
    async fn delete_message(
        &self,
        flow_id: &str,
        id: i64,
        deletion: NewEvent,
    ) -> StoreResult<StoredMessage>;
    async fn thread_by_id(&self, flow_id: &str, id: &str) -> StoreResult<Option<ThreadRecord>>;
    /// Threads by `updated_at`, newest first, and by id, last first, among those updated at
    /// the same moment.
    async fn list_threads(&self, query: ThreadQuery) -> StoreResult<Vec<ThreadRecord>>;
}

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

/// Which thread a post goes to.
#[derive(Debug, Clone)]
pub enum ThreadRef {
    /// Not threaded (status updates).
    None,
    /// An existing thread of the flow, by id; missing is `NotFound("thread")`.
    Existing(String),
    /// The source's thread with this `external_thread_id`, created when new.
    External(NewThread),
    /// The source's thread with this `external_thread_id`, which must exist: a post that
    /// carries no new thread's title only joins one. A new one is
    /// `NotFound(`[`NO_EXTERNAL_THREAD`]`)`.
    Join(NewThread),
    /// A thread of its own.
    Start(NewThread),
}

/// What [`ThreadRef::Join`] answers for an `external_thread_id` the source does not have.
pub const NO_EXTERNAL_THREAD: &str = "external thread";

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

    /// The record of an edited message: `m` is its new content and `own` its JSON without
    /// `thread`; the thread's current state (`thread_state`) is spliced back in.
    pub fn edited(
        flow_id: String,
        id: i64,
        m: &Message,
        thread_id: Option<String>,
        own: &str,
        thread_state: Option<&str>,
    ) -> StoredMessage {
        StoredMessage {
            flow_id,
            id,
            event: m.event.clone(),
            user_id: m.user.parse().ok().filter(|id| *id != 0),
            app: m.app.clone(),
            thread_id,
            json: splice(own, thread_state),
        }
    }

    pub fn parse(&self) -> Result<Message, serde_json::Error> {
        serde_json::from_str(&self.json)
    }

    /// The message as a stream event.
    pub fn to_event(&self) -> Event {
        Event::new(self.flow_id.as_str().into(), self.id, &self.json)
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
    /// Threads updated before this; with `until_id`, also those updated at exactly this
    /// moment whose id sorts before `until_id`: the list's order is (`updated_at`, `id`),
    /// so a page that ends there is followed by exactly the threads after it, however many
    /// share its last timestamp (a group commit gives a whole group one).
    pub until: Option<i64>,
    pub until_id: Option<String>,
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
