//! `POST /private/:user_id/messages`: a private message is posted as a flow message is (the
//! same checks, idempotency and status codes: 201 with the message), into the
//! conversation's flows row, with `to` and no thread.

use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use super::conversation::{reopen, resolve, Resolved};
use crate::auth::poster::Poster;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::files::upload::PostBody;
use crate::messages::handlers::{post_to, Request};
use crate::messages::input::{MessageInput, PostInput, Target};
use crate::state::AppState;

/// The events a private message may be: docs/private-messages.md names `message`, and
/// "file messages ... might be supported": they are here.
const EVENTS: [&str; 2] = ["message", "file"];

/// Posts the request's message from the caller to the user `raw` names.
pub async fn post_private(
    state: &AppState,
    principal: Principal,
    raw: &str,
    headers: &HeaderMap,
    uri: &Uri,
    body: PostBody,
) -> ApiResult<Response> {
    let r = resolve(state, &principal, raw).await?;
    let request = Request::new(headers, uri.path(), &body);
    let input = addressed(state, &r, body.params.parse()?).await?;
    let poster = Poster::User(principal.user);
    post_to(state, request, &poster, &r.flow, input, body.files).await
}

/// `params` as a post to the other participant of `r`, once the recipient may take it (not
/// disabled) and the event is one a private message may be; the conversation is opened
/// again for both. The web composer posts through here too.
pub async fn addressed(
    state: &AppState,
    r: &Resolved,
    params: MessageInput,
) -> ApiResult<PostInput> {
    if r.other.disabled {
        return Err(ApiError::Forbidden(
            "This user's account is disabled".into(),
        ));
    }
    let event = params.event.as_deref().map(str::trim).unwrap_or("");
    if !EVENTS.contains(&event) {
        return Err(ApiError::field("event", "must be message or file"));
    }
    reopen(state, r).await?;
    Ok(PostInput {
        params,
        target: Target {
            private_to: Some(r.other.id),
            ..Target::default()
        },
    })
}
