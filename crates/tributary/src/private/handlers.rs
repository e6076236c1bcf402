//! HTTP handlers of `/private`: each parses, calls one domain function of
//! [`super::conversation`], [`super::post`] or the message reads and edits it shares with
//! flows, and maps the result.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use tributary_types::PrivateConversation;

use super::conversation::{self, resolve};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::files::upload::PostBody;
use crate::input::{lenient, Input};
use crate::messages::edit::{self, Place, UpdateParams};
use crate::messages::read::{self, ListParams};
use crate::state::AppState;

/// GET /private
pub async fn list_conversations(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<PrivateConversation>>> {
    Ok(Json(conversation::list(&state, &principal).await?))
}

/// GET /private/:user_id
pub async fn show_conversation(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
) -> ApiResult<Json<PrivateConversation>> {
    Ok(Json(
        conversation::set_open(&state, &principal, &user_id, None).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct UpdateConversation {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    open: Option<bool>,
}

/// PUT /private/:user_id
pub async fn update_conversation(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
    Input(p): Input<UpdateConversation>,
) -> ApiResult<Json<PrivateConversation>> {
    Ok(Json(
        conversation::set_open(&state, &principal, &user_id, p.open).await?,
    ))
}

/// GET /private/:user_id/messages
pub async fn list_private_messages(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let r = resolve(&state, &principal, &user_id).await?;
    read::list_in(&state.store, &r.flow, params).await
}

/// POST /private/:user_id/messages
pub async fn post_private_message(
    State(state): State<AppState>,
    principal: Principal,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    body: PostBody,
) -> ApiResult<Response> {
    super::post::post_private(&state, principal, &user_id, &headers, &uri, body).await
}

/// GET /private/:user_id/messages/:id
pub async fn show_private_message(
    State(state): State<AppState>,
    principal: Principal,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let r = resolve(&state, &principal, &user_id).await?;
    read::show_in(&state.store, &r.flow, &id).await
}

/// PUT /private/:user_id/messages/:id
pub async fn update_private_message(
    State(state): State<AppState>,
    principal: Principal,
    Path((user_id, id)): Path<(String, String)>,
    Input(p): Input<UpdateParams>,
) -> ApiResult<Response> {
    let r = resolve(&state, &principal, &user_id).await?;
    let place = Place {
        flow: &r.flow,
        to: Some(r.to()),
    };
    edit::update_in(&state, principal.user.id, place, &id, p).await
}

/// DELETE /private/:user_id/messages/:id
pub async fn delete_private_message(
    State(state): State<AppState>,
    principal: Principal,
    Path((user_id, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let r = resolve(&state, &principal, &user_id).await?;
    let place = Place {
        flow: &r.flow,
        to: Some(r.to()),
    };
    edit::delete_in(&state, principal.user.id, place, &id).await
}
