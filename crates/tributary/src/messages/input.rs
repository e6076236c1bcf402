//! The parameters of a post, as clients send them (JSON or form), and where the endpoint's
//! path aims it: a [`PostInput`], built once and validated by the kind parsers (`kinds`).

use serde::Deserialize;
use serde_json::Value;

use crate::input::lenient;

/// What `POST /messages` and its siblings accept. Everything is optional here; the kind
/// parsers (`kinds`) decide per event what is required.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MessageInput {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub flow: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub event: Option<String>,
    #[serde(default)]
    pub content: Value,
    /// The parent of a comment.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub message: Option<i64>,
    /// An array, or a string of comma-separated tags.
    #[serde(default)]
    pub tags: Value,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub uuid: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_user_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub thread_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub external_thread_id: Option<String>,
    #[serde(default)]
    pub thread: Value,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub body: Option<String>,
    #[serde(default)]
    pub author: Value,
    #[serde(default)]
    pub attachments: Value,
    /// An inbox item that names no thread starts its own (the legacy team inbox push).
    #[serde(skip)]
    pub new_thread: bool,
    /// Tags the server adds itself (the legacy push's `:source:` and `:project:`): posters
    /// may not send reserved tags in `tags`.
    #[serde(skip)]
    pub server_tags: Vec<String>,
}

/// Where the path of a posting endpoint aims a post. It travels with the parameters rather
/// than being written into them, so the kind parsers see both and check them in one place.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `/flows/:org/:flow/...`: the flow by its organization's and its own name.
    pub flow: Option<(String, String)>,
    /// `.../threads/:id/messages`: wins over a `thread_id` in the body.
    pub thread_id: Option<String>,
    /// `.../messages/:id/comments`: wins over a `message` in the body.
    pub parent: Option<i64>,
    /// The comment endpoints: `event` defaults to, and must be, `comment`.
    pub comment: bool,
    /// `POST /private/:user_id/messages`: the recipient. A private message names no thread
    /// and carries `to` (flowdock/api-docs docs/private-messages.md).
    pub private_to: Option<i64>,
}

/// A post as an endpoint received it: the client's parameters and the path's [`Target`].
/// Server code that posts (the legacy push, the pages, a new source's inbox item) has no
/// target: `From<MessageInput>` gives it the empty one.
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub params: MessageInput,
    pub target: Target,
}

impl PostInput {
    /// The thread the post names: the path's, else the body's `thread_id`.
    pub fn thread_id(&self) -> Option<&str> {
        self.target
            .thread_id
            .as_deref()
            .or(self.params.thread_id.as_deref())
    }

    /// The parent a comment answers: the path's, else the body's `message`.
    pub fn parent(&self) -> Option<i64> {
        self.target.parent.or(self.params.message)
    }
}

impl From<MessageInput> for PostInput {
    fn from(params: MessageInput) -> PostInput {
        PostInput {
            params,
            target: Target::default(),
        }
    }
}

/// Form bodies nest one level (`thread[title]`); deeper keys arrive as `status][color`.
/// This rebuilds the nesting so forms and JSON validate alike.
pub fn unflatten(v: &Value) -> Value {
    let Value::Object(map) = v else {
        return v.clone();
    };
    let mut out = serde_json::Map::new();
    for (k, val) in map {
        match k.split_once("][") {
            Some((outer, inner)) => {
                let slot = out
                    .entry(outer.to_owned())
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(o) = slot {
                    o.insert(inner.trim_end_matches(']').to_owned(), val.clone());
                }
            }
            None => {
                out.insert(k.clone(), val.clone());
            }
        }
    }
    Value::Object(out)
}

impl MessageInput {
    /// A team inbox item in a thread of its own, as server code posts on a source's behalf
    /// (for example the "new integration" item when a source is added).
    pub fn inbox_item(title: &str, body: Option<&str>, author: &str) -> MessageInput {
        MessageInput {
            event: Some(super::kinds::EventKind::Activity.as_str().into()),
            title: Some(title.to_owned()),
            body: body.map(str::to_owned),
            author: serde_json::json!({ "name": author }),
            thread: serde_json::json!({ "title": title, "body": body }),
            new_thread: true,
            ..MessageInput::default()
        }
    }
}
