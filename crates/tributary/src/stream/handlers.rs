//! `GET /stream/flows?filter=...` and `GET /stream/flows/:org/:flow`: authenticate, resolve the
//! flows, pick the format and cursor, and hand the connection to the
//! stream body.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

use super::body;
use super::format::Format;
use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::flows::{require_active, require_joined, visible_flow, visible_flow_by_id};
use crate::input::{lenient, Input};
use crate::state::AppState;
use crate::store::{FlowForUser, FlowRecord};

#[derive(Debug, Default, Deserialize)]
pub struct StreamParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    filter: Option<String>,
    #[serde(default)]
    accept: Option<String>,
    /// `true` or `idle`: presence is not tracked, so any value is accepted.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    active: Option<String>,
    /// `user=1` adds the caller's private conversations (with the `private` scope).
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    user: Option<bool>,
    /// For clients that cannot send `Last-Event-ID` (the JSON stream).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    last_event_id: Option<String>,
}

/// GET /stream/flows
pub async fn stream_flows(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Input(params): Input<StreamParams>,
) -> ApiResult<Response> {
    let filter = params.filter.clone().unwrap_or_default();
    let names: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    // Flows need `flow`; private messages (`user=1`) need `private`, checked in `open`.
    if !names.is_empty() {
        principal.require(Scopes::FLOW, "flow")?;
    }
    if names.is_empty() && params.user != Some(true) {
        return Err(ApiError::field(
            "filter",
            "is required: a comma-separated list of flows",
        ));
    }
    let mut flows: Vec<FlowRecord> = Vec::with_capacity(names.len());
    for name in names {
        let f = match name.split_once('/') {
            Some((org, flow)) => visible_flow(&state.store, principal.user.id, org, flow).await?,
            None => visible_flow_by_id(&state.store, principal.user.id, name).await?,
        };
        let flow = joined_and_active(f)?;
        if !flows.iter().any(|x| x.id == flow.id) {
            flows.push(flow);
        }
    }
    open(state, principal, headers, params, flows).await
}

/// GET /stream/flows/:org/:flow
pub async fn stream_flow(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path((org, flow)): Path<(String, String)>,
    Input(params): Input<StreamParams>,
) -> ApiResult<Response> {
    principal.require(Scopes::FLOW, "flow")?;
    let f = visible_flow(&state.store, principal.user.id, &org, &flow).await?;
    let flow = joined_and_active(f)?;
    open(state, principal, headers, params, vec![flow]).await
}

/// GET /stream/private/:user_id
///
/// One private conversation, as a flow's stream (its cursor is the message id): the
/// conversation page follows it. Not in Flowdock's docs, which stream conversations only
/// with `user=1`.
pub async fn stream_private(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    Input(params): Input<StreamParams>,
) -> ApiResult<Response> {
    let r = crate::private::resolve(&state, &principal, &user_id).await?;
    let watch = state
        .streams
        .watch(&state.store, principal.user.id, principal.grant, &[]);
    let ids = vec![Arc::from(r.flow.id.as_str())];
    respond(&state, &headers, &params, ids, watch, None).await
}

/// Streaming a flow, like reading it, needs membership; an archived flow has nothing new to
/// stream.
fn joined_and_active(f: FlowForUser) -> ApiResult<FlowRecord> {
    let flow = require_joined(f)?;
    require_active(&flow)?;
    Ok(flow)
}

async fn open(
    state: AppState,
    principal: Principal,
    headers: HeaderMap,
    params: StreamParams,
    flows: Vec<FlowRecord>,
) -> ApiResult<Response> {
    let _ = &params.active;
    // With flows, `user=1` from a token without `private` adds nothing: the flows still
    // stream. Alone, it needs `private`.
    let private = params.user == Some(true) && principal.scopes.contains(Scopes::PRIVATE);
    if flows.is_empty() {
        principal.require(Scopes::PRIVATE, "private")?;
    }
    // The stream keeps the flows' ids only: the records are not needed once it is open.
    let mut ids: Vec<Arc<str>> = flows.iter().map(|f| Arc::from(f.id.as_str())).collect();
    // Memberships are re-checked for flows only; a conversation's participants never change.
    let watch = state
        .streams
        .watch(&state.store, principal.user.id, principal.grant, &ids);
    let invites = match private {
        true => {
            let (invites, conversations) =
                crate::private::follow(&state.store, principal.user.id).await?;
            ids.extend(conversations);
            Some(invites)
        }
        false => None,
    };
    respond(&state, &headers, &params, ids, watch, invites).await
}

/// The stream's response: the format and the resume cursor from the request, then the body.
async fn respond(
    state: &AppState,
    headers: &HeaderMap,
    params: &StreamParams,
    ids: Vec<Arc<str>>,
    watch: Arc<crate::state::revocation::Watch>,
    invites: Option<tokio::sync::mpsc::UnboundedReceiver<crate::bus::Invite>>,
) -> ApiResult<Response> {
    let accept_header = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::negotiate(params.accept.as_deref(), accept_header);
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.last_event_id.clone());
    let stream = body::open(state, ids, format, resume, watch, invites).await?;
    let body = Body::from_stream(stream);
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Reverse proxies must pass each frame on at once.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
