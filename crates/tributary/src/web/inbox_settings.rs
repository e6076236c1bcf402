//! Inbox Settings of a flow: its integrations (sources) with their errors shown prominently,
//! Configure, Remove behind a confirmation step, and "Add integration", which lists the
//! published applications and the user's own and starts each one's setup URI.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::frame::{badge, frame, joined, sources_with_apps, FlowFrame, SourceBadge};
use super::html;
use super::manage::PostedForm;
use super::shell::flow_path;
use super::views::Avatar;
use crate::auth::flow_token::RemovalReason;
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::input::Params;
use crate::sources::rotate::Rotator;
use crate::sources::view::iso_millis;
use crate::state::AppState;

pub struct SourceRow {
    pub badge: SourceBadge,
    pub health: tributary_types::SourceHealth,
    /// Where the rotate form posts.
    pub rotate: String,
    pub creator: Option<String>,
    pub created: String,
    pub created_iso: String,
    pub configure: Option<String>,
    pub remove: String,
}

pub struct AddableApp {
    pub id: i64,
    pub name: String,
    pub icon: Avatar,
    pub mine: bool,
    pub published: bool,
    /// Where "Add" goes; `None` when the application has no setup URI.
    pub setup: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox_settings.html")]
struct SettingsPage {
    nav: super::Nav,
    frame: FlowFrame,
    rows: Vec<SourceRow>,
    apps: Vec<AddableApp>,
    notice: Option<String>,
}

/// GET /app/:org/:flow/settings/inbox
pub async fn show_inbox_settings(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow)): Path<(String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    let frame = frame(&state, &signed, &org, &flow).await?;
    let api_path = format!(
        "/flows/{}/{}",
        frame.flow.org.parameterized_name, frame.flow.parameterized_name
    );
    let mut rows = Vec::new();
    for (s, app) in sources_with_apps(&state, &frame.flow).await? {
        let creator = match s.creator_id {
            Some(id) => state.store.user_by_id(id).await?.map(|u| u.name),
            None => None,
        };
        let created_iso = iso_millis(s.created_at);
        rows.push(SourceRow {
            created: created_iso.get(..10).unwrap_or_default().to_owned(),
            created_iso,
            configure: (app.configuration_uri.is_some() || s.configuration_url.is_some())
                .then(|| format!("{api_path}/sources/{}/configure", s.id)),
            remove: format!("{}/sources/{}/remove", frame.path, s.id),
            rotate: format!("{}/sources/{}/rotate", frame.path, s.id),
            health: crate::sources::health::of(&state.store, &s).await?,
            creator,
            badge: badge(&s, &app),
        });
    }
    let mut apps = Vec::new();
    let own = state.store.apps_of_owner(signed.user.id).await?;
    let published = state.store.list_apps(true).await?;
    for app in published.iter().chain(own.iter()) {
        if apps.iter().any(|a: &AddableApp| a.id == app.id) {
            continue;
        }
        apps.push(AddableApp {
            id: app.id,
            name: app.name.clone(),
            icon: Avatar::of(&app.name, app.icon_url.as_deref()),
            mine: app.owner_id == signed.user.id,
            published: app.published,
            setup: app
                .setup_uri
                .is_some()
                .then(|| format!("{api_path}/integrations/new?app={}", app.id)),
        });
    }
    // Only a source of this flow that really was removed is named, so a crafted link
    // cannot put words on the page.
    let removed = match params.get_str("removed").and_then(|id| id.parse().ok()) {
        Some(id) => state.store.source_by_id(id).await?,
        None => None,
    };
    let notice = removed
        .filter(|s| s.flow_id == frame.flow.id && s.removed_at.is_some())
        .map(|s| format!("{} was removed. Its flow token no longer works.", s.name));
    html(SettingsPage {
        nav: frame.nav.clone(),
        frame,
        rows,
        apps,
        notice,
    })
}

#[derive(Template)]
#[template(path = "source_remove.html")]
struct RemovePage {
    nav: super::Nav,
    frame: FlowFrame,
    source: SourceBadge,
    action: String,
}

/// GET /app/:org/:flow/sources/:id/remove: the confirmation step.
pub async fn confirm_remove_source(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let frame = frame(&state, &signed, &org, &flow).await?;
    let source = crate::sources::source_in_flow(&state.store, &frame.flow, &id).await?;
    let app = state
        .store
        .app_by_id(source.app_id)
        .await?
        .ok_or_else(|| crate::error::ApiError::NotFound("Application not found".into()))?;
    html(RemovePage {
        nav: frame.nav.clone(),
        action: format!("{}/sources/{}/remove", frame.path, source.id),
        source: badge(&source, &app),
        frame,
    })
}

/// POST /app/:org/:flow/sources/:id/remove
///
/// From the next request on, the source's `flow_token` answers 410 Gone.
pub async fn remove_source(
    State(state): State<AppState>,
    Path((org, flow, id)): Path<(String, String, String)>,
    PostedForm { signed, .. }: PostedForm,
) -> Result<Response, WebError> {
    let flow = joined(&state, &signed, &org, &flow).await?;
    let source = crate::sources::source_in_flow(&state.store, &flow, &id).await?;
    crate::sources::remove(&state.store, source.id, RemovalReason::Removed).await?;
    Ok(Redirect::to(&format!(
        "{}/settings/inbox?removed={}",
        flow_path(&flow),
        source.id
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "source_rotated.html")]
struct RotatedPage {
    nav: super::Nav,
    frame: FlowFrame,
    name: String,
    token: String,
    grace_until: Option<String>,
}

/// POST /app/:org/:flow/sources/:id/rotate: a new `flow_token`, shown on this page only
/// (never in a URL or a redirect); `grace=0` ends the old token at once.
pub async fn rotate_source(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow, id)): Path<(String, String, String)>,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let grace = match params.get_str("grace").filter(|g| !g.is_empty()) {
        Some(g) => Some(
            g.parse()
                .map_err(|_| crate::error::ApiError::field("grace", "must be a number"))?,
        ),
        None => None,
    };
    let rotated = crate::sources::rotate::rotate_source(
        &state,
        Rotator::Member(signed.user.id),
        (&org, &flow, &id),
        grace,
    )
    .await?;
    let frame = frame(&state, &signed, &org, &flow).await?;
    html(RotatedPage {
        nav: frame.nav.clone(),
        frame,
        name: rotated.name,
        token: rotated.flow_token.unwrap_or_default(),
        grace_until: rotated.health.and_then(|h| h.previous_token_expires_at),
    })
}
