//! Changing messages: `PUT` edits content (one's own chat messages) or tags (anyone's), and
//! `DELETE` removes inbox items and one's own files, or truncates one's own chat message. Each change records its
//! `message-edit` or `tag-change` event in the same transaction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use tributary_types::Message;

use super::post::MAX_CONTENT_CHARS;
use super::read::message_id;
use super::{tag_rules, tags};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::flows::joined_by;
use crate::input::Input;
use crate::raw_json;
use crate::state::AppState;
use crate::store::{content_text, now_millis, FlowRecord, MessageChange, NewEvent, StoredMessage};

#[derive(Debug, Default, Deserialize)]
pub struct UpdateParams {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tags: Option<Value>,
}

fn is_chat(m: &Message) -> bool {
    matches!(m.event.as_str(), "message" | "comment") && m.app.as_deref() != Some("influx")
}

fn own(m: &Message, user_id: i64) -> bool {
    m.user == user_id.to_string()
}

/// An event about message `about`, posted by `user_id`.
pub(crate) fn event(kind: &str, flow: &str, user_id: i64, content: Value) -> NewEvent {
    NewEvent {
        message: Message {
            content,
            ..Message::unsent(flow.to_owned(), kind.to_owned(), user_id.to_string())
        },
        user_id: Some(user_id),
    }
}

/// Sets the text of a chat message or comment.
fn set_text(m: &mut Message, text: &str) {
    match &mut m.content {
        Value::Object(o) => {
            o.insert("text".into(), Value::String(text.to_owned()));
        }
        other => *other = Value::String(text.to_owned()),
    }
    m.edited = Some(now_millis());
}

async fn load(state: &AppState, flow_id: &str, id: i64) -> ApiResult<(StoredMessage, Message)> {
    let stored = state
        .store
        .message_by_id(flow_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Message not found".into()))?;
    let parsed = stored
        .parse()
        .map_err(|e| ApiError::internal(format!("stored message {id}: {e}")))?;
    Ok((stored, parsed))
}

/// PUT /flows/:org/:flow/messages/:id
pub async fn update_message(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
    Input(p): Input<UpdateParams>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    let place = Place {
        flow: &flow,
        to: None,
    };
    update_in(&state, principal.user.id, place, &id, p).await
}

/// Where a change happens: a flow, or a private conversation, whose events name `to`, the
/// other participant, as its messages do.
pub struct Place<'a> {
    pub flow: &'a FlowRecord,
    pub to: Option<String>,
}

impl Place<'_> {
    fn event(&self, kind: &str, user_id: i64, content: Value) -> NewEvent {
        let mut e = event(kind, &self.flow.id, user_id, content);
        e.message.to = self.to.clone();
        e
    }
}

/// `PUT` of message `id` in `place` by `me`, who may use it (checked by the caller).
pub async fn update_in(
    state: &AppState,
    me: i64,
    place: Place<'_>,
    id: &str,
    p: UpdateParams,
) -> ApiResult<Response> {
    let flow = place.flow;
    let id = message_id(id)?;
    let (_, mut m) = load(state, &flow.id, id).await?;
    let new_text = match &p.content {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n > MAX_CONTENT_CHARS {
                return Err(ApiError::field(
                    "content",
                    format!("is too long ({n} characters, the limit is {MAX_CONTENT_CHARS})"),
                ));
            }
            Some(s.clone())
        }
        Some(_) => return Err(ApiError::field("content", "must be a string")),
    };
    if new_text.is_none() && p.tags.is_none() {
        return Err(ApiError::field("content", "content or tags is required"));
    }
    if new_text.is_some() && !(is_chat(&m) && own(&m, me)) {
        return Err(ApiError::Forbidden(
            "Only the content of your own chat messages and comments can be edited".into(),
        ));
    }
    let needs_members = new_text.as_deref().is_some_and(|t| t.contains('@'))
        || matches!(&p.tags, Some(v) if v.to_string().contains('@'));
    let members = if needs_members {
        state.store.flow_members(&flow.id).await?
    } else {
        Vec::new()
    };
    let old_tags = m.tags.clone();
    let mut new_tags = match &p.tags {
        Some(v) => {
            let explicit = tags::from_param(v).map_err(|r| ApiError::field("tags", r))?;
            let refused = tag_rules::check(&explicit, &old_tags);
            if !refused.is_empty() {
                let errors = FieldErrors::from([("tags".to_owned(), refused)]);
                return Err(ApiError::Validation(errors));
            }
            let wanted = tags::resolve(&explicit, None, &members, Some(me));
            tag_rules::after_edit(wanted, &old_tags, me)
        }
        None => old_tags.clone(),
    };
    let mut events = Vec::new();
    if let Some(text) = &new_text {
        set_text(&mut m, text);
        for t in tags::resolve(&[], Some(text), &members, Some(me)) {
            if !new_tags.contains(&t) {
                new_tags.push(t);
            }
        }
        events.push(place.event(
            "message-edit",
            me,
            json!({"message": id, "updated_content": text}),
        ));
    }
    let added: Vec<&String> = new_tags.iter().filter(|t| !old_tags.contains(t)).collect();
    let removed: Vec<&String> = old_tags.iter().filter(|t| !new_tags.contains(t)).collect();
    if !added.is_empty() || !removed.is_empty() {
        events.push(place.event(
            "tag-change",
            me,
            json!({"message": id, "add": added, "remove": removed}),
        ));
    }
    m.tags = new_tags;
    let search_text = search_text(&m);
    save_change(state, &flow.id, id, m, search_text, events).await?;
    Ok(raw_json::response(StatusCode::OK, "{}"))
}

/// Stores the changed `message` with the events that announce the change.
async fn save_change(
    state: &AppState,
    flow_id: &str,
    id: i64,
    message: Message,
    search_text: String,
    events: Vec<NewEvent>,
) -> ApiResult<()> {
    let change = MessageChange {
        flow_id: flow_id.to_owned(),
        id,
        message,
        search_text,
        events,
    };
    state.store.change_message(change).await?;
    Ok(())
}

/// What full text search indexes for a message.
pub fn search_text(m: &Message) -> String {
    match m.event.as_str() {
        "activity" | "discussion" => format!(
            "{} {}",
            m.title.as_deref().unwrap_or(""),
            m.body.as_deref().unwrap_or("")
        ),
        _ => content_text(&m.content).to_owned(),
    }
}

/// DELETE /flows/:org/:flow/messages/:id
pub async fn delete_message(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    let place = Place {
        flow: &flow,
        to: None,
    };
    delete_in(&state, principal.user.id, place, &id).await
}

/// `DELETE` of message `id` in `place` by `me`, who may use it (checked by the caller).
pub async fn delete_in(
    state: &AppState,
    me: i64,
    place: Place<'_>,
    id: &str,
) -> ApiResult<Response> {
    let flow = place.flow;
    let id = message_id(id)?;
    let (stored, mut m) = load(state, &flow.id, id).await?;
    // flowdock/api-docs docs/messages.md: inbox items and one's own files are removed outright.
    let own_file = m.event == "file" && own(&m, me);
    // Removed outright is 204; truncated is 200 (the message is still there, emptied).
    let status = if stored.app.as_deref() == Some("influx") || own_file {
        let deletion = place.event("message-delete", me, json!({"message": id}));
        state.store.delete_message(&flow.id, id, deletion).await?;
        crate::files::remove_blobs(state, &m).await;
        StatusCode::NO_CONTENT
    } else if is_chat(&m) && own(&m, me) {
        set_text(&mut m, "");
        let events = vec![place.event(
            "message-edit",
            me,
            json!({"message": id, "updated_content": ""}),
        )];
        save_change(state, &flow.id, id, m, String::new(), events).await?;
        StatusCode::OK
    } else {
        return Err(ApiError::Forbidden(
            "Only team inbox items and your own chat messages can be deleted".into(),
        ));
    };
    Ok(match status {
        StatusCode::OK => raw_json::response(status, "{}"),
        _ => {
            let mut res = Response::new(axum::body::Body::empty());
            *res.status_mut() = status;
            res
        }
    })
}
