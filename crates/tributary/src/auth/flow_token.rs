//! An integration's credential: the secret `flow_token` of its source. A token resolves to its
//! live source, or to 401 (unknown) or 410 Gone with the [`RemovalReason`] (removed). Every
//! path that takes a `flow_token` goes through here, so a removal takes effect everywhere on
//! the next request. A token that a rotation replaced keeps working until its grace ends,
//! then answers 410 with reason `rotated`.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use crate::error::{ApiError, ApiResult};
use crate::input::{BodyRejection, Params, TokenParams};
use crate::secrets;
use crate::store::{now_millis, DynStore, RetiredTokenRecord, SourceContext, SourceRecord};

/// Why a source stopped working: stored with the source, and sent as `reason` in its 410
/// answers. The strings are the wire's and the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// A user or an operator removed it.
    Removed,
    FlowDeleted,
    AppDeleted,
    Revoked,
    /// Not a source's removal: the token was replaced and its grace period is over.
    Rotated,
}

impl RemovalReason {
    /// The reasons a source is removed for (an operator may name them); `Rotated` ends one
    /// token only.
    pub const ALL: [RemovalReason; 4] = [
        RemovalReason::Removed,
        RemovalReason::FlowDeleted,
        RemovalReason::AppDeleted,
        RemovalReason::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RemovalReason::Removed => "removed",
            RemovalReason::FlowDeleted => "flow_deleted",
            RemovalReason::AppDeleted => "app_deleted",
            RemovalReason::Revoked => "revoked",
            RemovalReason::Rotated => "rotated",
        }
    }
}

impl fmt::Display for RemovalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reason by its name, as an operator types it; anything else is a field error.
impl FromStr for RemovalReason {
    type Err = ApiError;

    fn from_str(s: &str) -> ApiResult<RemovalReason> {
        RemovalReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = RemovalReason::ALL.iter().map(|r| r.as_str()).collect();
                ApiError::field("reason", format!("must be one of {}", names.join(", ")))
            })
    }
}

tokio::task_local! {
    /// The source whose `flow_token` the current request presented, for the health of that
    /// source (`sources::health` records a rejected request against it).
    static PRESENTED: Arc<OnceLock<i64>>;
}

/// Runs a request with a slot that every `flow_token` resolution below fills with its source.
pub async fn with_presented_source<F: Future>(slot: Arc<OnceLock<i64>>, request: F) -> F::Output {
    PRESENTED.scope(slot, request).await
}

fn presented(source_id: i64) {
    let _ = PRESENTED.try_with(|slot| slot.set(source_id));
}

/// Resolves a `flow_token` to its live source: 401 when no source has the token, 410 Gone with
/// the removal reason when its source was removed (or `rotated` when a rotation replaced the
/// token and its grace is over).
pub async fn source_for_token(store: &DynStore, token: &str) -> ApiResult<SourceRecord> {
    Ok(resolve_source(store, token).await?.0)
}

/// Like [`source_for_token`], but 403 for a token that a rotation replaced, even in its
/// grace: only the current token may act on the credential itself (rotate it).
pub async fn source_for_current_token(store: &DynStore, token: &str) -> ApiResult<SourceRecord> {
    match resolve_source(store, token).await? {
        (source, true) => Ok(source),
        (_, false) => Err(ApiError::Forbidden(
            "This flow_token was replaced by a rotation; use the current one".into(),
        )),
    }
}

/// The token's source and whether the token is the source's current one.
async fn resolve_source(store: &DynStore, token: &str) -> ApiResult<(SourceRecord, bool)> {
    let hash = secrets::hash_token(token);
    let (source, current) = match store.source_by_token_hash(&hash).await? {
        Some(source) => (source, true),
        None => {
            let retired = retired_in_grace(store, &hash).await?;
            let source = store
                .source_by_token_hash(&retired.current_hash)
                .await?
                .ok_or_else(unknown_token)?;
            (source, false)
        }
    };
    presented(source.id);
    refuse_removed(&source)?;
    Ok((source, current))
}

/// Like [`source_for_token`], with the source's application and flow, in one read: for posts.
/// The current token costs that one read, as before rotation existed; only a token no
/// source holds now costs the read of the replaced ones.
pub async fn source_context_for_token(store: &DynStore, token: &str) -> ApiResult<SourceContext> {
    let hash = secrets::hash_token(token);
    let context = match store.source_context_by_token_hash(&hash).await? {
        Some(context) => context,
        None => {
            let retired = retired_in_grace(store, &hash).await?;
            store
                .source_context_by_token_hash(&retired.current_hash)
                .await?
                .ok_or_else(unknown_token)?
        }
    };
    presented(context.source.id);
    refuse_removed(&context.source)?;
    Ok(context)
}

/// A replaced token still in its grace; 401 for a token never issued, 410 `rotated` once
/// the grace is over.
async fn retired_in_grace(store: &DynStore, hash: &str) -> ApiResult<RetiredTokenRecord> {
    let retired = store
        .retired_flow_token(hash)
        .await?
        .ok_or_else(unknown_token)?;
    if retired.valid_until <= now_millis() {
        presented(retired.source_id);
        return Err(ApiError::Gone {
            message: "This flow_token was replaced by a rotation and no longer works; use the \
                      new one"
                .into(),
            reason: RemovalReason::Rotated.as_str().into(),
        });
    }
    Ok(retired)
}

/// A source by id that still works: 404 when there is none, 410 Gone with the removal reason
/// when it was removed (an action of a removed integration's thread must not be sent).
pub async fn live_source(store: &DynStore, id: i64) -> ApiResult<SourceRecord> {
    let source = store
        .source_by_id(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Source not found".into()))?;
    match source.removed_at {
        None => Ok(source),
        Some(_) => Err(gone(&source, "This integration was removed from the flow")),
    }
}

/// Authentication before validation: a request whose body could not be read or parsed may
/// still name a `flow_token` (in the path, the query, or the body that did not parse). A
/// removed source's token then answers 410 with its reason, and an unknown one 401, instead
/// of the body's `error`: an integration always learns that it was removed.
pub async fn check_before_body(store: &DynStore, token: Option<&str>, error: ApiError) -> ApiError {
    match token {
        Some(token) => match source_for_token(store, token).await {
            Ok(_) => error,
            Err(refused) => refused,
        },
        None => error,
    }
}

/// The parameters of a request that may authenticate with a `flow_token`, or, when its body
/// failed, [`check_before_body`] with the token of the path (`path_token`, the legacy
/// pushes') or of the request.
pub async fn params_or_gone(
    store: &DynStore,
    params: Result<TokenParams, BodyRejection>,
    path_token: Option<&str>,
) -> ApiResult<Params> {
    match params {
        Ok(TokenParams(p)) => Ok(p),
        Err(r) => {
            let token = path_token.or(r.flow_token.as_deref());
            Err(check_before_body(store, token, r.error).await)
        }
    }
}

fn unknown_token() -> ApiError {
    ApiError::Unauthorized("Unknown flow_token".into())
}

fn refuse_removed(source: &SourceRecord) -> ApiResult<()> {
    match source.removed_at {
        None => Ok(()),
        Some(_) => Err(gone(
            source,
            "This integration was removed from the flow; stop posting with its flow_token",
        )),
    }
}

/// 410 Gone with the reason the source was removed for.
fn gone(source: &SourceRecord, message: &str) -> ApiError {
    ApiError::Gone {
        message: message.into(),
        reason: source
            .removal_reason
            .clone()
            .unwrap_or_else(|| RemovalReason::Removed.as_str().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_keep_their_wire_names() {
        for r in RemovalReason::ALL {
            assert_eq!(r.as_str().parse::<RemovalReason>().unwrap(), r);
        }
        let err = "because".parse::<RemovalReason>().unwrap_err();
        assert_eq!(
            err.body().errors["reason"],
            vec!["must be one of removed, flow_deleted, app_deleted, revoked".to_owned()]
        );
    }
}
