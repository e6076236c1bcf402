//! An organization's page, `/manage/:org`: its users with their admin flags and its flows,
//! creating a flow (any member), and, for its admins, making admins and removing users. The
//! forms call the domain functions of `POST /flows/:org` and `PUT`/`DELETE
//! /organizations/:org/users/:id`, so the rules (the last admin stays) are the API's.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tributary_types::AccessMode;

use super::error::WebError;
use super::manage::{redirect_or_refused, ManageForm};
use super::shell::flow_path;
use super::{html, Nav};
use crate::auth::session::SignedIn;
use crate::error::ApiResult;
use crate::input::Params;
use crate::organizations::members::{caller_org, remove, set_admin};
use crate::state::AppState;

pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub admin: bool,
    pub me: bool,
}

pub struct FlowRow {
    pub name: String,
    pub path: String,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    nav: Nav,
    csrf: String,
    name: String,
    base: String,
    admin: bool,
    users: Vec<UserRow>,
    flows: Vec<FlowRow>,
    notice: Option<&'static str>,
    error: Option<String>,
}

/// A form's answer: a redirect to where the change leads, or the page with its refusal.
async fn after(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    done: ApiResult<String>,
) -> Result<Response, WebError> {
    redirect_or_refused(done, |m| render(state, signed, org, None, Some(m))).await
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let me = signed.user.id;
    let (org, admin) = caller_org(&state.store, me, org).await?;
    let users = state
        .store
        .org_members(org.id)
        .await?
        .into_iter()
        .map(|m| UserRow {
            id: m.user.id,
            me: m.user.id == me,
            name: m.user.name,
            email: m.user.email,
            admin: m.admin,
        })
        .collect();
    let flows = state
        .store
        .flows_for_user(me, true)
        .await?
        .into_iter()
        .filter(|f| f.flow.org.id == org.id && f.membership.is_some())
        .map(|f| FlowRow {
            path: flow_path(&f.flow),
            name: f.flow.name,
        })
        .collect();
    html(OrgPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        base: format!("/manage/{}", org.parameterized_name),
        name: org.name,
        admin,
        users,
        flows,
        notice,
        error,
    })
}

/// GET /manage/:org
pub async fn show_org(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(org): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    let notice = match params.get_str("done") {
        Some("admin") => Some("The admin flag was changed."),
        Some("removed") => Some("The user was removed from the organization and its flows."),
        _ => None,
    };
    render(&state, &signed, &org, notice, None).await
}

/// POST /manage/:org/flows: creates a flow and opens it.
pub async fn create_org_flow(
    State(state): State<AppState>,
    Path(org): Path<String>,
    ManageForm(signed, params, principal): ManageForm,
) -> Result<Response, WebError> {
    let name = params.get_str("name").unwrap_or_default();
    let mode = params
        .get_str("access_mode")
        .and_then(AccessMode::parse)
        .unwrap_or(AccessMode::Invitation);
    let made = crate::flows::create_flow_as(&state.store, &principal, &org, name, mode).await;
    after(&state, &signed, &org, made.map(|flow| flow_path(&flow))).await
}

/// POST /manage/:org/users/:id/admin (`admin=true|false`)
pub async fn set_org_admin(
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
    ManageForm(signed, params, principal): ManageForm,
) -> Result<Response, WebError> {
    let admin = params.get_str("admin") == Some("true");
    let set = set_admin(&state.store, &principal, &org, &id, admin).await;
    after(
        &state,
        &signed,
        &org,
        set.map(|_| format!("/manage/{org}?done=admin")),
    )
    .await
}

/// POST /manage/:org/users/:id/remove. Leaving the organization oneself goes to `/app`.
pub async fn remove_org_user(
    State(state): State<AppState>,
    Path((org, id)): Path<(String, String)>,
    ManageForm(signed, _, principal): ManageForm,
) -> Result<Response, WebError> {
    let left = id == signed.user.id.to_string();
    let removed = remove(&state.store, &principal, &org, &id)
        .await
        .map(|()| match left {
            true => "/app".to_owned(),
            false => format!("/manage/{org}?done=removed"),
        });
    after(&state, &signed, &org, removed).await
}
