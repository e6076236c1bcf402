//! HTTP handlers of the posting endpoints. Each says where its path aims the post (a
//! [`Target`]), works out who posts to which flow, then calls `post::post_message_with_files`
//! once and maps the outcome to Flowdock's status codes. The post itself is checked by its
//! event kind (`kinds`), not here.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use super::idempotency::{self, Claimed};
use super::input::{PostInput, Target};
use super::post::post_message_with_files;
use crate::auth::flow_token::params_or_gone;
use crate::auth::poster::{poster, Poster};
use crate::auth::CallerSlot;
use crate::error::{ApiError, ApiResult};
use crate::files::upload::PostBody;
use crate::input::{BodyRejection, Params, TokenParams};
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

/// What every posting endpoint reads besides its path and body: the headers (credentials,
/// the idempotency key, the wait flag), the URI (query credentials, the request's hash) and
/// the slot the `Flowdock-User` header is answered from.
pub struct PostRequest {
    state: AppState,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<CallerSlot>,
}

impl FromRequestParts<AppState> for PostRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(PostRequest {
            state: state.clone(),
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
            slot: parts.extensions.get::<CallerSlot>().cloned(),
        })
    }
}

/// The shared body of every posting endpoint.
async fn post(req: PostRequest, target: Target, body: PostBody) -> ApiResult<Response> {
    let PostRequest {
        state,
        headers,
        uri,
        slot,
    } = req;
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
        None => poster(&state, &headers, &uri, &params, slot.as_ref()).await?,
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

/// The target of the `/flows/:org/:flow/...` endpoints.
fn in_flow(org: String, flow: String) -> Target {
    Target {
        flow: Some((org, flow)),
        ..Target::default()
    }
}

/// The body of the comment endpoints: parameters only, no file.
fn params_only(params: Params) -> PostBody {
    PostBody {
        params,
        ..PostBody::default()
    }
}

/// POST /messages
pub async fn post_message(req: PostRequest, body: PostBody) -> ApiResult<Response> {
    post(req, Target::default(), body).await
}

/// POST /flows/:org/:flow/messages
pub async fn post_flow_message(
    req: PostRequest,
    Path((org, flow)): Path<(String, String)>,
    body: PostBody,
) -> ApiResult<Response> {
    post(req, in_flow(org, flow), body).await
}

/// POST /flows/:org/:flow/threads/:id/messages
pub async fn post_thread_message(
    req: PostRequest,
    Path((org, flow, thread)): Path<(String, String, String)>,
    body: PostBody,
) -> ApiResult<Response> {
    let target = Target {
        thread_id: Some(thread),
        ..in_flow(org, flow)
    };
    post(req, target, body).await
}

/// POST /comments
pub async fn post_comment(
    req: PostRequest,
    params: Result<TokenParams, BodyRejection>,
) -> ApiResult<Response> {
    let params = params_or_gone(&req.state.store, params, None).await?;
    let target = Target {
        comment: true,
        ..Target::default()
    };
    post(req, target, params_only(params)).await
}

/// POST /flows/:org/:flow/messages/:id/comments
pub async fn post_message_comment(
    req: PostRequest,
    Path((org, flow, parent)): Path<(String, String, String)>,
    params: Result<TokenParams, BodyRejection>,
) -> ApiResult<Response> {
    let params = params_or_gone(&req.state.store, params, None).await?;
    let parent = parent
        .parse()
        .map_err(|_| ApiError::NotFound("Message not found".into()))?;
    let target = Target {
        parent: Some(parent),
        comment: true,
        ..in_flow(org, flow)
    };
    post(req, target, params_only(params)).await
}
