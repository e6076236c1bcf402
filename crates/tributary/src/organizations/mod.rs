//! Organizations: listing, showing, finding by id, renaming, their users, and creation for
//! the admin CLI.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use tributary_types::{Organization, OrganizationMember, User};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::input::{lenient, Input};
use crate::names::{parameterize, RESERVED};
use crate::state::{AppState, Urls};
use crate::store::{DynStore, NewOrg, OrgMember, OrgRecord};
use axum::routing::get;
use axum::Router;

pub mod members;
pub mod rename;

/// `/organizations`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(list_organizations))
        .route("/organizations/find", get(find_organization))
        .route(
            "/organizations/{org}",
            get(show_organization).put(rename::update_organization),
        )
        .route("/organizations/{org}/users", get(list_organization_users))
        .route(
            "/organizations/{org}/users/{id}",
            get(members::show_org_user)
                .put(members::update_org_user)
                .delete(members::remove_org_user),
        )
}

pub fn view(urls: &Urls, o: &OrgRecord, members: Option<&[OrgMember]>) -> Organization {
    Organization {
        id: o.id,
        name: o.name.clone(),
        parameterized_name: o.parameterized_name.clone(),
        user_limit: o.user_limit,
        user_count: o.user_count,
        active: o.active,
        url: urls.organization(&o.parameterized_name),
        users: members.map(|ms| {
            ms.iter()
                .map(|m| OrganizationMember {
                    id: m.user.id,
                    name: m.user.name.clone(),
                    email: m.user.email.clone(),
                    admin: m.admin,
                })
                .collect()
        }),
    }
}

/// Creates an organization; `owner`, when given, becomes its first admin.
pub async fn create_org(store: &DynStore, name: &str, owner: Option<&str>) -> ApiResult<OrgRecord> {
    let name = name.trim();
    let pname = parameterize(name);
    if pname.is_empty() || RESERVED.contains(&pname.as_str()) {
        return Err(ApiError::field(
            "name",
            "must contain a letter or digit and not be a reserved word",
        ));
    }
    let owner =
        match owner {
            Some(email) => Some(store.user_by_email(email).await?.ok_or_else(|| {
                ApiError::field("owner", format!("no user has the email {email}"))
            })?),
            None => None,
        };
    let org = store
        .create_org(NewOrg {
            name: name.to_owned(),
            parameterized_name: pname,
            user_limit: 0,
        })
        .await?;
    if let Some(owner) = owner {
        store.add_org_member(org.id, owner.id, true).await?;
    }
    Ok(store
        .org_by_name(&org.parameterized_name)
        .await?
        .unwrap_or(org))
}

/// Adds the user with `email` to the organization, as an admin when `admin` is set.
pub async fn add_user(
    store: &DynStore,
    org: &str,
    email: &str,
    admin: bool,
) -> ApiResult<(OrgRecord, i64)> {
    let org = store
        .org_by_name(org)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Organization {org} not found")))?;
    let user = store
        .user_by_email(email)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("No user has the email {email}")))?;
    store.add_org_member(org.id, user.id, admin).await?;
    Ok((org, user.id))
}

/// The organization, if the caller belongs to it; 404 otherwise, so that names do not leak.
async fn member_org(state: &AppState, principal: &Principal, org: &str) -> ApiResult<OrgRecord> {
    let (record, _) = members::caller_org(&state.store, principal.user.id, org).await?;
    Ok(record)
}

/// GET /organizations
pub async fn list_organizations(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Organization>>> {
    crate::users::may_see_people(&principal)?;
    let orgs = state.store.orgs_of_user(principal.user.id).await?;
    let mut out = Vec::with_capacity(orgs.len());
    for org in &orgs {
        let members = state.store.org_members(org.id).await?;
        out.push(view(&state.urls, org, Some(&members)));
    }
    Ok(Json(out))
}

/// GET /organizations/:org
pub async fn show_organization(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
) -> ApiResult<Json<Organization>> {
    crate::users::may_see_people(&principal)?;
    let org = member_org(&state, &principal, &org).await?;
    with_members(&state, &org).await
}

/// The organization's JSON as `GET /organizations/:org` shows it, with its members.
async fn with_members(state: &AppState, org: &OrgRecord) -> ApiResult<Json<Organization>> {
    let members = state.store.org_members(org.id).await?;
    Ok(Json(view(&state.urls, org, Some(&members))))
}

/// The organization with the persistent `id`, looked up among the caller's own organizations
/// only: one it does not belong to is a 404, as by name, and so is any id that is no number.
pub async fn find_by_id(
    store: &DynStore,
    principal: &Principal,
    id: Option<&str>,
) -> ApiResult<OrgRecord> {
    crate::users::may_see_people(principal)?;
    let id = id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| ApiError::field("id", "is required"))?;
    let not_found = || ApiError::NotFound("Organization not found".into());
    let id = id.trim().parse::<i64>().map_err(|_| not_found())?;
    store
        .orgs_of_user(principal.user.id)
        .await?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or_else(not_found)
}

#[derive(Debug, Deserialize)]
pub struct FindParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    id: Option<String>,
}

/// GET /organizations/find?id=:id
pub async fn find_organization(
    State(state): State<AppState>,
    principal: Principal,
    Input(params): Input<FindParams>,
) -> ApiResult<Json<Organization>> {
    let org = find_by_id(&state.store, &principal, params.id.as_deref()).await?;
    with_members(&state, &org).await
}

/// GET /organizations/:org/users
pub async fn list_organization_users(
    State(state): State<AppState>,
    principal: Principal,
    Path(org): Path<String>,
) -> ApiResult<Json<Vec<User>>> {
    crate::users::may_see_people(&principal)?;
    let org = member_org(&state, &principal, &org).await?;
    let members = state.store.org_members(org.id).await?;
    Ok(Json(
        members
            .iter()
            .map(|m| members::view(&state.urls, m))
            .collect(),
    ))
}
