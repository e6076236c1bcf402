//! The application shell around every flow page: the signed-in user's flows, grouped by
//! organization, with their unread mention counts, and `/app`, which opens the first flow.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::{html, Nav};
use crate::auth::session::SignedIn;
use crate::state::AppState;
use crate::store::{DynStore, FlowRecord, MessageQuery, UserRecord};

/// Mentions counted per flow; more show as `99+`.
const MAX_COUNTED: i64 = 100;

pub struct FlowLink {
    pub org: String,
    pub name: String,
    pub path: String,
    pub unread: i64,
    pub current: bool,
}

impl FlowLink {
    pub fn unread_label(&self) -> String {
        if self.unread >= MAX_COUNTED {
            "99+".into()
        } else {
            self.unread.to_string()
        }
    }
}

/// The path of a flow's page.
pub fn flow_path(flow: &FlowRecord) -> String {
    format!(
        "/app/{}/{}",
        flow.org.parameterized_name, flow.parameterized_name
    )
}

/// How many messages of the flow still carry the user's `:unread:<id>` tag (the tag a
/// mention adds and a client removes once it has been read).
pub async fn unread_mentions(
    store: &DynStore,
    flow_id: &str,
    user_id: i64,
) -> Result<i64, WebError> {
    let found = store
        .list_messages(MessageQuery {
            flow_id: flow_id.to_owned(),
            tags: vec![format!(":unread:{user_id}")],
            limit: MAX_COUNTED,
            ..MessageQuery::default()
        })
        .await?;
    Ok(found.len() as i64)
}

/// The sidebar: every flow the user has joined, the current one marked.
pub async fn flow_links(
    store: &DynStore,
    user: &UserRecord,
    current: Option<&str>,
) -> Result<Vec<FlowLink>, WebError> {
    let flows = store.flows_for_user(user.id, false).await?;
    let mut out = Vec::with_capacity(flows.len());
    for f in flows {
        out.push(FlowLink {
            org: f.flow.org.name.clone(),
            name: f.flow.name.clone(),
            path: flow_path(&f.flow),
            unread: unread_mentions(store, &f.flow.id, user.id).await?,
            current: current == Some(f.flow.id.as_str()),
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "flows.html")]
struct FlowsPage {
    nav: Nav,
    flows: Vec<FlowLink>,
}

/// GET /app
///
/// Opens the first flow, as Flowdock did; a user in no flow sees the (empty) list.
pub async fn show_flows(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    let flows = flow_links(&state.store, &signed.user, None).await?;
    if let Some(first) = flows.first() {
        return Ok(Redirect::to(&first.path).into_response());
    }
    html(FlowsPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        flows,
    })
}

/// GET /
pub async fn home() -> Redirect {
    Redirect::to("/app")
}
