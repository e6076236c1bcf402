//! Writing from the pages: the chat composer, the thread reply composer, and marking
//! mentions read. Each is a plain form post with a CSRF token that redirects back; the page
//! script sends the same form with `X-Requested-With: fetch` and gets `{"id": n}` instead, so
//! the page stays put and shows the message at once.
//!
//! Posts go through `messages::post_message`, the path the REST API uses, so tags, mentions,
//! threads and the stream all behave the same whichever way a message was written.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;

use super::error::WebError;
use super::frame::joined;
use super::shell::flow_path;
use super::views::thread_path;
use crate::auth::poster::Poster;
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::error::ApiError;
use crate::input::Params;
use crate::messages::{post_message, MessageInput};
use crate::state::AppState;
use crate::store::{MessageChange, MessageQuery};

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("fetch"))
}

fn chat_input(params: &Params, thread_id: Option<String>) -> MessageInput {
    MessageInput {
        event: Some("message".into()),
        content: serde_json::Value::String(
            params.get_str("content").unwrap_or_default().to_owned(),
        ),
        thread_id,
        uuid: params
            .get_str("uuid")
            .filter(|u| !u.is_empty())
            .map(str::to_owned),
        ..MessageInput::default()
    }
}

async fn post(
    state: &AppState,
    signed: SignedIn,
    headers: &HeaderMap,
    org: &str,
    flow: &str,
    thread_id: Option<String>,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let flow = joined(state, &signed, org, flow).await?;
    let back = match &thread_id {
        Some(t) => thread_path(&flow_path(&flow), t),
        None => flow_path(&flow),
    };
    let input = chat_input(&params, thread_id);
    let stored = post_message(&state.store, &Poster::User(signed.user), &flow, input).await?;
    if wants_json(headers) {
        return Ok((StatusCode::CREATED, Json(json!({ "id": stored.id }))).into_response());
    }
    Ok(Redirect::to(&format!("{back}#message-{}", stored.id)).into_response())
}

/// POST /app/:org/:flow/messages
pub async fn post_chat(
    State(state): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
    Path((org, flow)): Path<(String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    post(&state, signed, &headers, &org, &flow, None, params).await
}

/// POST /app/:org/:flow/threads/:id/messages
pub async fn post_reply(
    State(state): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
    Path((org, flow, thread)): Path<(String, String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    post(&state, signed, &headers, &org, &flow, Some(thread), params).await
}

/// POST /app/:org/:flow/mentions/read
///
/// Drops the reader's `:unread:<id>` tag from every message that still carries it, recording
/// a `tag-change` event for each, exactly as a Flowdock client does with `PUT`.
pub async fn mark_mentions_read(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow)): Path<(String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let flow = joined(&state, &signed, &org, &flow).await?;
    let me = signed.user.id;
    let tag = format!(":unread:{me}");
    let unread = state
        .store
        .list_messages(MessageQuery {
            flow_id: flow.id.clone(),
            tags: vec![tag.clone()],
            limit: 100,
            ascending: true,
            ..MessageQuery::default()
        })
        .await?;
    for stored in unread {
        let mut m = stored
            .parse()
            .map_err(|e| ApiError::internal(format!("stored message {}: {e}", stored.id)))?;
        m.tags.retain(|t| *t != tag);
        m.thread = None;
        let event = crate::messages::edit::event(
            "tag-change",
            &flow.id,
            me,
            json!({"message": m.id, "add": [], "remove": [tag]}),
        );
        let search_text = crate::messages::edit::search_text(&m);
        state
            .store
            .change_message(MessageChange {
                flow_id: flow.id.clone(),
                id: m.id,
                message: m,
                search_text,
                events: vec![event],
            })
            .await?;
    }
    Ok(Redirect::to(&flow_path(&flow)).into_response())
}
