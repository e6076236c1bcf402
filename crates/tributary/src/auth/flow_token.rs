//! An integration's credential: the secret `flow_token` of its source. A token resolves to its
//! live source, or to 401 (unknown) or 410 Gone with the [`RemovalReason`] (removed). Every
//! path that takes a `flow_token` goes through here, so a removal takes effect everywhere on
//! the next request.

use std::fmt;
use std::str::FromStr;

use crate::error::{ApiError, ApiResult};
use crate::input::{BodyRejection, Params, TokenParams};
use crate::secrets;
use crate::store::{DynStore, SourceContext, SourceRecord};

/// Why a source stopped working: stored with the source, and sent as `reason` in its 410
/// answers. The strings are the wire's and the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    /// A user or an operator removed it.
    Removed,
    FlowDeleted,
    AppDeleted,
    Revoked,
}

impl RemovalReason {
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

/// Resolves a `flow_token` to its live source: 401 when no source has the token, 410 Gone with
/// the removal reason when its source was removed.
pub async fn source_for_token(store: &DynStore, token: &str) -> ApiResult<SourceRecord> {
    let source = store
        .source_by_token_hash(&secrets::hash_token(token))
        .await?
        .ok_or_else(unknown_token)?;
    refuse_removed(&source)?;
    Ok(source)
}

/// Like [`source_for_token`], with the source's application and flow, in one read: for posts.
pub async fn source_context_for_token(store: &DynStore, token: &str) -> ApiResult<SourceContext> {
    let context = store
        .source_context_by_token_hash(&secrets::hash_token(token))
        .await?
        .ok_or_else(unknown_token)?;
    refuse_removed(&context.source)?;
    Ok(context)
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
