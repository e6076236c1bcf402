//! Integration health (issue 18): what an integration's owner looks at first when it
//! "stopped working". Successful posts are counted from the messages themselves (an index
//! on the integrations' rows), so the post path writes nothing more; rejected requests are
//! recorded after the response by [`record_rejections`], only when one was refused.

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use tributary_types::{SourceHealth, SourceProblem};

use super::view::iso_millis;
use crate::auth::flow_token::with_presented_source;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::{now_millis, DynStore, SourceRecord};

/// The window of "posts in the last 24 h" and of the action failures.
const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// Longest error kept as the last rejection, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Largest error body read back to keep its message; a larger one keeps only its status.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// The health of `source`, as of now.
pub async fn of(store: &DynStore, source: &SourceRecord) -> ApiResult<SourceHealth> {
    let now = now_millis();
    let h = store.source_health(source.id, now - WINDOW_MS, now).await?;
    Ok(SourceHealth {
        last_post_at: h.last_post_at.map(iso_millis),
        posts_last_24h: h.posts_since,
        rejected_posts: h.rejected,
        last_rejection: h.last_rejection.map(|r| SourceProblem {
            at: iso_millis(r.at),
            status: Some(r.status),
            message: r.message,
        }),
        action_failures_last_24h: h.action_failures_since,
        last_action_failure: h.last_action_failure.map(|f| SourceProblem {
            at: iso_millis(f.at),
            status: f.status,
            message: f.error.unwrap_or(f.outcome),
        }),
        error_message: source.error_message.clone(),
        previous_token_expires_at: h.grace_until.map(iso_millis),
    })
}

/// Middleware: a request that presented a known `flow_token` (current, replaced, or of a
/// removed source) and was answered 4xx counts as a rejected request of that source, with
/// the answer's message as its last error. Successful requests only pay for the empty slot.
pub async fn record_rejections(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let slot = Arc::new(OnceLock::new());
    let response = with_presented_source(slot.clone(), next.run(request)).await;
    let status = response.status();
    let Some(&source_id) = slot.get().filter(|_| status.is_client_error()) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let small_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let (body, message) = match small_json {
        true => match axum::body::to_bytes(body, MAX_ERROR_BODY).await {
            Ok(bytes) => {
                let message = error_message(&bytes);
                (Body::from(bytes), message)
            }
            Err(_) => (Body::empty(), None),
        },
        false => (body, None),
    };
    let message = message
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Rejected").to_owned())
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .collect::<String>();
    if let Err(e) = state
        .store
        .record_source_rejection(source_id, status.as_u16(), &message)
        .await
    {
        tracing::warn!(source.id = source_id, error = %e, "sources.rejection_not_recorded");
    }
    Response::from_parts(parts, body)
}

/// `message` of an `ApiError` body, with its first field error ("Validation failed: content
/// is required") or a 410's reason.
fn error_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = v.get("message")?.as_str()?.to_owned();
    let field = v
        .get("errors")
        .and_then(|e| e.as_object())
        .and_then(|errors| {
            errors.iter().find_map(|(field, list)| {
                let first = list.as_array()?.first()?.as_str()?;
                Some(format!("{field} {first}"))
            })
        });
    let reason = v.get("reason").and_then(|r| r.as_str());
    Some(match (field, reason) {
        (Some(f), _) => format!("{message}: {f}"),
        (None, Some(r)) => format!("{message} (reason: {r})"),
        (None, None) => message,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_message_names_the_first_field_error() {
        let body = br#"{"message":"Validation failed","errors":{"content":["is required"]}}"#;
        assert_eq!(
            super::error_message(body).as_deref(),
            Some("Validation failed: content is required")
        );
        assert_eq!(
            super::error_message(br#"{"message":"Gone","reason":"rotated"}"#).as_deref(),
            Some("Gone (reason: rotated)")
        );
        assert_eq!(super::error_message(b"not json"), None);
    }
}
