//! Threads: `GET /flows/:org/:flow/threads` with `since`, `until` (and `until_id`),
//! `application`, `empty`, `limit` and a `Link: rel="next"` header, and one thread by id. Threads change only through
//! the messages posted to them (flowdock/api-docs docs/threads.md).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Principal;
use crate::error::{err, ApiError, ApiResult, FieldErrors};
use crate::flows::joined_by;
use crate::input::{lenient, Input};
use crate::raw_json;
use crate::state::AppState;
use crate::store::{iso8601, AppFilter, ThreadQuery};
use axum::routing::get;
use axum::Router;

/// A flow's threads: the list and one thread. Threads change only through their messages
/// (`messages::routes`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/flows/{org}/{flow}/threads", get(list_threads))
        .route("/flows/{org}/{flow}/threads/{id}", get(show_thread))
}

/// A page of threads, unless `limit` says otherwise (as for a flow's messages).
pub const DEFAULT_LIMIT: i64 = 30;
/// The largest page.
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    since: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    until: Option<String>,
    /// With `until`, the last thread of the page before: what `Link: rel="next"` carries.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    until_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    application: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    empty: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    limit: Option<i64>,
}

/// An ISO 8601 date (or milliseconds since the epoch) to milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// GET /flows/:org/:flow/threads
pub async fn list_threads(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow_name)): Path<(String, String)>,
    Input(p): Input<ListParams>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow_name).await?;
    let mut errors = FieldErrors::new();
    let mut time_param = |field: &str, v: &Option<String>| match v.as_deref() {
        None | Some("") => None,
        Some(s) => parse_time(s).or_else(|| {
            err(&mut errors, field, "must be an ISO 8601 date");
            None
        }),
    };
    let since = time_param("since", &p.since);
    let until = time_param("until", &p.until);
    let application = match p.application.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("chat") => Some(AppFilter::Chat),
        // The docs spell it `ìnbox` in one place; both spellings mean the team inbox.
        Some("inbox") | Some("ìnbox") | Some("influx") => Some(AppFilter::Inbox),
        Some(other) => match other.parse() {
            Ok(id) => Some(AppFilter::App(id)),
            Err(_) => {
                err(
                    &mut errors,
                    "application",
                    "must be an application id, chat or inbox",
                );
                None
            }
        },
    };
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        err(&mut errors, "limit", "must be between 1 and 100");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let include_empty = p.empty.unwrap_or(false);
    let threads = state
        .store
        .list_threads(ThreadQuery {
            flow_id: flow.id.clone(),
            since,
            until,
            until_id: p.until_id.clone().filter(|id| !id.is_empty()),
            application: application.clone(),
            include_empty,
            limit,
        })
        .await?;
    let body = raw_json::array(threads.iter().map(|t| &*t.json));
    let mut res = raw_json::response(StatusCode::OK, body);
    // A full page may have more behind it: the next page is everything after its last
    // thread in the list's order, (updated_at, id), so none is skipped or repeated.
    if threads.len() as i64 == limit {
        if let Some(last) = threads.last() {
            let mut next = format!(
                "{}/threads?until={}&until_id={}&limit={limit}",
                state
                    .urls
                    .flow(&flow.org.parameterized_name, &flow.parameterized_name),
                encode(&iso8601(last.updated_at)),
                encode(&last.id)
            );
            if let Some(a) = p.application.as_deref().filter(|a| !a.is_empty()) {
                next.push_str(&format!("&application={}", encode(a)));
            }
            if include_empty {
                next.push_str("&empty=1");
            }
            if let Some(since) = p.since.as_deref().filter(|s| !s.is_empty()) {
                next.push_str(&format!("&since={}", encode(since)));
            }
            if let Ok(v) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\"")) {
                res.headers_mut().insert(header::LINK, v);
            }
        }
    }
    Ok(res)
}

/// GET /flows/:org/:flow/threads/:id
pub async fn show_thread(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    let t = state
        .store
        .thread_by_id(&flow.id, &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Thread not found".into()))?;
    Ok(raw_json::response(StatusCode::OK, t.json.to_string()))
}
