//! Reading messages: `GET .../messages` with Flowdock's filters, a thread's messages, and one
//! message. Bodies are the stored JSON joined as they are, never re-serialised.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::tags;
use crate::auth::Principal;
use crate::error::{err, ApiError, ApiResult, FieldErrors};
use crate::flows::joined_by;
use crate::input::{lenient, Input};
use crate::raw_json;
use crate::state::AppState;
use crate::store::{DynStore, FlowRecord, MessageQuery, StoredMessage};

pub const DEFAULT_LIMIT: i64 = 30;
pub const MAX_LIMIT: i64 = 100;
const MAX_SEARCH_TERMS: usize = 16;
/// Longest `search`, in characters.
pub const MAX_SEARCH_CHARS: usize = 1000;
/// Most tags one `tags` filter may name: each is a join in the list query.
pub const MAX_FILTER_TAGS: usize = 20;
/// Largest `skip`: an offset costs a scan of everything it skips; `until_id` pages further.
pub const MAX_SKIP: i64 = 10_000;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    /// Comma-separated, or an array.
    #[serde(default)]
    event: Value,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    sort: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    since_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    until_id: Option<i64>,
    #[serde(default)]
    tags: Value,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    tag_mode: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    search: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    skip: Option<i64>,
}

/// Validates the filters into a store query.
async fn query(
    store: &DynStore,
    flow: &FlowRecord,
    p: ListParams,
    thread_id: Option<String>,
) -> ApiResult<MessageQuery> {
    let mut errors = FieldErrors::new();
    let mut bad = |f: &str, r: &str| err(&mut errors, f, r);
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        bad("limit", "must be between 1 and 100");
    }
    let ascending = match p.sort.as_deref().map(str::trim) {
        None | Some("") | Some("desc") => false,
        Some("asc") => true,
        Some(_) => {
            bad("sort", "must be asc or desc");
            false
        }
    };
    let tags_any = match p.tag_mode.as_deref().map(str::trim) {
        None | Some("") | Some("and") => false,
        Some("or") => true,
        Some(_) => {
            bad("tag_mode", "must be and or or");
            false
        }
    };
    let skip = p.skip.unwrap_or(0);
    if !(0..=MAX_SKIP).contains(&skip) {
        bad(
            "skip",
            &format!("must be between 0 and {MAX_SKIP}; page further back with until_id"),
        );
    }
    let events = match tags::from_param(&p.event) {
        Ok(e) => e.into_iter().map(|e| e.trim().to_owned()).collect(),
        Err(_) => {
            bad("event", "must be a comma-separated list of events");
            Vec::new()
        }
    };
    let raw_tags = tags::from_param(&p.tags).unwrap_or_else(|_| {
        bad("tags", "must be a comma-separated list of tags");
        Vec::new()
    });
    if raw_tags.len() > MAX_FILTER_TAGS {
        bad("tags", &format!("may name at most {MAX_FILTER_TAGS} tags"));
    }
    let search = search_terms(p.search.as_deref().unwrap_or("")).unwrap_or_else(|reason| {
        bad("search", &reason);
        Vec::new()
    });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // `@nick` filters by the user tag, as flowdock/api-docs docs/messages.md allows.
    let members = if raw_tags.iter().any(|t| t.trim().starts_with('@')) {
        store.flow_members(&flow.id).await?
    } else {
        Vec::new()
    };
    let tags = raw_tags
        .iter()
        .map(|t| match t.trim().strip_prefix('@') {
            Some(nick) => members
                .iter()
                .find(|m| m.nick.eq_ignore_ascii_case(nick))
                .map(|m| format!(":user:{}", m.id))
                .unwrap_or_else(|| format!(":user:{}", nick.to_lowercase())),
            None => tags::normalise(t),
        })
        .collect();
    Ok(MessageQuery {
        flow_id: flow.id.clone(),
        thread_id,
        events,
        limit,
        ascending,
        since_id: p.since_id,
        until_id: p.until_id,
        tags,
        tags_any,
        search,
        skip,
    })
}

/// The keywords of `search`, split at whitespace. The store quotes each one for its engine;
/// what no engine can take (control characters, NUL above all) is refused here.
fn search_terms(search: &str) -> Result<Vec<String>, String> {
    let chars = search.chars().count();
    if chars > MAX_SEARCH_CHARS {
        return Err(format!(
            "is too long ({chars} characters, the limit is {MAX_SEARCH_CHARS})"
        ));
    }
    let terms: Vec<String> = search.split_whitespace().map(str::to_owned).collect();
    if terms.iter().any(|t| t.chars().any(char::is_control)) {
        return Err("must not contain control characters".into());
    }
    if terms.len() > MAX_SEARCH_TERMS {
        return Err(format!(
            "has too many keywords (at most {MAX_SEARCH_TERMS})"
        ));
    }
    Ok(terms)
}

/// A JSON array of stored messages, joined without re-serialising.
pub fn array(messages: &[StoredMessage]) -> Response {
    let body = raw_json::array(messages.iter().map(|m| &*m.json));
    raw_json::response(StatusCode::OK, body)
}

/// GET /flows/:org/:flow/messages
pub async fn list_messages(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    list_in(&state.store, &flow, params).await
}

/// The messages of `flow` (or a private conversation's) that `params` filter, for a caller
/// who may read them.
pub async fn list_in(
    store: &DynStore,
    flow: &FlowRecord,
    params: ListParams,
) -> ApiResult<Response> {
    let q = query(store, flow, params, None).await?;
    Ok(array(&store.list_messages(q).await?))
}

/// GET /flows/:org/:flow/threads/:id/messages
pub async fn list_thread_messages(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, thread)): Path<(String, String, String)>,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    state
        .store
        .thread_by_id(&flow.id, &thread)
        .await?
        .ok_or_else(|| ApiError::NotFound("Thread not found".into()))?;
    let q = query(&state.store, &flow, params, Some(thread)).await?;
    Ok(array(&state.store.list_messages(q).await?))
}

pub fn message_id(raw: &str) -> ApiResult<i64> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("Message not found".into()))
}

/// GET /flows/:org/:flow/messages/:id
pub async fn show_message(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    show_in(&state.store, &flow, &id).await
}

/// Message `id` of `flow` (or a private conversation's), for a caller who may read it.
pub async fn show_in(store: &DynStore, flow: &FlowRecord, id: &str) -> ApiResult<Response> {
    let m = store
        .message_by_id(&flow.id, message_id(id)?)
        .await?
        .ok_or_else(|| ApiError::NotFound("Message not found".into()))?;
    Ok(raw_json::response(StatusCode::OK, m.json.to_string()))
}
