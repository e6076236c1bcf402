//! An organization's users, one at a time: reading one, and, for the organization's admins,
//! making or unmaking admins and removing users. Removing a user takes it out of every flow
//! of the organization too, so its open streams of those flows end at the next keep-alive
//! (`state::revocation` re-reads each stream's memberships) and its next request is an
//! outsider's. An organization always keeps an admin: the store refuses, atomically, to
//! demote or remove the last one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tributary_types::User;

use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::input::{lenient, Input};
use crate::state::{AppState, Urls};
use crate::store::{DynStore, MemberChange, OrgMember, OrgRecord};

fn user_not_found() -> ApiError {
    ApiError::NotFound("User not found".into())
}

fn last_admin() -> ApiError {
    ApiError::Conflict("An organization must keep at least one admin".into())
}

/// An organization user as the API shows it: the user with its `admin` flag.
pub fn view(urls: &Urls, m: &OrgMember) -> User {
    User {
        admin: Some(m.admin),
        ..crate::users::view(urls, &m.user)
    }
}

/// The organization and the caller's admin flag, when the caller belongs to it.
pub async fn caller_org(store: &DynStore, user_id: i64, org: &str) -> ApiResult<(OrgRecord, bool)> {
    let not_found = || ApiError::NotFound("Organization not found".into());
    let record = store.org_by_name(org).await?.ok_or_else(not_found)?;
    let admin = store
        .org_membership(record.id, user_id)
        .await?
        .ok_or_else(not_found)?;
    Ok((record, admin))
}

async fn member(store: &DynStore, org: &OrgRecord, id: &str) -> ApiResult<OrgMember> {
    let id = id.parse::<i64>().map_err(|_| user_not_found())?;
    let admin = store
        .org_membership(org.id, id)
        .await?
        .ok_or_else(user_not_found)?;
    let user = store.user_by_id(id).await?.ok_or_else(user_not_found)?;
    Ok(OrgMember { user, admin })
}

fn require_admin(admin: bool) -> ApiResult<()> {
    match admin {
        true => Ok(()),
        false => Err(ApiError::Forbidden(
            "Only organization admins can change its users".into(),
        )),
    }
}

fn done(change: MemberChange) -> ApiResult<()> {
    match change {
        MemberChange::Done => Ok(()),
        MemberChange::NotMember => Err(user_not_found()),
        MemberChange::LastAdmin => Err(last_admin()),
    }
}

/// Makes the user an admin of `org`, or a regular member.
pub async fn set_admin(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    id: &str,
    admin: bool,
) -> ApiResult<OrgMember> {
    principal.require(Scopes::MANAGE, "manage")?;
    let (org, caller_admin) = caller_org(store, principal.user.id, org).await?;
    require_admin(caller_admin)?;
    let target = member(store, &org, id).await?;
    done(store.set_org_admin(org.id, target.user.id, admin).await?)?;
    Ok(OrgMember { admin, ..target })
}

/// Removes the user from `org` and its flows. Admins remove anyone; anyone may leave.
pub async fn remove(store: &DynStore, principal: &Principal, org: &str, id: &str) -> ApiResult<()> {
    principal.require(Scopes::MANAGE, "manage")?;
    let me = principal.user.id;
    let (org, caller_admin) = caller_org(store, me, org).await?;
    let target = member(store, &org, id).await?;
    if target.user.id != me {
        require_admin(caller_admin)?;
    }
    done(store.remove_org_member(org.id, target.user.id).await?)
}

/// GET /organizations/:org/users/:id
pub async fn show_org_user(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<Json<User>> {
    crate::users::may_see_people(&principal)?;
    let (org, _) = caller_org(&state.store, principal.user.id, &org).await?;
    let m = member(&state.store, &org, &id).await?;
    Ok(Json(view(&state.urls, &m)))
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    admin: Option<bool>,
}

/// PUT /organizations/:org/users/:id
pub async fn update_org_user(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, id)): Path<(String, String)>,
    Input(p): Input<UpdateParams>,
) -> ApiResult<Json<User>> {
    principal.require(Scopes::MANAGE, "manage")?;
    let admin = p
        .admin
        .ok_or_else(|| ApiError::field("admin", "is required"))?;
    let m = set_admin(&state.store, &principal, &org, &id, admin).await?;
    Ok(Json(view(&state.urls, &m)))
}

/// DELETE /organizations/:org/users/:id
pub async fn remove_org_user(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    remove(&state.store, &principal, &org, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
