//! The thread view: the thread's current state at the top, every message of the thread in
//! order (activities, discussions, chat replies and comments), and a reply composer that
//! posts into the thread.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::error::WebError;
use super::flow_page::{newest_id, parse, parse_thread, people};
use super::frame::{frame, FlowFrame};
use super::html;
use super::thread_card::{thread_card, ThreadCard};
use super::views::{chat_line, ChatLine};
use crate::auth::session::SignedIn;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::MessageQuery;

/// The most messages one thread page shows: the newest ones.
const MAX_ITEMS: i64 = 100;

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    nav: super::Nav,
    frame: FlowFrame,
    card: ThreadCard,
    is_inbox: bool,
    items: Vec<ChatLine>,
    /// True when older messages were left out.
    truncated: bool,
    reply_path: String,
    cursor: i64,
}

/// GET /app/:org/:flow/threads/:id
pub async fn show_thread(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let frame = frame(&state, &signed, &org, &flow).await?;
    let flow = frame.flow.clone();
    let stored = state
        .store
        .thread_by_id(&flow.id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Thread not found".into()))?;
    let thread = parse_thread(&stored.json)?;
    let cursor = newest_id(&state, &flow).await?;
    let people = people(&state, &flow, &signed).await?;
    let messages = state
        .store
        .list_messages(MessageQuery {
            flow_id: flow.id.clone(),
            thread_id: Some(thread.id.clone()),
            limit: MAX_ITEMS,
            ..MessageQuery::default()
        })
        .await?;
    let mut items = Vec::with_capacity(messages.len());
    for m in &messages {
        items.push(chat_line(&parse(m)?, &people, &frame.path));
    }
    let card = thread_card(&thread, &frame.path);
    html(ThreadPage {
        nav: frame.nav.clone(),
        reply_path: format!("{}/messages", card.link),
        is_inbox: thread.source.is_some(),
        truncated: messages.len() as i64 == MAX_ITEMS,
        frame,
        card,
        items,
        cursor,
    })
}
