//! Flows: who may see them, creating and changing them, and their JSON view.

pub mod handlers;
pub mod members;
pub mod view;

use tributary_types::{AccessMode, UpdateFlow};

use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::names::{parameterize, RESERVED};
use crate::secrets;
use crate::state::AppState;
use crate::store::{DynStore, FlowChanges, FlowForUser, FlowRecord, NewFlow, StoreError};
use axum::routing::{get, put};
use axum::Router;

/// `/flows`: listing, finding, creating, showing and changing flows, and a flow's users.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/flows", get(handlers::list_flows))
        .route("/flows/all", get(handlers::list_all_flows))
        .route("/flows/find", get(handlers::find_flow))
        .route(
            "/flows/{org}",
            get(handlers::list_org_flows).post(handlers::create_flow),
        )
        .route(
            "/flows/{org}/{flow}",
            get(handlers::show_flow).put(handlers::update_flow),
        )
        .route(
            "/flows/{org}/{flow}/users",
            get(handlers::list_flow_users).post(handlers::add_flow_user),
        )
        .route(
            "/flows/{org}/{flow}/users/{id}",
            put(handlers::block_flow_user).delete(handlers::remove_flow_user),
        )
}

pub const MAX_NAME_CHARS: usize = 100;

fn flow_not_found() -> ApiError {
    ApiError::NotFound("Flow not found".into())
}

/// The flow as `user_id` sees it. A flow the user may not see is a 404, never a 403, so that
/// its existence does not leak.
pub async fn visible_flow(
    store: &DynStore,
    user_id: i64,
    org: &str,
    flow: &str,
) -> ApiResult<FlowForUser> {
    let record = store
        .flow_by_name(org, flow)
        .await?
        .ok_or_else(flow_not_found)?;
    visible(store, user_id, record).await
}

pub async fn visible_flow_by_id(
    store: &DynStore,
    user_id: i64,
    id: &str,
) -> ApiResult<FlowForUser> {
    let record = store.flow_by_id(id).await?.ok_or_else(flow_not_found)?;
    visible(store, user_id, record).await
}

async fn visible(store: &DynStore, user_id: i64, flow: FlowRecord) -> ApiResult<FlowForUser> {
    let membership = store.flow_membership(&flow.id, user_id).await?;
    if membership.is_none() {
        let joinable = flow.access_mode == AccessMode::Organization
            && store.org_membership(flow.org.id, user_id).await?.is_some();
        if !joinable {
            return Err(flow_not_found());
        }
    }
    Ok(FlowForUser { flow, membership })
}

/// The flow, when the user has joined it: the one membership check of every request that
/// reads or writes a flow's content (messages, threads, streams, sources, files, actions and
/// the flow's pages). A visible flow the user has not joined is a 403, as the user could join
/// it and its existence is no secret; one the user cannot see was a 404 from [`visible_flow`].
pub fn require_joined(f: FlowForUser) -> ApiResult<FlowRecord> {
    match f.membership {
        Some(_) => Ok(f.flow),
        None => Err(ApiError::Forbidden("Join the flow first".into())),
    }
}

/// The flow `org/flow` when `user_id` has joined it: [`visible_flow`], then [`require_joined`].
pub async fn joined(
    store: &DynStore,
    user_id: i64,
    org: &str,
    flow: &str,
) -> ApiResult<FlowRecord> {
    require_joined(visible_flow(store, user_id, org, flow).await?)
}

/// [`joined`] for an API caller, which needs the `flow` scope to use a flow's content.
pub async fn joined_by(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    flow: &str,
) -> ApiResult<FlowRecord> {
    principal.require(Scopes::FLOW, "flow")?;
    joined(store, principal.user.id, org, flow).await
}

/// An archived (disabled) flow keeps its history readable, but takes no new messages and
/// opens no new streams. Every post and every stream passes here once its flow is resolved.
pub fn require_active(flow: &FlowRecord) -> ApiResult<()> {
    match flow.disabled {
        false => Ok(()),
        true => Err(ApiError::Forbidden("This flow is archived".into())),
    }
}

fn validate_name(name: &str) -> ApiResult<String> {
    crate::names::display_name(name, MAX_NAME_CHARS)
}

/// Creates a flow in `org`. The parameterized name gets a numeric suffix when the plain one
/// is taken, so two flows may share a display name.
pub async fn create_flow(
    store: &DynStore,
    org: &str,
    name: &str,
    access_mode: AccessMode,
    creator: Option<i64>,
) -> ApiResult<FlowRecord> {
    let name = validate_name(name)?;
    let org = store
        .org_by_name(org)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Organization {org} not found")))?;
    let base = parameterize(&name);
    if base.is_empty() {
        return Err(ApiError::field("name", "must contain a letter or digit"));
    }
    for attempt in 1..=100 {
        let pname = match attempt {
            1 if !RESERVED.contains(&base.as_str()) => base.clone(),
            1 => continue,
            n => format!("{base}-{n}"),
        };
        let new = NewFlow {
            id: secrets::new_flow_id(),
            org_id: org.id,
            name: name.clone(),
            parameterized_name: pname,
            access_mode,
            join_token: secrets::new_token(20),
        };
        match store.create_flow(new, creator).await {
            Err(StoreError::Conflict(_)) => continue,
            other => return Ok(other?),
        }
    }
    Err(ApiError::Conflict("Too many flows share this name".into()))
}

/// `POST /flows/:org` for `principal`: any member of the organization may create a flow in
/// it, and joins it. An organization the caller is not in does not exist for it.
pub async fn create_flow_as(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    name: &str,
    access_mode: AccessMode,
) -> ApiResult<FlowRecord> {
    // flowdock/api-docs docs/authentication.md: `manage` is "Manage flows, organizations and their users".
    principal.require(Scopes::MANAGE, "manage")?;
    let not_found = || ApiError::NotFound("Organization not found".into());
    let record = store.org_by_name(org).await?.ok_or_else(not_found)?;
    store
        .org_membership(record.id, principal.user.id)
        .await?
        .ok_or_else(not_found)?;
    create_flow(store, org, name, access_mode, Some(principal.user.id)).await
}

/// `GET /flows/:org`: the flows of `org` that `GET /flows/all` shows the caller, those it has
/// joined and the organization-mode ones it may join. The caller must belong to the
/// organization (404 otherwise, as every organization lookup), so an organization no user is
/// a member of is never listed.
pub async fn flows_of_org(
    store: &DynStore,
    principal: &Principal,
    org: &str,
) -> ApiResult<Vec<FlowForUser>> {
    principal.require(Scopes::FLOW, "flow")?;
    let (record, _) =
        crate::organizations::members::caller_org(store, principal.user.id, org).await?;
    let flows = store.flows_for_user(principal.user.id, true).await?;
    Ok(flows
        .into_iter()
        .filter(|f| f.flow.org.id == record.id)
        .collect())
}

/// Applies `PUT /flows/:org/:flow`. Anyone who can see an organization flow may join it by
/// setting `open`, and members open and close their own tab with it. Members and the
/// organization's admins may rename the flow and change its access mode; only organization
/// admins may disable (archive) it or enable it again.
/// The scopes a change needs: opening, closing or joining the flow is using it (`flow`);
/// renaming it, changing its access mode or disabling it is managing it (`manage`).
pub fn may_update(principal: &Principal, input: &UpdateFlow) -> ApiResult<()> {
    if input.open.is_some() {
        principal.require(Scopes::FLOW, "flow")?;
    }
    if input.name.is_some() || input.access_mode.is_some() || input.disabled.is_some() {
        principal.require(Scopes::MANAGE, "manage")?;
    }
    // An empty change still reads the flow back.
    principal.require_any(Scopes::FLOW | Scopes::MANAGE, "`flow` or `manage`")
}

pub async fn update_flow(
    store: &DynStore,
    principal: &Principal,
    current: FlowForUser,
    input: UpdateFlow,
) -> ApiResult<FlowForUser> {
    may_update(principal, &input)?;
    let user_id = principal.user.id;
    let name = input.name.as_deref().map(validate_name).transpose()?;
    let wants_metadata = name.is_some() || input.access_mode.is_some() || input.disabled.is_some();
    // Every check comes before the first write, so a refused change leaves nothing behind
    // (not even the join that `open: true` would have made).
    if wants_metadata {
        let admin = store.org_membership(current.flow.org.id, user_id).await? == Some(true);
        if input.disabled.is_some() && !admin {
            return Err(ApiError::Forbidden(
                "Only organization admins can disable or enable a flow".into(),
            ));
        }
        let member = current.membership.is_some() || input.open == Some(true);
        if !member && !admin {
            return Err(ApiError::Forbidden(
                "Join the flow before changing it".into(),
            ));
        }
    }
    let mut membership = current.membership;
    if let Some(open) = input.open {
        if membership.is_some() || open {
            store
                .set_flow_member(&current.flow.id, user_id, open)
                .await?;
            membership = Some(crate::store::FlowMembership { open });
        }
    }
    let flow = if wants_metadata {
        let changes = FlowChanges {
            name,
            disabled: input.disabled,
            access_mode: input.access_mode,
        };
        store.update_flow(&current.flow.id, changes).await?
    } else {
        current.flow
    };
    Ok(FlowForUser { flow, membership })
}
