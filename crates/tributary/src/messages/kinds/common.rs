//! What every kind of post shares: who posts, the tags and ids it names, the thread it names
//! and the `thread` object, and the rules on attachments. [`Draft::check`] runs these checks
//! once, in the order clients see their errors, before the kind's own parser.

use serde_json::{json, Value};
use tributary_types::{Message, ThreadUpdate};

use super::EventKind;
use crate::auth::poster::Poster;
use crate::error::{err, limited, FieldErrors};
use crate::files::{attach, upload::Upload};
use crate::messages::input::PostInput;
use crate::messages::{tag_rules, tags, thread_input};
use crate::store::{new_thread_id, user_string, FlowRecord, NewThread, ThreadOrigin, ThreadRef};

/// Longest chat content (flowdock/api-docs docs/messages.md).
pub const MAX_CONTENT_CHARS: usize = 8096;
const MAX_ID_CHARS: usize = 255;

/// A post on its way through the parsers: whose it is and where it goes, and what the shared
/// checks and then the kind's parser made of it.
pub struct Draft<'a> {
    pub kind: EventKind,
    pub poster: &'a Poster,
    pub flow: &'a FlowRecord,
    pub input: &'a PostInput,
    pub files: &'a [Upload],
    /// The message to store; its tags so far are the kind's own (`:file`, `influx:<id>`).
    pub message: Message,
    /// The tags the poster sent in `tags`, checked but not yet resolved.
    pub explicit_tags: Vec<String>,
    /// The thread `thread_id`, `external_thread_id` or the path names; a kind takes it.
    pub named_thread: Option<ThreadRef>,
    /// The `thread` object: the thread's new state.
    pub update: Option<ThreadUpdate>,
    pub thread: ThreadRef,
    /// The parent of a comment.
    pub parent_id: Option<i64>,
    pub search_text: String,
    /// The text whose `#tags` and `@mentions` become tags.
    pub tagged_text: Option<String>,
}

impl<'a> Draft<'a> {
    /// Runs the checks every kind shares, collecting their errors.
    pub fn check(
        kind: EventKind,
        poster: &'a Poster,
        flow: &'a FlowRecord,
        input: &'a PostInput,
        files: &'a [Upload],
        errors: &mut FieldErrors,
    ) -> Draft<'a> {
        let params = &input.params;
        let explicit_tags = tags::from_param(&params.tags).unwrap_or_else(|reason| {
            err(errors, "tags", reason);
            Vec::new()
        });
        for reason in tag_rules::check(&explicit_tags, &[]) {
            err(errors, "tags", reason);
        }
        let uuid = short(errors, "uuid", params.uuid.as_deref());
        let thread_id = short(errors, "thread_id", input.thread_id());
        let external_thread_id = short(
            errors,
            "external_thread_id",
            params.external_thread_id.as_deref(),
        );
        let external_user_name = short(
            errors,
            "external_user_name",
            params.external_user_name.as_deref(),
        );
        if !matches!(&params.attachments, Value::Null) && params.attachments != json!([]) {
            err(
                errors,
                "attachments",
                "are uploaded as multipart `attachments[<id>]` parts",
            );
        }
        attach::check(kind.as_str(), files, errors);
        let is_source = matches!(poster, Poster::Source { .. });
        if external_thread_id.is_some() && !is_source {
            err(
                errors,
                "external_thread_id",
                "can only be used with a flow_token",
            );
        }
        let update = thread_input::parse(&params.thread, errors);
        if kind.is_chat() && is_source && external_user_name.is_none() {
            err(
                errors,
                "external_user_name",
                "is required when posting chat with a flow_token",
            );
        }
        let mut draft = Draft {
            kind,
            poster,
            flow,
            input,
            files,
            message: message(kind, poster, flow, uuid, external_user_name),
            explicit_tags,
            named_thread: None,
            update,
            thread: ThreadRef::None,
            parent_id: None,
            search_text: String::new(),
            tagged_text: None,
        };
        draft.named_thread = match (thread_id, external_thread_id) {
            (Some(id), _) => Some(ThreadRef::Existing(id)),
            (None, Some(ext)) => Some(ThreadRef::External(draft.new_thread(Some(ext)))),
            (None, None) => None,
        };
        draft
    }

    pub fn is_source(&self) -> bool {
        matches!(self.poster, Poster::Source { .. })
    }

    /// A thread for the post to start, or to find by `external` id.
    pub fn new_thread(&self, external: Option<String>) -> NewThread {
        let (source_id, app_id) = match self.poster {
            Poster::Source { source, app, .. } => (Some(source.id), Some(app.id)),
            Poster::User(_) => (None, None),
        };
        NewThread {
            id: new_thread_id(),
            origin: if in_inbox(self.kind, self.poster) {
                ThreadOrigin::Inbox
            } else {
                ThreadOrigin::Chat
            },
            source_id,
            app_id,
            external_thread_id: external,
            source: self.poster.thread_source(),
        }
    }

    /// The thread the post names, else one of its own: chat starts a thread per message.
    pub fn named_or_new_thread(&mut self) -> ThreadRef {
        match self.named_thread.take() {
            Some(t) => t,
            None => ThreadRef::Start(self.new_thread(None)),
        }
    }

    /// The uploaded files as the message's attachments.
    pub fn attachments(&self) -> Vec<Value> {
        self.files
            .iter()
            .map(|f| attach::attachment(&self.flow.id, f))
            .collect()
    }
}

/// Integrations post to the team inbox, and so does anyone posting an inbox kind; a user's
/// chat is chat.
fn in_inbox(kind: EventKind, poster: &Poster) -> bool {
    matches!(poster, Poster::Source { .. }) || !kind.is_chat()
}

/// The message as far as every kind fills it in; the kind's parser does the rest.
fn message(
    kind: EventKind,
    poster: &Poster,
    flow: &FlowRecord,
    uuid: Option<String>,
    external_user_name: Option<String>,
) -> Message {
    let app = if in_inbox(kind, poster) {
        "influx"
    } else {
        "chat"
    };
    Message {
        uuid,
        app: Some(app.to_owned()),
        external_user_name,
        ..Message::unsent(
            flow.id.clone(),
            kind.as_str().to_owned(),
            user_string(poster.user_id()),
        )
    }
}

/// An id-like parameter: trimmed, absent when blank, at most 255 characters.
fn short(errors: &mut FieldErrors, field: &str, v: Option<&str>) -> Option<String> {
    let v = v.map(str::trim).filter(|s| !s.is_empty())?;
    limited(errors, field, v, MAX_ID_CHARS).then(|| v.to_owned())
}

/// The text `content` of chat, a status or a comment.
pub(super) fn text_content(errors: &mut FieldErrors, v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => {
            limited(errors, "content", s, MAX_CONTENT_CHARS).then(|| s.clone())
        }
        Value::Null => {
            err(errors, "content", "is required");
            None
        }
        Value::String(_) => {
            err(errors, "content", "can't be blank");
            None
        }
        _ => {
            err(errors, "content", "must be a string");
            None
        }
    }
}
