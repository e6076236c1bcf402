//! HTTP handlers of the posting endpoints. Each says where its path aims the post (a
//! [`Target`]), works out who posts to which flow, then calls `post::post_message_with_files`
//! once and maps the outcome to Flowdock's status codes. The post itself is checked by its
//! event kind (`kinds`), not here.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;

use super::idempotency::{self, Claimed};
use super::input::{PostInput, Target};
use super::post::post_message_with_files;
use crate::auth::poster::{poster, Poster};
use crate::auth::CallerSlot;
use crate::error::{ApiError, ApiResult};
use crate::files::upload::PostBody;
use crate::input::Params;
use crate::raw_json::response as json_response;
use crate::state::AppState;
use crate::store::{FlowRecord, PostOutcome};

/// The flow a post goes to, checked against what the poster may do.
async fn target_flow(
    state: &AppState,
    poster: &Poster,
    input: &PostInput,
) -> ApiResult<FlowRecord> {
    match poster {
        Poster::Source { flow, .. } => {
            let named_other = match (&input.target.flow, &input.params.flow) {
                (Some((org, f)), _) => {
                    org != &flow.org.parameterized_name || f != &flow.parameterized_name
                }
                (None, Some(id)) => id != &flow.id,
                (None, None) => false,
            };
            if named_other {
                return Err(ApiError::Forbidden(
                    "This flow_token belongs to another flow".into(),
                ));
            }
            Ok((**flow).clone())
        }
        Poster::User(user) => {
            let f = match (&input.target.flow, &input.params.flow) {
                (Some((org, flow)), _) => {
                    crate::flows::visible_flow(&state.store, user.id, org, flow).await?
                }
                (None, Some(id)) => {
                    crate::flows::visible_flow_by_id(&state.store, user.id, id).await?
                }
                (None, None) => return Err(ApiError::field("flow", "is required")),
            };
            crate::flows::require_joined(f)
        }
    }
}

/// The shared body of every posting endpoint.
async fn post(
    state: AppState,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    target: Target,
    body: PostBody,
) -> ApiResult<Response> {
    // The request's hash is needed only to answer a replayed idempotency key.
    let request = Request::new(&headers, uri.path(), &body);
    // A large body's poster was resolved before the body was read; the upload's permit is
    // held until the post is answered.
    let PostBody {
        params,
        files,
        poster: checked,
        upload_permit: _upload_permit,
    } = body;
    let poster = match checked {
        Some(p) => p,
        None => poster(&state, &headers, &uri, &params, slot.as_deref()).await?,
    };
    let input = PostInput {
        params: params.parse()?,
        target,
    };
    let flow = target_flow(&state, &poster, &input).await?;
    post_to(&state, request, &poster, &flow, input, files).await
}

/// What a posting request says about idempotency: its headers, its key (or why the key is
/// bad), and the request's hash when it has a key.
pub struct Request<'a> {
    pub headers: &'a HeaderMap,
    pub key: ApiResult<Option<String>>,
    pub hash: Option<String>,
}

impl<'a> Request<'a> {
    /// Reads the key and hashes the request (`route` and the body's parameters).
    pub fn new(headers: &'a HeaderMap, route: &str, body: &PostBody) -> Request<'a> {
        let key = idempotency::key(headers, &body.params);
        let hash = match &key {
            Ok(Some(_)) => Some(idempotency::request_hash(route, &body.hash_params())),
            _ => None,
        };
        Request { headers, key, hash }
    }
}

/// Posts `input` as `poster` to `flow`, which the caller resolved and checked, and answers
/// as every posting endpoint does: 201 with the message for a user, 202 `{}` for a
/// `flow_token`, 200 with the message when asked to wait, or an idempotent replay.
pub async fn post_to(
    state: &AppState,
    request: Request<'_>,
    poster: &Poster,
    flow: &FlowRecord,
    input: PostInput,
    files: Vec<crate::files::upload::Upload>,
) -> ApiResult<Response> {
    let Request { headers, key, hash } = request;
    let wait = headers.contains_key("x-flowdock-wait-for-message");
    let (status, with_message) = match (&poster, wait) {
        (_, true) => (StatusCode::OK, true),
        (Poster::User(_), false) => (StatusCode::CREATED, true),
        (Poster::Source { .. }, false) => (StatusCode::ACCEPTED, false),
    };
    let claim = match (key?, hash) {
        (Some(key), Some(hash)) => {
            let scope = poster.scope();
            match idempotency::replay_or_claim(&state.store, scope, key, hash, status, with_message)
                .await?
            {
                Claimed::Replay(r) => return Ok(r),
                Claimed::New(c) => Some(c),
            }
        }
        _ => None,
    };
    let hash = claim.as_ref().map(|c| c.request_hash.clone());
    match post_message_with_files(&state.store, poster, flow, input, files, claim).await? {
        PostOutcome::Stored(m) if with_message => Ok(json_response(status, m.json.to_string())),
        PostOutcome::Stored(_) => Ok(json_response(status, "{}")),
        PostOutcome::Replay(r) => idempotency::replay(r, hash.as_deref().unwrap_or("")),
    }
}

/// POST /messages
pub async fn post_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    body: PostBody,
) -> ApiResult<Response> {
    post(state, headers, uri, slot, Target::default(), body).await
}

/// POST /flows/:org/:flow/messages
pub async fn post_flow_message(
    State(state): State<AppState>,
    Path((org, flow)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    body: PostBody,
) -> ApiResult<Response> {
    let target = Target {
        flow: Some((org, flow)),
        ..Target::default()
    };
    post(state, headers, uri, slot, target, body).await
}

/// POST /flows/:org/:flow/threads/:id/messages
pub async fn post_thread_message(
    State(state): State<AppState>,
    Path((org, flow, thread)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    body: PostBody,
) -> ApiResult<Response> {
    let target = Target {
        flow: Some((org, flow)),
        thread_id: Some(thread),
        ..Target::default()
    };
    post(state, headers, uri, slot, target, body).await
}

/// POST /comments
pub async fn post_comment(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    params: Params,
) -> ApiResult<Response> {
    let target = Target {
        comment: true,
        ..Target::default()
    };
    post_params(state, headers, uri, slot, target, params).await
}

/// POST /flows/:org/:flow/messages/:id/comments
pub async fn post_message_comment(
    State(state): State<AppState>,
    Path((org, flow, parent)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    params: Params,
) -> ApiResult<Response> {
    let parent = parent
        .parse()
        .map_err(|_| ApiError::NotFound("Message not found".into()))?;
    let target = Target {
        flow: Some((org, flow)),
        parent: Some(parent),
        comment: true,
        ..Target::default()
    };
    post_params(state, headers, uri, slot, target, params).await
}

/// A post whose body is parameters only (the comment endpoints take no file).
async fn post_params(
    state: AppState,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
    target: Target,
    params: Params,
) -> ApiResult<Response> {
    let body = PostBody {
        params,
        ..PostBody::default()
    };
    post(state, headers, uri, slot, target, body).await
}
