//! `flow_token` rotation (issue 18): a source gets a new token, shown once; the old one keeps
//! working for a grace period, then answers 410 with reason `rotated`. A grace of 0 kills
//! the old token (and any earlier one still in its grace) at once, for a leaked token.

use std::time::Duration;

use tributary_types::Source;

use crate::auth::flow_token::source_for_current_token;
use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::state::AppState;
use crate::store::{now_millis, SourceRecord};

/// Who asks for the rotation.
pub enum Rotator<'a> {
    /// An API caller that is a member of the source's flow: whoever may manage (remove)
    /// the source today, with the `flow` or `integration` scope.
    User(&'a Principal),
    /// A signed-in member of the flow, from Inbox Settings.
    Member(i64),
    /// The integration itself, with its current `flow_token`.
    Token(&'a str),
}

/// Rotates source `id` of `org`/`flow` for `who`, with `grace` seconds (at most the
/// server's `--flow-token-grace`, which is the default). Answers the source with its new
/// `flow_token`, the only time that token is shown.
pub async fn rotate_source(
    state: &AppState,
    who: Rotator<'_>,
    (org, flow, id): (&str, &str, &str),
    grace: Option<i64>,
) -> ApiResult<Source> {
    let grace = grace_millis(state.flow_token_grace, grace)?;
    let source = match who {
        Rotator::User(principal) => {
            principal.require_any(
                Scopes::FLOW.union(Scopes::INTEGRATION),
                "`flow` or `integration`",
            )?;
            let flow = crate::flows::joined(&state.store, principal.user.id, org, flow).await?;
            super::source_in_flow(&state.store, &flow, id).await?
        }
        Rotator::Member(user_id) => {
            let flow = crate::flows::joined(&state.store, user_id, org, flow).await?;
            super::source_in_flow(&state.store, &flow, id).await?
        }
        Rotator::Token(token) => own_source(state, token, (org, flow, id)).await?,
    };
    let token = secrets::new_token(16);
    state
        .store
        .rotate_flow_token(
            source.id,
            &secrets::hash_token(&token),
            now_millis() + grace,
        )
        .await?;
    tracing::info!(
        source.id = source.id,
        grace_ms = grace,
        "sources.flow_token_rotated"
    );
    let source = state
        .store
        .source_by_id(source.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Source not found".into()))?;
    let mut body = super::view::sources(state, std::slice::from_ref(&source))
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound("Source not found".into()))?;
    body.flow_token = Some(token);
    Ok(body)
}

/// The token's own source, which must be the one the path names: a token rotates itself only.
async fn own_source(
    state: &AppState,
    token: &str,
    (org, flow, id): (&str, &str, &str),
) -> ApiResult<SourceRecord> {
    let source = source_for_current_token(&state.store, token).await?;
    let flow_record = state.store.flow_by_id(&source.flow_id).await?;
    let same = flow_record
        .is_some_and(|f| f.org.parameterized_name == org && f.parameterized_name == flow)
        && id.parse::<i64>().ok() == Some(source.id);
    if !same {
        return Err(ApiError::Forbidden(
            "A flow_token may rotate only its own source".into(),
        ));
    }
    Ok(source)
}

/// The grace in milliseconds: `requested` seconds, from 0 up to the server's `default`.
fn grace_millis(default: Duration, requested: Option<i64>) -> ApiResult<i64> {
    let max = i64::try_from(default.as_millis()).unwrap_or(i64::MAX);
    match requested {
        None => Ok(max),
        Some(secs) => match secs.checked_mul(1000) {
            Some(ms) if (0..=max).contains(&ms) => Ok(ms),
            _ => Err(ApiError::field(
                "grace",
                format!(
                    "must be a number of seconds from 0 to {}",
                    default.as_secs()
                ),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grace_is_at_most_the_servers() {
        let day = Duration::from_secs(86_400);
        assert_eq!(grace_millis(day, None).unwrap(), 86_400_000);
        assert_eq!(grace_millis(day, Some(0)).unwrap(), 0);
        assert_eq!(grace_millis(day, Some(2)).unwrap(), 2_000);
        assert!(grace_millis(day, Some(86_401)).is_err());
        assert!(grace_millis(day, Some(-1)).is_err());
        assert!(grace_millis(day, Some(i64::MAX)).is_err());
        assert_eq!(grace_millis(Duration::ZERO, None).unwrap(), 0);
    }
}
