//! `GET /messages` (flowdock/api-docs docs/Messages-Get.md): the old API's list of a flow's
//! messages, which took the flow from the host name (`subdomain:flow`). With no host name to
//! read, the flow comes from the `flow` parameter, in any form a client has at hand: the
//! flow's id (a message's `flow`), `organization/flow`, or the old `organization:flow`.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use super::read::{list_in, ListParams};
use crate::auth::{Principal, Scopes};
use crate::error::{err, ApiError, ApiResult, FieldErrors};
use crate::flows::{joined, require_joined, visible_flow_by_id};
use crate::input::Input;
use crate::state::AppState;
use crate::store::FlowRecord;

/// GET /messages?flow=:flow
pub async fn list_any_messages(
    State(state): State<AppState>,
    principal: Principal,
    uri: Uri,
    Input(params): Input<ListParams>,
) -> ApiResult<Response> {
    let flow = named_flow(&state, &principal, flow_param(&uri)).await?;
    list_in(&state.store, &flow, params).await
}

/// The `flow` of the query string; `Input` reads the list filters from the same string.
fn flow_param(uri: &Uri) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "flow")
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The flow `name` names, when the caller has joined it; else the same 404 as every flow path.
async fn named_flow(
    state: &AppState,
    principal: &Principal,
    name: Option<String>,
) -> ApiResult<FlowRecord> {
    principal.require(Scopes::FLOW, "flow")?;
    let Some(name) = name else {
        let mut errors = FieldErrors::new();
        err(
            &mut errors,
            "flow",
            "is required: a flow id or organization/flow",
        );
        return Err(ApiError::Validation(errors));
    };
    let me = principal.user.id;
    match name.split_once(['/', ':']) {
        Some((org, flow)) => joined(&state.store, me, org, flow).await,
        None => require_joined(visible_flow_by_id(&state.store, me, &name).await?),
    }
}
