//! A flow's settings page: renaming it, its access mode, archiving it (organization admins),
//! and its members, added by email and removed. Each form calls the domain function the API
//! calls (`PUT /flows/:org/:flow`, `POST` and `DELETE .../users`), so the rules are the same;
//! a refused change shows its reason above the forms.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use tributary_types::{AccessMode, UpdateFlow};

use super::error::WebError;
use super::frame::{frame, FlowFrame};
use super::html;
use super::manage::{redirect_or_refused, ManageForm};
use crate::auth::session::SignedIn;
use crate::error::ApiResult;
use crate::flows::members::{add_member, remove_member, Target};
use crate::input::Params;
use crate::state::AppState;

pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub nick: String,
    pub email: String,
    pub org_admin: bool,
    pub me: bool,
}

pub struct ModeOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "flow_settings.html")]
struct SettingsPage {
    nav: super::Nav,
    frame: FlowFrame,
    members: Vec<MemberRow>,
    modes: Vec<ModeOption>,
    admin: bool,
    notice: Option<&'static str>,
    error: Option<String>,
}

const MODES: [(AccessMode, &str); 3] = [
    (AccessMode::Invitation, "Invitation only"),
    (AccessMode::Link, "Anyone with the join link"),
    (AccessMode::Organization, "Everyone in the organization"),
];

async fn render(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    flow: &str,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let frame = frame(state, signed, org, flow).await?;
    let org_members = state.store.org_members(frame.flow.org.id).await?;
    let admin = org_members
        .iter()
        .any(|m| m.user.id == signed.user.id && m.admin);
    let members = state
        .store
        .flow_members(&frame.flow.id)
        .await?
        .into_iter()
        .map(|u| MemberRow {
            org_admin: org_members.iter().any(|m| m.user.id == u.id && m.admin),
            me: u.id == signed.user.id,
            id: u.id,
            name: u.name,
            nick: u.nick,
            email: u.email,
        })
        .collect();
    let modes = MODES
        .iter()
        .map(|(mode, label)| ModeOption {
            value: mode.as_str(),
            label,
            selected: *mode == frame.flow.access_mode,
        })
        .collect();
    html(SettingsPage {
        nav: frame.nav.clone(),
        frame,
        members,
        modes,
        admin,
        notice,
        error,
    })
}

/// A form's answer: back to the settings with `done` (or where `done` says, when it is a
/// path), or the page with the refusal.
async fn after(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    flow: &str,
    done: ApiResult<&str>,
) -> Result<Response, WebError> {
    let to = done.map(|to| match to.starts_with('/') {
        true => to.to_owned(),
        false => format!("/app/{org}/{flow}/settings?done={to}"),
    });
    redirect_or_refused(to, |m| render(state, signed, org, flow, None, Some(m))).await
}

/// GET /app/:org/:flow/settings
pub async fn show_flow_settings(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow)): Path<(String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    let notice = match params.get_str("done") {
        Some("saved") => Some("The flow was saved."),
        Some("added") => Some("The member was added."),
        Some("removed") => Some("The member was removed."),
        _ => None,
    };
    render(&state, &signed, &org, &flow, notice, None).await
}

/// POST /app/:org/:flow/settings: `name` and `access_mode`, or `disabled` alone.
pub async fn update_flow_settings(
    State(state): State<AppState>,
    Path((org, flow)): Path<(String, String)>,
    ManageForm(signed, params, principal): ManageForm,
) -> Result<Response, WebError> {
    let input = UpdateFlow {
        name: params.get_str("name").map(str::to_owned),
        open: None,
        disabled: params.get_str("disabled").map(|d| d == "true"),
        access_mode: params.get_str("access_mode").and_then(AccessMode::parse),
    };
    let current = crate::flows::visible_flow(&state.store, signed.user.id, &org, &flow).await?;
    let saved = crate::flows::update_flow(&state.store, &principal, current, input).await;
    after(&state, &signed, &org, &flow, saved.map(|_| "saved")).await
}

/// POST /app/:org/:flow/members: `email` of the person to add.
pub async fn add_flow_member(
    State(state): State<AppState>,
    Path((org, flow)): Path<(String, String)>,
    ManageForm(signed, params, principal): ManageForm,
) -> Result<Response, WebError> {
    let target = params.get_str("email").map(|e| Target::Email(e.to_owned()));
    let added = add_member(&state.store, &principal, &org, &flow, target).await;
    after(&state, &signed, &org, &flow, added.map(|()| "added")).await
}

/// POST /app/:org/:flow/members/:id/remove. Leaving the flow oneself goes back to `/app`.
pub async fn remove_flow_member(
    State(state): State<AppState>,
    Path((org, flow, id)): Path<(String, String, String)>,
    ManageForm(signed, _, principal): ManageForm,
) -> Result<Response, WebError> {
    let left = id == signed.user.id.to_string();
    let removed = remove_member(&state.store, &principal, &org, &flow, &id).await;
    let to = removed.map(|()| if left { "/app" } else { "removed" });
    after(&state, &signed, &org, &flow, to).await
}
