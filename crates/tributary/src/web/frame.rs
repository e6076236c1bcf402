//! What every page of a flow shares: the sidebar of flows, the flow's header with its
//! integrations' avatar list (a source with an error is marked, its message on hover and
//! focus), and the membership check.

use super::error::WebError;
use super::shell::{flow_links, flow_path, FlowLink};
use super::views::Avatar;
use super::Nav;
use crate::auth::session::SignedIn;
use crate::state::AppState;
use crate::store::{AppRecord, FlowRecord, SourceRecord};

/// One integration of the flow, as its avatar shows it.
pub struct SourceBadge {
    pub id: i64,
    pub name: String,
    pub app_name: String,
    pub icon: Avatar,
    pub error: Option<String>,
}

pub struct FlowFrame {
    pub nav: Nav,
    pub csrf: String,
    pub flows: Vec<FlowLink>,
    pub flow: FlowRecord,
    /// `/app/:org/:flow`
    pub path: String,
    pub sources: Vec<SourceBadge>,
}

impl FlowFrame {
    pub fn settings_path(&self) -> String {
        format!("{}/settings/inbox", self.path)
    }

    pub fn errors(&self) -> usize {
        self.sources.iter().filter(|s| s.error.is_some()).count()
    }
}

/// A flow's live sources with their applications, in id order.
pub async fn sources_with_apps(
    state: &AppState,
    flow: &FlowRecord,
) -> Result<Vec<(SourceRecord, AppRecord)>, WebError> {
    let mut out = Vec::new();
    for s in state.store.sources_in_flow(&flow.id).await? {
        if let Some(app) = state.store.app_by_id(s.app_id).await? {
            out.push((s, app));
        }
    }
    Ok(out)
}

pub fn badge(s: &SourceRecord, app: &AppRecord) -> SourceBadge {
    SourceBadge {
        id: s.id,
        name: s.name.clone(),
        app_name: app.name.clone(),
        icon: Avatar::of(&app.name, app.icon_url.as_deref()),
        error: s.error_message.clone().filter(|e| !e.trim().is_empty()),
    }
}

/// The flow the signed-in user has joined, or the error page: 404 when they cannot see it,
/// 403 when they could join it but have not.
pub async fn joined(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    flow: &str,
) -> Result<FlowRecord, WebError> {
    Ok(crate::flows::joined(&state.store, signed.user.id, org, flow).await?)
}

pub async fn frame(
    state: &AppState,
    signed: &SignedIn,
    org: &str,
    flow: &str,
) -> Result<FlowFrame, WebError> {
    let flow = joined(state, signed, org, flow).await?;
    let sources = sources_with_apps(state, &flow)
        .await?
        .iter()
        .map(|(s, a)| badge(s, a))
        .collect();
    Ok(FlowFrame {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        flows: flow_links(&state.store, &signed.user, Some(&flow.id)).await?,
        path: flow_path(&flow),
        flow,
        sources,
    })
}
