//! The private conversation pages (issue 17): `/app/~private` lists the signed-in user's
//! conversations, `/app/~private/:user_id` is one, with live messages, and its composer
//! posts through the API's own private posting path. `~` keeps the paths apart from every
//! organization's (parameterized names never hold it).
//!
//! Who may see a conversation is `private::conversation`'s rule, with the session as a
//! principal of every scope, as for a page's event stream.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;
use tributary_types::PrivateConversation;

use super::error::WebError;
use super::flow_page::{parse, CHAT_EVENTS};
use super::views::{chat_line, ChatLine, People};
use super::{html, Nav};
use crate::auth::poster::Poster;
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::input::Params;
use crate::messages::input::MessageInput;
use crate::messages::post_message_with_files;
use crate::private::conversation::{self, resolve, Resolved};
use crate::private::post::addressed;
use crate::state::AppState;
use crate::store::{MessageQuery, PostOutcome, StoredMessage};
use tributary_types::Message;

const CHAT_LINES: i64 = 60;

async fn principal(state: &AppState, signed: &SignedIn) -> Result<Principal, WebError> {
    let found = signed.browser.principal(&state.store).await?;
    Ok(found.ok_or_else(|| ApiError::Unauthorized("Sign in again".into()))?)
}

fn path(other_id: i64) -> String {
    format!("/app/~private/{other_id}")
}

struct ConversationLink {
    id: i64,
    name: String,
    full_name: String,
    open: bool,
}

fn links(list: Vec<PrivateConversation>) -> Vec<ConversationLink> {
    list.into_iter()
        .map(|c| ConversationLink {
            id: c.id,
            full_name: c.users.last().map(|u| u.name.clone()).unwrap_or_default(),
            name: c.name,
            open: c.open,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "private_list.html")]
struct ListPage {
    nav: Nav,
    conversations: Vec<ConversationLink>,
}

/// GET /app/~private
pub async fn list_private(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    let p = principal(&state, &signed).await?;
    html(ListPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        conversations: links(conversation::list(&state, &p).await?),
    })
}

#[derive(Template)]
#[template(path = "private.html")]
struct ConversationPage {
    nav: Nav,
    csrf: String,
    conversations: Vec<ConversationLink>,
    other_id: i64,
    other_name: String,
    other_nick: String,
    path: String,
    chat: Vec<ChatLine>,
    /// The newest message id when the page was rendered: the stream resumes after it.
    cursor: i64,
}

/// A stored message of the conversation, with its storage's flow id back (its JSON leaves
/// it out), so that its files link to this page's download route.
fn message(m: &StoredMessage, r: &Resolved) -> Result<Message, WebError> {
    let mut m = parse(m)?;
    m.flow = r.flow.id.clone();
    Ok(m)
}

/// GET /app/~private/:user_id/files/:id/:name
///
/// A conversation's file for one of its participants: the 302 to the signed URL, as the flow
/// pages' download route answers.
pub async fn download_private_file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((user_id, id, _name)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let p = principal(&state, &signed).await?;
    let r = resolve(&state, &p, &user_id).await?;
    Ok(crate::files::download::member_redirect(&state, r.flow, &id).await?)
}

fn people(state: &AppState, r: &Resolved, signed: &SignedIn) -> People {
    People::new(&state.urls, std::slice::from_ref(&r.other), &signed.user)
}

/// GET /app/~private/:user_id
pub async fn show_private(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(user_id): Path<String>,
) -> Result<Response, WebError> {
    let p = principal(&state, &signed).await?;
    let r = resolve(&state, &p, &user_id).await?;
    let here = path(r.other.id);
    let stored = state
        .store
        .list_messages(MessageQuery {
            flow_id: r.flow.id.clone(),
            events: CHAT_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            limit: CHAT_LINES,
            ..MessageQuery::default()
        })
        .await?;
    let newest = state
        .store
        .list_messages(MessageQuery {
            flow_id: r.flow.id.clone(),
            limit: 1,
            ..MessageQuery::default()
        })
        .await?;
    let people = people(&state, &r, &signed);
    let mut chat = Vec::with_capacity(stored.len());
    for m in &stored {
        chat.push(chat_line(&message(m, &r)?, &people, &here));
    }
    html(ConversationPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        conversations: links(conversation::list(&state, &p).await?),
        other_id: r.other.id,
        other_name: r.other.name.clone(),
        other_nick: r.other.nick.clone(),
        path: here,
        chat,
        cursor: newest.last().map(|m| m.id).unwrap_or(0),
    })
}

#[derive(Template)]
#[template(path = "live.html")]
struct LiveFragments {
    chat: Vec<ChatLine>,
    items: Vec<ChatLine>,
    cards: Vec<super::thread_card::ThreadCard>,
    gone: Vec<i64>,
}

/// GET /app/~private/:user_id/live?messages=1,2
///
/// The chat lines of the messages a batch of stream events touched, as the flow page's
/// fragments (`flow_page::live_fragments`), for the same page script.
pub async fn live_private(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(user_id): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    let p = principal(&state, &signed).await?;
    let r = resolve(&state, &p, &user_id).await?;
    let here = path(r.other.id);
    let people = people(&state, &r, &signed);
    let mut page = LiveFragments {
        chat: Vec::new(),
        items: Vec::new(),
        cards: Vec::new(),
        gone: Vec::new(),
    };
    let wanted = params.get_str("messages").unwrap_or("").split(',');
    for id in wanted
        .filter_map(|s| s.trim().parse::<i64>().ok())
        .take(100)
    {
        match state.store.message_by_id(&r.flow.id, id).await? {
            None => page.gone.push(id),
            Some(m) => {
                let m = message(&m, &r)?;
                if CHAT_EVENTS.contains(&m.event.as_str()) {
                    page.chat.push(chat_line(&m, &people, &here));
                }
            }
        }
    }
    html(page)
}

/// POST /app/~private/:user_id/messages
///
/// The composer: a CSRF-protected form post, answered `{"id"}` to the page script and with a
/// redirect back otherwise.
pub async fn post_private_chat(
    State(state): State<AppState>,
    signed: SignedIn,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let p = principal(&state, &signed).await?;
    let r = resolve(&state, &p, &user_id).await?;
    let params = MessageInput {
        event: Some("message".into()),
        content: params.get_str("content").unwrap_or_default().into(),
        ..MessageInput::default()
    };
    let input = addressed(&state, &r, params).await?;
    let poster = Poster::User(signed.user);
    let outcome = post_message_with_files(&state.store, &poster, &r.flow, input, Vec::new(), None);
    let PostOutcome::Stored(stored) = outcome.await? else {
        return Err(ApiError::internal("replay without a key").into());
    };
    let fetch = headers
        .get("x-requested-with")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("fetch"));
    if fetch {
        return Ok((StatusCode::CREATED, Json(json!({ "id": stored.id }))).into_response());
    }
    let back = format!("{}#message-{}", path(r.other.id), stored.id);
    Ok(Redirect::to(&back).into_response())
}
