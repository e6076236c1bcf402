//! The flow page: the chat beside the team inbox (one card per thread, filterable by
//! application or source), and the fragments the page script fetches to update both in place
//! when the stream reports a change.
//!
//! Live updates re-render on the server (`GET .../live`) rather than in the browser: one
//! renderer, one escaping policy, and integration HTML is only ever inserted after the server
//! cleaned it.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::error::WebError;
use super::frame::{frame, joined, sources_with_apps, FlowFrame};
use super::html;
use super::shell::{flow_path, unread_mentions};
use super::thread_card::{thread_card, ThreadCard};
use super::views::{chat_line, ChatLine, People};
use crate::auth::session::SignedIn;
use crate::error::ApiError;
use crate::input::Params;
use crate::state::AppState;
use crate::store::{AppFilter, FlowRecord, MessageQuery, StoredMessage, ThreadQuery};
use tributary_types::{Message, Thread};

/// The chat pane shows this many recent lines; the inbox this many threads.
const CHAT_LINES: i64 = 60;
const INBOX_THREADS: i64 = 50;
/// What the chat pane shows; inbox items live in the inbox pane.
pub const CHAT_EVENTS: [&str; 4] = ["message", "comment", "status", "file"];

/// The inbox filter: everything, one application's threads, or one source's.
#[derive(Debug, Clone, PartialEq)]
pub enum InboxFilter {
    All,
    App(i64),
    Source(i64),
}

impl InboxFilter {
    pub fn parse(raw: Option<&str>) -> InboxFilter {
        let raw = raw.unwrap_or("");
        let num = |s: &str| s.parse::<i64>().ok();
        if let Some(id) = raw.strip_prefix("app:").and_then(num) {
            InboxFilter::App(id)
        } else if let Some(id) = raw.strip_prefix("source:").and_then(num) {
            InboxFilter::Source(id)
        } else {
            InboxFilter::All
        }
    }

    pub fn value(&self) -> String {
        match self {
            InboxFilter::All => String::new(),
            InboxFilter::App(id) => format!("app:{id}"),
            InboxFilter::Source(id) => format!("source:{id}"),
        }
    }

    pub fn admits(&self, t: &Thread) -> bool {
        let source = t.source.as_ref();
        match self {
            InboxFilter::All => source.is_some(),
            InboxFilter::App(id) => source.is_some_and(|s| s.application_id == Some(*id)),
            InboxFilter::Source(id) => source.is_some_and(|s| s.id == *id),
        }
    }
}

pub struct FilterOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "flow.html")]
struct FlowPage {
    nav: super::Nav,
    frame: FlowFrame,
    chat: Vec<ChatLine>,
    cards: Vec<ThreadCard>,
    filter: String,
    filters: Vec<FilterOption>,
    unread: i64,
    /// The newest message id when the page was rendered: the stream resumes after it.
    cursor: i64,
}

/// The flow's members and the reader, for rendering chat.
pub async fn people(
    state: &AppState,
    flow: &FlowRecord,
    signed: &SignedIn,
) -> Result<People, WebError> {
    let members = state.store.flow_members(&flow.id).await?;
    Ok(People::new(&state.urls, &members, &signed.user))
}

pub fn parse(m: &StoredMessage) -> Result<Message, WebError> {
    m.parse()
        .map_err(|e| ApiError::internal(format!("stored message {}: {e}", m.id)).into())
}

pub fn parse_thread(json: &str) -> Result<Thread, WebError> {
    serde_json::from_str(json).map_err(|e| ApiError::internal(format!("stored thread: {e}")).into())
}

/// The newest message id of the flow (0 when it has none).
pub async fn newest_id(state: &AppState, flow: &FlowRecord) -> Result<i64, WebError> {
    let last = state
        .store
        .list_messages(MessageQuery {
            flow_id: flow.id.clone(),
            limit: 1,
            ..MessageQuery::default()
        })
        .await?;
    Ok(last.last().map(|m| m.id).unwrap_or(0))
}

async fn inbox(
    state: &AppState,
    flow: &FlowRecord,
    filter: &InboxFilter,
) -> Result<Vec<ThreadCard>, WebError> {
    let application = match filter {
        InboxFilter::App(id) => AppFilter::App(*id),
        _ => AppFilter::Inbox,
    };
    let threads = state
        .store
        .list_threads(ThreadQuery {
            flow_id: flow.id.clone(),
            since: None,
            until: None,
            until_id: None,
            application: Some(application),
            include_empty: false,
            limit: INBOX_THREADS,
        })
        .await?;
    let path = flow_path(flow);
    let mut cards = Vec::with_capacity(threads.len());
    for t in threads {
        let t = parse_thread(&t.json)?;
        if filter.admits(&t) {
            cards.push(thread_card(&t, &path));
        }
    }
    Ok(cards)
}

/// GET /app/:org/:flow
pub async fn show_flow(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow)): Path<(String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    let frame = frame(&state, &signed, &org, &flow).await?;
    let flow = frame.flow.clone();
    let filter = InboxFilter::parse(params.get_str("filter"));
    let cursor = newest_id(&state, &flow).await?;
    let people = people(&state, &flow, &signed).await?;
    let stored = state
        .store
        .list_messages(MessageQuery {
            flow_id: flow.id.clone(),
            events: CHAT_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            limit: CHAT_LINES,
            ..MessageQuery::default()
        })
        .await?;
    let mut chat = Vec::with_capacity(stored.len());
    for m in &stored {
        chat.push(chat_line(&parse(m)?, &people, &frame.path));
    }
    let mut filters = vec![FilterOption {
        value: String::new(),
        label: "All integrations".into(),
        selected: filter == InboxFilter::All,
    }];
    let mut apps_seen = Vec::new();
    for (s, app) in sources_with_apps(&state, &flow).await? {
        if !apps_seen.contains(&app.id) {
            apps_seen.push(app.id);
            let f = InboxFilter::App(app.id);
            filters.push(FilterOption {
                selected: f == filter,
                value: f.value(),
                label: format!("{} (every source)", app.name),
            });
        }
        let f = InboxFilter::Source(s.id);
        filters.push(FilterOption {
            selected: f == filter,
            value: f.value(),
            label: format!("{}: {}", app.name, s.name),
        });
    }
    html(FlowPage {
        nav: frame.nav.clone(),
        cards: inbox(&state, &flow, &filter).await?,
        unread: unread_mentions(&state.store, &flow.id, signed.user.id).await?,
        frame,
        chat,
        filter: filter.value(),
        filters,
        cursor,
    })
}

#[derive(Template)]
#[template(path = "live.html")]
struct LiveFragments {
    chat: Vec<ChatLine>,
    items: Vec<ChatLine>,
    cards: Vec<ThreadCard>,
    /// Requested messages that no longer exist (deleted inbox items).
    gone: Vec<i64>,
}

fn ids<T: std::str::FromStr>(raw: Option<&str>, max: usize) -> Vec<T> {
    raw.unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .take(max)
        .collect()
}

/// GET /app/:org/:flow/live?messages=1,2&threads=a,b&view=flow|thread&thread=&filter=
///
/// The page script asks for what a batch of stream events touched and merges the answer
/// into the page: chat lines (or, with `view=thread`, the items of `thread`) by message id,
/// inbox cards by thread id (only those the page's filter admits), and the ids that are
/// gone.
pub async fn live_fragments(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow)): Path<(String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    let flow = joined(&state, &signed, &org, &flow).await?;
    let path = flow_path(&flow);
    let people = people(&state, &flow, &signed).await?;
    let thread_view = params.get_str("view") == Some("thread");
    let filter = InboxFilter::parse(params.get_str("filter"));
    let mut page = LiveFragments {
        chat: Vec::new(),
        items: Vec::new(),
        cards: Vec::new(),
        gone: Vec::new(),
    };
    let thread = params.get_str("thread").filter(|t| !t.is_empty());
    let mut messages = Vec::new();
    for id in ids::<i64>(params.get_str("messages"), 100) {
        match state.store.message_by_id(&flow.id, id).await? {
            None => page.gone.push(id),
            Some(m) => messages.push(m),
        }
    }
    let threads: Vec<String> = ids(params.get_str("threads"), 100);
    for m in messages {
        let m = parse(&m)?;
        let line = chat_line(&m, &people, &path);
        if thread_view {
            if thread.is_none() || m.thread_id.as_deref() == thread {
                page.items.push(line);
            }
        } else if CHAT_EVENTS.contains(&m.event.as_str()) {
            page.chat.push(line);
        }
    }
    for id in threads {
        if let Some(t) = state.store.thread_by_id(&flow.id, &id).await? {
            let t = parse_thread(&t.json)?;
            let wanted = match thread {
                Some(only) if thread_view => t.id == only,
                _ => filter.admits(&t),
            };
            if wanted {
                page.cards.push(thread_card(&t, &path));
            }
        }
    }
    html(page)
}

#[cfg(test)]
mod tests {
    use super::InboxFilter;

    #[test]
    fn inbox_filters_round_trip_and_ignore_junk() {
        for f in [
            InboxFilter::All,
            InboxFilter::App(3),
            InboxFilter::Source(7),
        ] {
            assert_eq!(InboxFilter::parse(Some(&f.value())), f);
        }
        assert_eq!(InboxFilter::parse(Some("app:x")), InboxFilter::All);
        assert_eq!(InboxFilter::parse(None), InboxFilter::All);
    }
}
