//! The deprecated push API (flowdock/api-docs docs/team-inbox.md, flowdock/api-docs docs/chat.md): the `flow_token` is in the
//! path, and every success is exactly `200 {}`. Each push becomes an ordinary post.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::idempotency::{self, Claimed};
use super::input::MessageInput;
use super::post::post_message_with;
use crate::auth::flow_token::params_or_gone;
use crate::auth::poster::{source_poster, Poster};
use crate::error::{err, ApiError, ApiResult, FieldErrors};
use crate::input::{lenient, BodyRejection, Params, TokenParams};
use crate::raw_json;
use crate::state::AppState;
use crate::store::{FlowRecord, PostOutcome};

#[derive(Debug, Default, Deserialize)]
pub struct TeamInbox {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    source: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    from_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    subject: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    content: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    from_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    project: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    format: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    link: Option<String>,
    #[serde(default)]
    tags: Value,
}

#[derive(Debug, Default, Deserialize)]
pub struct Chat {
    #[serde(default)]
    content: Value,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    external_user_name: Option<String>,
    #[serde(default)]
    tags: Value,
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    message_id: Option<i64>,
}

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `source` and `project` allow letters, digits, underscores and whitespace only.
fn category(errors: &mut FieldErrors, field: &str, v: &str) {
    if !v
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace())
    {
        err(
            errors,
            field,
            "may contain only letters, digits, underscores and spaces",
        );
    }
}

/// `My Fancy Source` to `my-fancy-source`, for the `:source:` tag.
fn slug(v: &str) -> String {
    crate::names::parameterize(v)
}

fn flow_of(poster: &Poster) -> ApiResult<FlowRecord> {
    let Poster::Source { flow, .. } = poster else {
        return Err(ApiError::Unauthorized("Unknown flow_token".into()));
    };
    Ok((**flow).clone())
}

/// Posts and answers exactly `200 {}`; an `Idempotency-Key` works as on `/messages`.
async fn push(
    state: &AppState,
    headers: &HeaderMap,
    route: &str,
    poster: Poster,
    params: &Params,
    input: MessageInput,
) -> ApiResult<Response> {
    let flow = flow_of(&poster)?;
    let claim = match idempotency::key(headers, &Params::default())? {
        Some(key) => {
            let hash = idempotency::request_hash(route, params);
            let scope = poster.scope();
            match idempotency::replay_or_claim(
                &state.store,
                scope,
                key,
                hash,
                StatusCode::OK,
                false,
            )
            .await?
            {
                Claimed::Replay(r) => return Ok(r),
                Claimed::New(c) => Some(c),
            }
        }
        None => None,
    };
    let hash = claim.as_ref().map(|c| c.request_hash.clone());
    match post_message_with(&state.store, &poster, &flow, input, claim).await? {
        PostOutcome::Stored(_) => Ok(raw_json::response(StatusCode::OK, "{}")),
        PostOutcome::Replay(r) => idempotency::replay(r, hash.as_deref().unwrap_or("")),
    }
}

/// A push's form: its fields, read from the body, become an ordinary post.
pub trait PushForm: DeserializeOwned {
    /// The route an `Idempotency-Key` is hashed with.
    const ROUTE: &'static str;
    fn input(self) -> ApiResult<MessageInput>;
}

/// POST /v1/messages/team_inbox/:flow_token (and its old name, /v1/messages/influx/:flow_token)
/// with [`TeamInbox`]; POST /v1/messages/chat/:flow_token with [`Chat`]. A removed source's
/// token answers 410 Gone whatever the body holds.
pub async fn push_form<F: PushForm>(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    params: Result<TokenParams, BodyRejection>,
) -> ApiResult<Response> {
    let params = params_or_gone(&state.store, params, Some(&token)).await?;
    let poster = source_poster(&state, &token).await?;
    let input = params.parse::<F>()?.input()?;
    push(&state, &headers, F::ROUTE, poster, &params, input).await
}

impl PushForm for TeamInbox {
    const ROUTE: &'static str = "POST /v1/messages/team_inbox";

    fn input(self) -> ApiResult<MessageInput> {
        let mut errors = FieldErrors::new();
        let mut required = |field: &str, v: &Option<String>| {
            if present(v).is_none() {
                err(&mut errors, field, "is required");
            }
        };
        required("source", &self.source);
        required("from_address", &self.from_address);
        required("subject", &self.subject);
        required("content", &self.content);
        if let Some(s) = present(&self.source) {
            category(&mut errors, "source", s);
        }
        if let Some(s) = present(&self.project) {
            category(&mut errors, "project", s);
        }
        if let Some(a) = present(&self.from_address) {
            if !a.contains('@') || a.contains(char::is_whitespace) {
                err(&mut errors, "from_address", "must be an email address");
            }
        }
        if present(&self.format).is_some_and(|f| f != "html") {
            err(&mut errors, "format", "only html is supported");
        }
        // Checked untrimmed: a line break around the link is refused, not dropped.
        if let Some(link) = self.link.as_deref().filter(|l| !l.trim().is_empty()) {
            if !super::sanitize::is_web_url(link) {
                err(&mut errors, "link", "must be an http or https URL");
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let from = present(&self.from_address).unwrap_or_default();
        let mut server_tags = vec![format!(
            ":source:{}",
            slug(present(&self.source).unwrap_or_default())
        )];
        if let Some(project) = present(&self.project) {
            server_tags.push(format!(":project:{}", slug(project)));
        }
        let subject = present(&self.subject).unwrap_or_default();
        Ok(MessageInput {
            event: Some("activity".into()),
            title: Some(subject.to_owned()),
            body: self.content.clone(),
            author: json!({"name": present(&self.from_name).unwrap_or(from), "email": from}),
            thread: json!({"title": subject, "body": self.content, "external_url": present(&self.link)}),
            tags: self.tags.clone(),
            server_tags,
            new_thread: true,
            ..MessageInput::default()
        })
    }
}

impl PushForm for Chat {
    const ROUTE: &'static str = "POST /v1/messages/chat";

    fn input(self) -> ApiResult<MessageInput> {
        Ok(MessageInput {
            event: Some(
                if self.message_id.is_some() {
                    "comment"
                } else {
                    "message"
                }
                .into(),
            ),
            content: self.content,
            external_user_name: self.external_user_name,
            tags: self.tags,
            message: self.message_id,
            ..MessageInput::default()
        })
    }
}
