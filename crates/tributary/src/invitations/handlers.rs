//! HTTP handlers of invitations and the join link. Each parses, calls one domain function,
//! and maps the result.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use tributary_types::{Invitation, InvitationsCreated, JoinUrl};

use super::CreateInvitations;
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::input::{lenient, Input};
use crate::state::AppState;

/// GET /flows/:org/:flow/invitations
pub async fn list_invitations(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Invitation>>> {
    let flow = super::flow_for_inviter(&state, &principal, &org, &flow).await?;
    Ok(Json(super::list(&state, &flow).await?))
}

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    #[serde(default)]
    emails: Option<Value>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    message: Option<String>,
}

/// POST /flows/:org/:flow/invitations
pub async fn create_invitations(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
    Input(p): Input<CreateParams>,
) -> ApiResult<(StatusCode, Json<InvitationsCreated>)> {
    let flow = super::flow_for_inviter(&state, &principal, &org, &flow).await?;
    let input = CreateInvitations {
        emails: p.emails,
        email: p.email,
        message: p.message,
    };
    let created = super::create(&state, &principal.user, &flow, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// GET /flows/:org/:flow/invitations/:id
pub async fn show_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<Json<Invitation>> {
    let flow = super::flow_for_inviter(&state, &principal, &org, &flow).await?;
    Ok(Json(super::show(&state, &flow, &id).await?))
}

/// DELETE /flows/:org/:flow/invitations/:id
pub async fn delete_invitation(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let flow = super::flow_for_inviter(&state, &principal, &org, &flow).await?;
    super::revoke(&state, &flow, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// GET /flows/:org/:flow/join_url
pub async fn show_join_url(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<Json<JoinUrl>> {
    Ok(Json(
        super::join_url::show(&state, &principal, &org, &flow).await?,
    ))
}

/// POST /flows/:org/:flow/join_url
pub async fn create_join_url(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<JoinUrl>)> {
    let url = super::join_url::reset(&state, &principal, &org, &flow).await?;
    Ok((StatusCode::CREATED, Json(url)))
}

/// DELETE /flows/:org/:flow/join_url
pub async fn delete_join_url(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    super::join_url::disable(&state, &principal, &org, &flow).await?;
    Ok(Json(serde_json::json!({})))
}
