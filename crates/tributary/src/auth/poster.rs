//! Who posts: a user, by any user credential, or an integration, by its source's
//! `flow_token` (from the query, the form or the JSON body; the path for legacy pushes).

use axum::http::{HeaderMap, Uri};
use tributary_types::ThreadSource;

use super::flow_token::source_context_for_token;
use super::{authenticate, credential, CallerSlot, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::input::Params;
use crate::state::AppState;
use crate::store::{AppRecord, FlowRecord, SourceContext, SourceRecord, UserRecord};

/// Who is posting.
#[derive(Debug, Clone)]
pub enum Poster {
    User(UserRecord),
    /// An integration, through its `flow_token`; posts show user `"0"`.
    Source {
        source: Box<SourceRecord>,
        app: Box<AppRecord>,
        /// The source's flow, read with it.
        flow: Box<FlowRecord>,
    },
}

impl Poster {
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Poster::User(u) => Some(u.id),
            Poster::Source { .. } => None,
        }
    }

    /// Whose idempotency keys these are.
    pub fn scope(&self) -> String {
        match self {
            Poster::User(u) => format!("user:{}", u.id),
            Poster::Source { source, .. } => format!("source:{}", source.id),
        }
    }

    pub(crate) fn thread_source(&self) -> Option<ThreadSource> {
        match self {
            Poster::User(_) => None,
            Poster::Source { source, app, .. } => Some(ThreadSource {
                id: source.id,
                name: source.name.clone(),
                icon: app.icon_url.clone(),
                application: app.name.clone(),
                application_id: Some(app.id),
            }),
        }
    }
}

/// A `flow_token` in the query, form or JSON makes the post an integration's; otherwise the
/// request must carry a user credential.
pub async fn poster(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    params: &Params,
    slot: Option<&CallerSlot>,
) -> ApiResult<Poster> {
    if let Some(token) = params.0.get("flow_token") {
        let token = token
            .as_str()
            .ok_or_else(|| ApiError::Unauthorized("Unknown flow_token".into()))?;
        return source_poster(state, token).await;
    }
    let principal = authenticate(state, credential(headers, uri.query())).await?;
    if let Some(slot) = slot {
        slot.record(principal.user.id);
    }
    principal.require(Scopes::FLOW, "flow")?;
    Ok(Poster::User(principal.user))
}

pub async fn source_poster(state: &AppState, token: &str) -> ApiResult<Poster> {
    let SourceContext { source, app, flow } = source_context_for_token(&state.store, token).await?;
    Ok(Poster::Source {
        source: Box::new(source),
        app: Box::new(app),
        flow: Box::new(flow),
    })
}
