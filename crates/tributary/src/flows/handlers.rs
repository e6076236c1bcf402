//! HTTP handlers of the flow resources. Each parses, calls one domain function, and maps.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tributary_types::{AccessMode, Flow, UpdateFlow, User};

use super::members::Target;
use super::view;
use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::input::{lenient, Input};
use crate::state::AppState;
use crate::store::FlowForUser;

#[derive(Debug, Deserialize)]
pub struct ListParams {
    #[serde(default, deserialize_with = "lenient::bool")]
    users: bool,
}

async fn render(
    state: &AppState,
    principal: &Principal,
    f: &FlowForUser,
    with_users: bool,
) -> ApiResult<Flow> {
    // Without `flow` or `manage` (an `integration` token finding its flow) the members and
    // their emails stay out.
    let users = if with_users && principal.scopes.intersects(Scopes::PEOPLE) {
        let org_members = state.store.org_members(f.flow.org.id).await?;
        let flow_members = state.store.flow_members(&f.flow.id).await?;
        Some(view::users(&state.urls, &org_members, &flow_members))
    } else {
        None
    };
    Ok(view::flow(&state.urls, f, principal, users))
}

async fn list(
    state: AppState,
    principal: Principal,
    params: ListParams,
    with_joinable: bool,
) -> ApiResult<Json<Vec<Flow>>> {
    principal.require(Scopes::FLOW, "flow")?;
    let flows = state
        .store
        .flows_for_user(principal.user.id, with_joinable)
        .await?;
    render_all(&state, &principal, &flows, params.users).await
}

async fn render_all(
    state: &AppState,
    principal: &Principal,
    flows: &[FlowForUser],
    with_users: bool,
) -> ApiResult<Json<Vec<Flow>>> {
    let mut out = Vec::with_capacity(flows.len());
    for f in flows {
        out.push(render(state, principal, f, with_users).await?);
    }
    Ok(Json(out))
}

/// GET /flows
pub async fn list_flows(
    State(state): State<AppState>,
    principal: Principal,
    Input(params): Input<ListParams>,
) -> ApiResult<Json<Vec<Flow>>> {
    list(state, principal, params, false).await
}

/// GET /flows/all
pub async fn list_all_flows(
    State(state): State<AppState>,
    principal: Principal,
    Input(params): Input<ListParams>,
) -> ApiResult<Json<Vec<Flow>>> {
    list(state, principal, params, true).await
}

/// GET /flows/:org
pub async fn list_org_flows(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Input(params): Input<ListParams>,
) -> ApiResult<Json<Vec<Flow>>> {
    let flows = super::flows_of_org(&state.store, &principal, &org).await?;
    render_all(&state, &principal, &flows, params.users).await
}

/// GET /flows/:org/:flow
pub async fn show_flow(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<Json<Flow>> {
    // An integration reads the flow it is being added to (flowdock/api-docs docs/production-integrations.md).
    principal.require_any(
        Scopes::FLOW | Scopes::INTEGRATION,
        "`flow` or `integration`",
    )?;
    let f = super::visible_flow(&state.store, principal.user.id, &org, &flow).await?;
    Ok(Json(render(&state, &principal, &f, true).await?))
}

#[derive(Debug, Deserialize)]
pub struct FindParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

/// GET /flows/find?id=:id
pub async fn find_flow(
    State(state): State<AppState>,
    principal: Principal,
    Input(params): Input<FindParams>,
) -> ApiResult<Json<Flow>> {
    // The example integration asks only for `profile integration`, then finds the flow.
    principal.require_any(
        Scopes::FLOW | Scopes::INTEGRATION,
        "`flow` or `integration`",
    )?;
    let id = params
        .id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::field("id", "is required"))?;
    let f = super::visible_flow_by_id(&state.store, principal.user.id, &id).await?;
    Ok(Json(render(&state, &principal, &f, true).await?))
}

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    #[serde(default)]
    name: String,
    #[serde(default)]
    access_mode: Option<AccessMode>,
}

/// POST /flows/:org
pub async fn create_flow(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Input(params): Input<CreateParams>,
) -> ApiResult<(StatusCode, Json<Flow>)> {
    let mode = params.access_mode.unwrap_or(AccessMode::Invitation);
    let flow = super::create_flow_as(&state.store, &principal, &org, &params.name, mode).await?;
    let f = FlowForUser {
        flow,
        membership: Some(crate::store::FlowMembership { open: true }),
    };
    Ok((
        StatusCode::CREATED,
        Json(render(&state, &principal, &f, true).await?),
    ))
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    open: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    disabled: Option<bool>,
    #[serde(default)]
    access_mode: Option<AccessMode>,
}

/// PUT /flows/:org/:flow
pub async fn update_flow(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
    Input(p): Input<UpdateParams>,
) -> ApiResult<Json<Flow>> {
    let input = UpdateFlow {
        name: p.name,
        open: p.open,
        disabled: p.disabled,
        access_mode: p.access_mode,
    };
    super::may_update(&principal, &input)?;
    let current = super::visible_flow(&state.store, principal.user.id, &org, &flow).await?;
    let f = super::update_flow(&state.store, &principal, current, input).await?;
    Ok(Json(render(&state, &principal, &f, false).await?))
}

/// GET /flows/:org/:flow/users
pub async fn list_flow_users(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<Json<Vec<User>>> {
    principal.require(Scopes::FLOW, "flow")?;
    let f = super::visible_flow(&state.store, principal.user.id, &org, &flow).await?;
    let members = state.store.flow_members(&f.flow.id).await?;
    Ok(Json(
        members
            .iter()
            .map(|u| crate::users::view(&state.urls, u))
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub struct AddUserParams {
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    email: Option<String>,
}

/// POST /flows/:org/:flow/users
pub async fn add_flow_user(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
    Input(p): Input<AddUserParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let target = match (p.id, p.email) {
        (Some(id), _) => Some(Target::Id(id)),
        (None, Some(email)) => Some(Target::Email(email)),
        (None, None) => None,
    };
    super::members::add_member(&state.store, &principal, &org, &flow, target).await?;
    // docs/users.md answers `200 {}`.
    Ok(Json(serde_json::json!({})))
}

/// DELETE /flows/:org/:flow/users/:id
pub async fn remove_flow_user(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    super::members::remove_member(&state.store, &principal, &org, &flow, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct BlockParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    disabled: Option<bool>,
}

/// PUT /flows/:org/:flow/users/:id
pub async fn block_flow_user(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
    Input(p): Input<BlockParams>,
) -> ApiResult<Json<serde_json::Value>> {
    principal.require(Scopes::MANAGE, "manage")?;
    let disabled = p
        .disabled
        .ok_or_else(|| ApiError::field("disabled", "is required"))?;
    super::members::block_member(&state.store, &principal, &org, &flow, &id, disabled).await?;
    // docs/users.md answers `200 {}`.
    Ok(Json(serde_json::json!({})))
}
