//! A flow's join link (flowdock/api-docs docs/Join-Url.md): reading it, resetting it (a new
//! token, so the old link stops working), and turning it off.

use tributary_types::{AccessMode, JoinUrl};

use super::require_flow_admin;
use crate::auth::{Principal, Scopes};
use crate::error::ApiResult;
use crate::flows;
use crate::secrets;
use crate::state::AppState;
use crate::store::{FlowChanges, FlowRecord};

pub fn view(state: &AppState, flow: &FlowRecord) -> JoinUrl {
    JoinUrl {
        join_url: match flow.access_mode {
            AccessMode::Invitation => None,
            _ => Some(state.urls.join(&flow.join_token, &flow.parameterized_name)),
        },
    }
}

/// GET: any member, with `flow`.
pub async fn show(
    state: &AppState,
    principal: &Principal,
    org: &str,
    flow: &str,
) -> ApiResult<JoinUrl> {
    let flow = flows::joined_by(&state.store, principal, org, flow).await?;
    Ok(view(state, &flow))
}

/// POST: a new join token, and the link turned on (`access_mode` `link` when it was
/// `invitation`). Organization admins, with `manage`.
pub async fn reset(
    state: &AppState,
    principal: &Principal,
    org: &str,
    flow: &str,
) -> ApiResult<JoinUrl> {
    let flow = admin_flow(state, principal, org, flow).await?;
    let flow = reset_flow(state, &flow).await?;
    Ok(view(state, &flow))
}

/// A new join token for `flow`, whose admin the caller was found to be, and the link on.
pub async fn reset_flow(state: &AppState, flow: &FlowRecord) -> ApiResult<FlowRecord> {
    let flow = state
        .store
        .reset_join_token(&flow.id, &secrets::new_token(20))
        .await?;
    match flow.access_mode {
        AccessMode::Invitation => set_mode(state, &flow, AccessMode::Link).await,
        _ => Ok(flow),
    }
}

/// DELETE: the link turned off (`access_mode` `invitation`), with a new token so that
/// turning it on again does not revive the old link. Organization admins, with `manage`.
pub async fn disable(
    state: &AppState,
    principal: &Principal,
    org: &str,
    flow: &str,
) -> ApiResult<()> {
    let flow = admin_flow(state, principal, org, flow).await?;
    let flow = state
        .store
        .reset_join_token(&flow.id, &secrets::new_token(20))
        .await?;
    if flow.access_mode != AccessMode::Invitation {
        set_mode(state, &flow, AccessMode::Invitation).await?;
    }
    Ok(())
}

async fn admin_flow(
    state: &AppState,
    principal: &Principal,
    org: &str,
    flow: &str,
) -> ApiResult<FlowRecord> {
    // `manage` alone suffices: changing who may join is managing the flow, not using it.
    principal.require(Scopes::MANAGE, "manage")?;
    let flow = flows::joined(&state.store, principal.user.id, org, flow).await?;
    require_flow_admin(state, principal.user.id, &flow).await?;
    Ok(flow)
}

async fn set_mode(state: &AppState, flow: &FlowRecord, mode: AccessMode) -> ApiResult<FlowRecord> {
    let changes = FlowChanges {
        access_mode: Some(mode),
        ..FlowChanges::default()
    };
    Ok(state.store.update_flow(&flow.id, changes).await?)
}
