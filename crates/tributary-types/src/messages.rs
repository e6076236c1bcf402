//! Messages and threads: what `GET /flows/:org/:flow/messages` returns, what the stream will
//! carry, and what integrations post.
//!
//! `Message` keeps Flowdock's field names and types exactly (`id` a number, `user` a string,
//! `sent` milliseconds). Fields that only some events carry are left out when empty, except
//! `edited`, which Flowdock always sent (as `null` until an edit).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event in a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Increasing, unique within the flow.
    pub id: i64,
    /// The flow's id. A private message has none (it has `to`): the conversation's own flows
    /// row (`private-...`) is the server's business, so it is left out of the JSON.
    #[serde(default, skip_serializing_if = "is_private_flow")]
    pub flow: String,
    /// A private message's recipient, as a string like `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub event: String,
    /// A string for chat events, `{title, text}` for comments, `null` for inbox events.
    #[serde(default)]
    pub content: Value,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub uuid: Option<String>,
    /// The poster's user id as a string; `"0"` for posts made with a `flow_token`.
    pub user: String,
    /// Milliseconds since the Unix epoch.
    pub sent: i64,
    /// `chat` or `influx` (team inbox).
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub attachments: Vec<Value>,
    /// ISO 8601 form of `sent`.
    pub created_at: String,
    /// When the content was last edited, in milliseconds.
    #[serde(default)]
    pub edited: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The integration's own id of the thread, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_thread_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_name: Option<String>,
    /// The thread's current state, on every message that belongs to a thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Thread>,
}

impl Message {
    /// A message about to be posted: `event` by `user` in `flow`, everything else empty. The
    /// store gives it its `id`, `sent` and `created_at`.
    pub fn unsent(flow: String, event: String, user: String) -> Message {
        Message {
            id: 0,
            flow,
            to: None,
            event,
            content: Value::Null,
            tags: Vec::new(),
            uuid: None,
            user,
            sent: 0,
            app: None,
            attachments: Vec::new(),
            created_at: String::new(),
            edited: None,
            thread_id: None,
            external_thread_id: None,
            title: None,
            body: None,
            author: None,
            external_user_name: None,
            thread: None,
        }
    }
}

/// How the flow ids of private conversations start (`private-<lower user id>-<higher>`);
/// a flow id never does (they are 8-4-4-4-12 hex).
pub const PRIVATE_FLOW_PREFIX: &str = "private-";

/// A private message's `flow` (or none at all) is not shown.
fn is_private_flow(flow: &str) -> bool {
    flow.is_empty() || flow.starts_with(PRIVATE_FLOW_PREFIX)
}

/// Who wrote an activity or discussion in the external service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Author {
    pub fn new(name: impl Into<String>) -> Author {
        Author {
            name: name.into(),
            avatar: None,
            email: None,
        }
    }

    pub fn avatar(mut self, url: impl Into<String>) -> Author {
        self.avatar = Some(url.into());
        self
    }
}

/// One external item (ticket, pull request, ...) and its latest state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub external_url: Option<String>,
    #[serde(default)]
    pub status: Option<ThreadStatus>,
    #[serde(default)]
    pub actions: Vec<Value>,
    #[serde(default)]
    pub fields: Vec<ThreadField>,
    /// The source (integration) that started the thread; `null` for chat threads.
    #[serde(default)]
    pub source: Option<ThreadSource>,
    /// Number of `activity` messages.
    pub activities: i64,
    /// Number of chat messages (`message`, `comment`).
    pub internal_comments: i64,
    /// Number of `discussion` messages.
    pub external_comments: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_thread_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadStatus {
    pub color: String,
    pub value: String,
}

/// The colours `thread.status.color` may take.
pub const THREAD_STATUS_COLORS: &[&str] = &[
    "red", "green", "yellow", "cyan", "orange", "grey", "black", "lime", "purple", "blue",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadField {
    pub label: String,
    pub value: String,
}

/// The integration behind a thread and its application's name and icon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadSource {
    pub id: i64,
    #[serde(default)]
    pub name: String,
    /// The application's icon, where flowdock/api-docs docs/threads.md puts it.
    #[serde(default)]
    pub icon: Option<String>,
    /// The application's name, as flowdock/api-docs docs/Threads.md shows it. The object
    /// (`{id, name, icon_url}`) that Tributary sent before is read too.
    #[serde(deserialize_with = "application_name")]
    pub application: String,
    /// The application's id: not in Flowdock's shape, so that a client can tell two
    /// applications of the same name apart (the web UI filters the inbox by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<i64>,
}

/// `"GitHub"`, or the older object form's `name`.
fn application_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Name(String),
        Object { name: String },
    }
    Ok(match Either::deserialize(d)? {
        Either::Name(n) | Either::Object { name: n } => n,
    })
}

/// New state for a thread, as posted with a message. Absent fields keep their stored value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ThreadUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ThreadStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<ThreadField>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Value>>,
}

/// `POST /messages` and friends. Only `event` is always required; which other fields are
/// depends on the event (flowdock/api-docs docs/messages.md).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PostMessage {
    pub event: String,
    /// The flow's id, when the path does not name it and no `flow_token` is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The parent message of a comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_thread_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
}

/// `PUT /flows/:org/:flow/messages/:id`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EditMessage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}
