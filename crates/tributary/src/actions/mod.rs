//! Thread actions (flowdock/api-docs docs/thread-actions.md). A ViewAction is a link the UI shows. An
//! UpdateAction is a button: when a user clicks it, the server sends the action, plus the
//! user as `agent`, to the action's `target.urlTemplate`, signed with the application's
//! client secret (`token`), from a checked address (`target`), with a timeout (`outbound`).
//! Every attempt is recorded for the source's admins (`handlers`).

pub mod handlers;
pub mod outbound;
pub mod target;
pub mod token;

use axum::http::Method;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{now_millis, ActionOutcome, FlowRecord, NewActionAttempt, UserRecord};
use axum::routing::{get, post};
use axum::Router;

/// Running an UpdateAction, and the attempts log per source (issue 9).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/flows/{org}/{flow}/threads/{id}/actions/{index}",
            post(handlers::run_thread_action),
        )
        .route(
            "/flows/{org}/{flow}/sources/{id}/action_attempts",
            get(handlers::list_action_attempts),
        )
}

/// What the user is told after a click.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionResult {
    /// `success`, `authenticate`, `error` or `refused`.
    pub outcome: &'static str,
    /// The integration's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Where the user should authenticate, for `authenticate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticate_url: Option<String>,
    /// A sentence for the user.
    pub message: String,
}

/// Runs UpdateAction number `index` of thread `thread_id` in `flow` for `user`, who has
/// joined the flow.
pub async fn run_update_action(
    state: &AppState,
    user: &UserRecord,
    flow: &FlowRecord,
    thread_id: &str,
    index: usize,
) -> ApiResult<ActionResult> {
    let thread = state
        .store
        .thread_by_id(&flow.id, thread_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Thread not found".into()))?;
    let thread: tributary_types::Thread = serde_json::from_str(&thread.json)
        .map_err(|e| ApiError::internal(format!("stored thread: {e}")))?;
    let action = thread
        .actions
        .get(index)
        .cloned()
        .ok_or_else(|| ApiError::NotFound("Action not found".into()))?;
    if action.get("@type").and_then(Value::as_str) != Some("UpdateAction") {
        return Err(ApiError::BadRequest(
            "Only UpdateActions run on the server; a ViewAction is a link".into(),
        ));
    }
    let target = action.get("target");
    let url = target
        .and_then(|t| t.get("urlTemplate"))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::BadRequest("The action has no target.urlTemplate".into()))?
        .to_owned();
    let method = target
        .and_then(|t| t.get("httpMethod"))
        .and_then(Value::as_str)
        .unwrap_or("POST")
        .to_ascii_uppercase();
    let method = match method.as_str() {
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" => {
            Method::from_bytes(method.as_bytes()).unwrap_or(Method::POST)
        }
        _ => {
            return Err(ApiError::BadRequest(format!(
                "The action's httpMethod {method} is not supported"
            )))
        }
    };
    let source_id = thread
        .source
        .as_ref()
        .map(|s| s.id)
        .ok_or_else(|| ApiError::BadRequest("Only integration threads have actions".into()))?;
    let source = crate::auth::flow_token::live_source(&state.store, source_id).await?;
    let app = state
        .store
        .app_by_id(source.app_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Application not found".into()))?;

    // `image` is the avatar URL the API shows for the user, so integrations can display it.
    let image = if user.avatar.is_empty() {
        state.urls.avatar(user.id)
    } else {
        user.avatar.clone()
    };
    let mut payload = action.clone();
    payload["agent"] = json!({"@type": "Person", "name": user.name, "image": image});
    let body = serde_json::to_vec(&payload).map_err(|e| ApiError::internal(e.to_string()))?;
    let now = now_millis();
    // The same parse the target check makes: the token names the origin it is sent to. A
    // URL that does not parse is refused by the check and its token never sent.
    let audience = url::Url::parse(url.trim())
        .map(|u| token::audience(&u))
        .unwrap_or_default();
    let token = token::sign(user.id, &body, &app.client_secret, &audience, now / 1000);
    let settings = &state.actions;
    let delivery = outbound::deliver(
        outbound::Request {
            method: method.clone(),
            url: url.clone(),
            body,
            token,
        },
        settings.allow_private_targets,
        settings.timeout,
        &settings.tls,
    )
    .await;
    let name = action
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    state
        .store
        .record_action_attempt(NewActionAttempt {
            source_id: source.id,
            flow_id: flow.id.clone(),
            thread_id: thread.id.clone(),
            action_index: index as i64,
            action_name: name.clone(),
            user_id: Some(user.id),
            method: method.to_string(),
            url,
            status: delivery.status.map(i64::from),
            outcome: delivery.outcome,
            error: delivery.error.clone(),
            latency_ms: delivery.latency.as_millis() as i64,
            attempted_at: now,
        })
        .await?;
    tracing::info!(
        action.source_id = source.id,
        action.outcome = delivery.outcome.as_str(),
        action.status = delivery.status,
        action.latency_ms = delivery.latency.as_millis() as u64,
        "actions.attempt"
    );
    let message = match delivery.outcome {
        ActionOutcome::Success => format!("{name}: done."),
        ActionOutcome::Authenticate => format!(
            "{} needs you to sign in before \u{201c}{name}\u{201d} can work. Open the link, then \
             try again.",
            app.name
        ),
        ActionOutcome::Error | ActionOutcome::Refused => format!(
            "\u{201c}{name}\u{201d} failed: {}",
            delivery.error.as_deref().unwrap_or("unknown error")
        ),
    };
    Ok(ActionResult {
        outcome: delivery.outcome.as_str(),
        status: delivery.status,
        authenticate_url: delivery.authenticate_url,
        message,
    })
}
