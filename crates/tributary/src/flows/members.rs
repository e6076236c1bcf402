//! A flow's members, added and removed by the people who run the flow: its members and the
//! admins of its organization (flowdock/api-docs docs/users.md, "Add a user to flow"). A
//! removed member's open streams end at the next keep-alive, as the stream sweeper re-reads
//! every stream's memberships (`state::revocation`), and its next request is a non-member's.

use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::store::{DynStore, FlowRecord};

/// Whom to add: by user id, as the docs show, or by email, as the web page asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Id(i64),
    Email(String),
}

/// The flow, when the caller may manage its members, and whether the caller administers its
/// organization. Organization admins manage every flow of it, joined or not; anyone else must
/// have joined, and meets the 404 or 403 of [`super::visible_flow`] and
/// [`super::require_joined`] otherwise.
pub async fn managed_flow(
    store: &DynStore,
    user_id: i64,
    org: &str,
    flow: &str,
) -> ApiResult<(FlowRecord, bool)> {
    let record = store
        .flow_by_name(org, flow)
        .await?
        .ok_or_else(super::flow_not_found)?;
    if store.org_membership(record.org.id, user_id).await? == Some(true) {
        return Ok((record, true));
    }
    let joined = super::require_joined(super::visible(store, user_id, record).await?)?;
    Ok((joined, false))
}

fn user_not_found() -> ApiError {
    ApiError::NotFound("User not found".into())
}

/// Adds a member of the flow's organization to the flow; adding a member again changes
/// nothing (its `open` stays as it was).
pub async fn add_member(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    flow: &str,
    target: Option<Target>,
) -> ApiResult<()> {
    principal.require(Scopes::MANAGE, "manage")?;
    let (flow, _) = managed_flow(store, principal.user.id, org, flow).await?;
    let (field, user) = match target {
        None => return Err(ApiError::field("id", "is required")),
        Some(Target::Id(id)) => ("id", store.user_by_id(id).await?),
        Some(Target::Email(email)) => ("email", store.user_by_email(email.trim()).await?),
    };
    // One answer for "no such user" and "not in this organization": an id or an email
    // probed here tells nothing about accounts elsewhere.
    let not_in_org = || ApiError::field(field, "is not a member of the flow's organization");
    let user = user.ok_or_else(not_in_org)?;
    if store.org_membership(flow.org.id, user.id).await?.is_none() {
        return Err(not_in_org());
    }
    if store.flow_membership(&flow.id, user.id).await?.is_none() {
        store.set_flow_member(&flow.id, user.id, true).await?;
    }
    Ok(())
}

/// Removes a member from the flow. Anyone who manages the flow may remove a regular member
/// or leave it; only organization admins remove admins (the rule docs/users.md gives for
/// blocking).
pub async fn remove_member(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    flow: &str,
    target: &str,
) -> ApiResult<()> {
    principal.require(Scopes::MANAGE, "manage")?;
    let me = principal.user.id;
    let (flow, admin) = managed_flow(store, me, org, flow).await?;
    let target = target.parse::<i64>().map_err(|_| user_not_found())?;
    if store.flow_membership(&flow.id, target).await?.is_none() {
        return Err(user_not_found());
    }
    if target != me && !admin && store.org_membership(flow.org.id, target).await? == Some(true) {
        return Err(ApiError::Forbidden(
            "Only organization admins can remove an organization admin from a flow".into(),
        ));
    }
    store.remove_flow_member(&flow.id, target).await?;
    Ok(())
}

/// Blocks a user from the flow (`disabled: true`), which removes it and keeps it from joining
/// again by any way, or lifts the block. docs/users.md: "Organization admins can block anyone
/// (including other admins), but regular users can only block other regular users."
pub async fn block_member(
    store: &DynStore,
    principal: &Principal,
    org: &str,
    flow: &str,
    target: &str,
    disabled: bool,
) -> ApiResult<()> {
    principal.require(Scopes::MANAGE, "manage")?;
    let me = principal.user.id;
    let (flow, admin) = managed_flow(store, me, org, flow).await?;
    let target = target.parse::<i64>().map_err(|_| user_not_found())?;
    // Someone of the organization, or a member from outside it: anyone else is not found.
    let in_org = store.org_membership(flow.org.id, target).await?;
    if in_org.is_none() && store.flow_membership(&flow.id, target).await?.is_none() {
        return Err(user_not_found());
    }
    if target == me {
        return Err(ApiError::Forbidden("You cannot block yourself".into()));
    }
    if !admin && in_org == Some(true) {
        return Err(ApiError::Forbidden(
            "Only organization admins can block an organization admin".into(),
        ));
    }
    store.set_flow_block(&flow.id, target, disabled).await?;
    Ok(())
}
