//! The actions endpoints: running an UpdateAction for the signed-in user (the UI's buttons,
//! with the session cookie and its CSRF token; or any API credential), and the attempts log
//! an admin reads per source.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::Json;
use serde_json::{json, Value};

use super::ActionResult;
use crate::auth::session::{Browser, CSRF_FIELD};
use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::flows::joined_by;
use crate::state::AppState;
use crate::store::iso8601;

/// The header a script sends the page's CSRF token in (forms send `csrf_token`).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Who is clicking: an API credential, else the browser session, whose CSRF token must come
/// along because the cookie would be sent by any site's form too.
async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    browser: &Browser,
    body: &[u8],
) -> ApiResult<Principal> {
    if let Some(credential) = crate::auth::credential(headers, uri.query()) {
        return crate::auth::authenticate(state, Some(credential)).await;
    }
    let principal = browser
        .principal(&state.store)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Sign in to run actions".into()))?;
    let from_header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let from_form = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    browser
        .check_csrf(from_header.or(from_form.as_deref()))
        .map_err(|_| ApiError::Forbidden("The CSRF token is missing or wrong".into()))?;
    Ok(principal)
}

/// POST /flows/:org/:flow/threads/:id/actions/:index
///
/// Runs the thread's UpdateAction number `index` (0-based, as in `thread.actions`) and
/// answers what happened: `{"outcome": "success" | "authenticate" | "error" | "refused",
/// "status", "authenticate_url", "message"}`. The answer is 200 whenever the attempt was
/// made; the outcome says how the integration took it.
pub async fn run_thread_action(
    State(state): State<AppState>,
    Path((org, flow, thread, index)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    browser: Browser,
    body: Bytes,
) -> ApiResult<Json<ActionResult>> {
    let principal = caller(&state, &headers, &uri, &browser, &body).await?;
    let flow = joined_by(&state.store, &principal, &org, &flow).await?;
    let index: usize = index
        .parse()
        .map_err(|_| ApiError::NotFound("Action not found".into()))?;
    let result = super::run_update_action(&state, &principal.user, &flow, &thread, index).await?;
    Ok(Json(result))
}

/// GET /flows/:org/:flow/sources/:id/action_attempts
///
/// The source's latest action attempts, newest first: for organization admins and site
/// admins, because they show who clicked what and where the requests went.
pub async fn list_action_attempts(
    State(state): State<AppState>,
    Path((org, flow, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    browser: Browser,
) -> ApiResult<Json<Vec<Value>>> {
    let principal = match crate::auth::credential(&headers, uri.query()) {
        Some(c) => crate::auth::authenticate(&state, Some(c)).await?,
        None => browser
            .principal(&state.store)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("Sign in first".into()))?,
    };
    principal.require_any(Scopes::FLOW | Scopes::MANAGE, "`flow` or `manage`")?;
    let flow = crate::flows::visible_flow(&state.store, principal.user.id, &org, &flow)
        .await?
        .flow;
    let org_admin = state
        .store
        .org_membership(flow.org.id, principal.user.id)
        .await?
        == Some(true);
    if !org_admin && !state.store.user_is_admin(principal.user.id).await? {
        return Err(ApiError::Forbidden(
            "Only the organization's admins may read action attempts".into(),
        ));
    }
    let not_found = || ApiError::NotFound("Source not found".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    // Removed sources keep their history: that is when an admin wants to read it.
    let source = state
        .store
        .source_by_id(id)
        .await?
        .filter(|s| s.flow_id == flow.id)
        .ok_or_else(not_found)?;
    let attempts = state.store.action_attempts_of_source(source.id).await?;
    Ok(Json(
        attempts
            .into_iter()
            .map(|r| {
                let a = r.attempt;
                json!({
                    "id": r.id,
                    "attempted_at": iso8601(a.attempted_at),
                    "thread_id": a.thread_id,
                    "action_index": a.action_index,
                    "action_name": a.action_name,
                    "user": a.user_id,
                    "method": a.method,
                    "url": a.url,
                    "status": a.status,
                    "outcome": a.outcome.as_str(),
                    "error": a.error,
                    "latency_ms": a.latency_ms,
                })
            })
            .collect(),
    ))
}
