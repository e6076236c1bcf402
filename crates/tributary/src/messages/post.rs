//! Posting: who posts (a user or a source), validating a post by its event, and the one store
//! call that makes it durable.
//!
//! [`post_message`] is the reusable entry point: handlers, the legacy push API and any server
//! code that posts on a source's behalf (the "new integration" inbox item) go through it.

use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use tributary_types::{Author, Message};

use super::input::MessageInput;
use super::post_files::post_message_with_files;
use super::thread_input::{self, err, limited, MAX_BODY_CHARS, MAX_TITLE_CHARS};
use super::{sanitize, tag_rules, tags};
pub use crate::auth::poster::Poster;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::files::{attach, upload::Upload};
use crate::store::*;

/// Longest chat content (docs/messages.md).
pub const MAX_CONTENT_CHARS: usize = 8096;
const MAX_NAME_CHARS: usize = 255;
const MAX_ID_CHARS: usize = 255;

/// The events a client may post.
pub const POSTABLE_EVENTS: &[&str] = &[
    "message",
    "status",
    "comment",
    "file",
    "activity",
    "discussion",
];

/// Posts `input` to `flow` as `poster` and returns the stored message once it is durable.
/// The caller has checked that the poster may post to the flow.
pub async fn post_message(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    input: MessageInput,
) -> ApiResult<StoredMessage> {
    match post_message_with(store, poster, flow, input, None).await? {
        PostOutcome::Stored(m) => Ok(m),
        PostOutcome::Replay(_) => Err(ApiError::Internal("replay without a key".into())),
    }
}

/// [`post_message`], recording an idempotency key in the same transaction.
pub async fn post_message_with(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    input: MessageInput,
    claim: Option<IdempotencyClaim>,
) -> ApiResult<PostOutcome> {
    post_message_with_files(store, poster, flow, input, Vec::new(), claim).await
}

/// A random thread id in Flowdock's form (27 URL-safe characters).
pub fn new_thread_id() -> String {
    let mut buf = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

fn text_content(errors: &mut FieldErrors, v: &Value) -> Option<String> {
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

fn short(errors: &mut FieldErrors, field: &str, v: Option<String>) -> Option<String> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())?;
    limited(errors, field, &v, MAX_ID_CHARS).then_some(v)
}

fn author(errors: &mut FieldErrors, v: &Value) -> Option<Author> {
    let v = super::input::unflatten(&json!({ "author": v }))["author"].clone();
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if name.is_empty() {
        err(errors, "author.name", "is required");
        return None;
    }
    limited(errors, "author.name", name, MAX_NAME_CHARS);
    let avatar = v
        .get("avatar")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .and_then(|a| crate::urls::check_web(errors, "author.avatar", a));
    let email = v
        .get("email")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    if let Some(e) = email {
        limited(errors, "author.email", e, MAX_NAME_CHARS);
    }
    Some(Author {
        name: name.to_owned(),
        avatar,
        email: email.map(str::to_owned),
    })
}

/// The title a comment shows for its parent: the inbox item's title, else its thread's,
/// else the chat text it answers.
fn parent_title(parent: &Message) -> String {
    parent
        .title
        .clone()
        .or_else(|| parent.thread.as_ref().and_then(|t| t.title.clone()))
        .unwrap_or_else(|| content_text(&parent.content).to_owned())
}

/// Validates and sanitises a post into the store's [`NewPost`].
pub(super) async fn prepare(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    input: MessageInput,
    files: &[Upload],
) -> ApiResult<NewPost> {
    crate::flows::require_active(flow)?;
    let mut errors = FieldErrors::new();
    let event = input
        .event
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if event.is_empty() {
        return Err(ApiError::field("event", "is required"));
    }
    if !POSTABLE_EVENTS.contains(&event.as_str()) {
        return Err(ApiError::field(
            "event",
            format!("must be one of {}", POSTABLE_EVENTS.join(", ")),
        ));
    }
    let is_source = matches!(poster, Poster::Source { .. });
    let explicit_tags = tags::from_param(&input.tags).unwrap_or_else(|reason| {
        err(&mut errors, "tags", reason);
        Vec::new()
    });
    for reason in tag_rules::check(&explicit_tags, &[]) {
        err(&mut errors, "tags", reason);
    }
    let uuid = short(&mut errors, "uuid", input.uuid.clone());
    let thread_id = short(&mut errors, "thread_id", input.thread_id.clone());
    let external_thread_id = short(
        &mut errors,
        "external_thread_id",
        input.external_thread_id.clone(),
    );
    let external_user_name = short(
        &mut errors,
        "external_user_name",
        input.external_user_name.clone(),
    );
    if !matches!(&input.attachments, Value::Null) && input.attachments != json!([]) {
        err(
            &mut errors,
            "attachments",
            "are uploaded as multipart `attachments[<id>]` parts",
        );
    }
    attach::check(&event, files, &mut errors);
    if external_thread_id.is_some() && !is_source {
        err(
            &mut errors,
            "external_thread_id",
            "can only be used with a flow_token",
        );
    }
    let update = thread_input::parse(&input.thread, &mut errors);
    let chat = matches!(event.as_str(), "message" | "status" | "comment" | "file");
    if chat && is_source && external_user_name.is_none() {
        err(
            &mut errors,
            "external_user_name",
            "is required when posting chat with a flow_token",
        );
    }
    if event == "status" && is_source {
        err(&mut errors, "event", "status updates need a user");
    }

    let mut message = Message {
        id: 0,
        flow: flow.id.clone(),
        event: event.clone(),
        content: Value::Null,
        tags: Vec::new(),
        uuid,
        user: user_string(poster.user_id()),
        sent: 0,
        app: Some(if is_source || !chat { "influx" } else { "chat" }.to_owned()),
        attachments: Vec::new(),
        created_at: String::new(),
        edited: None,
        thread_id: None,
        external_thread_id: None,
        title: None,
        body: None,
        author: None,
        external_user_name,
        thread: None,
    };
    let new_thread = |external: Option<String>| NewThread {
        id: new_thread_id(),
        origin: if is_source || !chat { "inbox" } else { "chat" },
        source_id: match poster {
            Poster::Source { source, .. } => Some(source.id),
            Poster::User(_) => None,
        },
        app_id: match poster {
            Poster::Source { app, .. } => Some(app.id),
            Poster::User(_) => None,
        },
        external_thread_id: external,
        source: poster.thread_source(),
    };
    let named_thread = match (&thread_id, &external_thread_id) {
        (Some(id), _) => Some(ThreadRef::Existing(id.clone())),
        (None, Some(ext)) => Some(ThreadRef::External(new_thread(Some(ext.clone())))),
        (None, None) => None,
    };
    let mut parent_id = None;
    let mut text_for_tags = None;
    let (thread, search_text) = match event.as_str() {
        "message" => {
            let content = text_content(&mut errors, &input.content);
            message.content = content.clone().map(Value::String).unwrap_or(Value::Null);
            text_for_tags = content.clone();
            let thread = named_thread.unwrap_or_else(|| ThreadRef::Start(new_thread(None)));
            (thread, content.unwrap_or_default())
        }
        "file" => {
            // The attachment is the content too (docs/message-types.md), tagged `:file`.
            message.attachments = files
                .iter()
                .map(|f| attach::attachment(&flow.id, f))
                .collect();
            message.content = message.attachments.first().cloned().unwrap_or(Value::Null);
            message.tags.push(":file".to_owned());
            let thread = named_thread.unwrap_or_else(|| ThreadRef::Start(new_thread(None)));
            let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
            (thread, names.join(" "))
        }
        "status" => {
            let content = text_content(&mut errors, &input.content);
            message.content = content.clone().map(Value::String).unwrap_or(Value::Null);
            text_for_tags = content.clone();
            (ThreadRef::None, content.unwrap_or_default())
        }
        "comment" => {
            let text = text_content(&mut errors, &input.content);
            let Some(parent_id_value) = input.message else {
                err(&mut errors, "message", "is required");
                return Err(ApiError::Validation(errors));
            };
            let parent = store
                .message_by_id(&flow.id, parent_id_value)
                .await?
                .ok_or_else(|| ApiError::NotFound("Parent message not found".into()))?;
            if parent.event == "comment" {
                err(
                    &mut errors,
                    "message",
                    "can't be a comment; comment on its parent",
                );
            }
            let parsed = parent
                .parse()
                .map_err(|e| ApiError::Internal(format!("stored message {}: {e}", parent.id)))?;
            message.content =
                json!({"title": parent_title(&parsed), "text": text.clone().unwrap_or_default()});
            message.tags.push(format!("influx:{}", parent.id));
            parent_id = Some(parent.id);
            text_for_tags = text.clone();
            let thread = match parent.thread_id {
                Some(t) => ThreadRef::Existing(t),
                None => ThreadRef::None,
            };
            (thread, text.unwrap_or_default())
        }
        _ => {
            // activity and discussion: inbox items about an external thread.
            let title = match input.title.as_deref().map(str::trim) {
                Some(t) if !t.is_empty() => {
                    limited(&mut errors, "title", t, MAX_TITLE_CHARS).then(|| sanitize::inline(t))
                }
                _ => {
                    err(&mut errors, "title", "is required");
                    None
                }
            };
            let body = input.body.as_deref().and_then(|b| {
                limited(&mut errors, "body", b, MAX_BODY_CHARS).then(|| sanitize::body(b))
            });
            message.author = author(&mut errors, &input.author);
            let thread = match named_thread {
                Some(t @ ThreadRef::Existing(_)) => t,
                Some(t) => {
                    match &update {
                        // Presence counts, not what is left after sanitising.
                        Some(u) if u.title.is_some() => {}
                        _ => err(&mut errors, "thread.title", "is required"),
                    }
                    t
                }
                None if input.new_thread => ThreadRef::Start(new_thread(None)),
                None => {
                    err(
                        &mut errors,
                        "thread_id",
                        "thread_id or external_thread_id is required",
                    );
                    ThreadRef::None
                }
            };
            let search = format!(
                "{} {} {}",
                title.as_deref().unwrap_or(""),
                body.as_deref().unwrap_or(""),
                update
                    .as_ref()
                    .and_then(|u| u.title.as_deref())
                    .unwrap_or("")
            );
            message.title = title;
            message.body = body;
            if !files.is_empty() {
                message.attachments = files
                    .iter()
                    .map(|f| attach::attachment(&flow.id, f))
                    .collect();
                message.tags.push(":file".to_owned());
            }
            (thread, search)
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let wants_members = explicit_tags
        .iter()
        .any(|t| t.trim_start().starts_with('@'))
        || text_for_tags.as_deref().is_some_and(|t| t.contains('@'));
    let members = if wants_members {
        store.flow_members(&flow.id).await?
    } else {
        Vec::new()
    };
    let mut all_tags = message.tags.clone();
    all_tags.extend(tags::resolve(
        &explicit_tags,
        text_for_tags.as_deref(),
        &members,
        poster.user_id(),
    ));
    all_tags.extend(input.server_tags.iter().map(|t| tags::normalise(t)));
    let mut seen = std::collections::HashSet::new();
    all_tags.retain(|t| seen.insert(t.clone()));
    message.tags = all_tags;
    Ok(NewPost {
        message,
        user_id: poster.user_id(),
        source_id: match poster {
            Poster::Source { source, .. } => Some(source.id),
            Poster::User(_) => None,
        },
        parent_id,
        thread,
        update,
        search_text,
        claim: None,
    })
}
