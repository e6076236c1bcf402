//! Changing an organization: its display name, by its admins (`PUT /organizations/:org`).
//! The `parameterized_name` stays, so that no URL of the organization, its flows or their
//! join links changes under the people and integrations that hold them.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use tributary_types::Organization;

use super::members::caller_org;
use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::input::{lenient, Input};
use crate::state::AppState;
use crate::store::{DynStore, OrgRecord};

/// As a flow's name (flowdock/api-docs docs/Flows.md); Organizations.md gives no limit.
pub const MAX_NAME_CHARS: usize = 100;

/// Renames `org` for `principal`: a 404 for an outsider (as every organization lookup), a
/// 403 for a member who is not an admin, and only then is the name checked.
pub async fn rename(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    name: Option<&str>,
) -> ApiResult<OrgRecord> {
    principal.require(Scopes::MANAGE, "manage")?;
    let (record, admin) = caller_org(store, principal.user.id, org).await?;
    if !admin {
        return Err(ApiError::Forbidden(
            "Only organization admins can change the organization".into(),
        ));
    }
    let name = crate::names::display_name(name.unwrap_or_default(), MAX_NAME_CHARS)?;
    let not_found = || ApiError::NotFound("Organization not found".into());
    if !store.rename_org(record.id, &name).await? {
        return Err(not_found());
    }
    store
        .org_by_name(&record.parameterized_name)
        .await?
        .ok_or_else(not_found)
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
}

/// PUT /organizations/:org
pub async fn update_organization(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
    Input(p): Input<UpdateParams>,
) -> ApiResult<Json<Organization>> {
    let org = rename(&state.store, &principal, &org, p.name.as_deref()).await?;
    super::with_members(&state, &org).await
}
