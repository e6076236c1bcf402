//! Sources: one application installed into one flow, holding the secret `flow_token`.

use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::store::{DynStore, FlowRecord, NewSource, SourceRecord};

/// Why a source stopped working; sent as `reason` in 410 answers.
pub const REASONS: &[&str] = &["removed", "flow_deleted", "app_deleted", "revoked"];

/// Creates a source and returns it with its `flow_token`. Only the token's hash is stored, so
/// this is the one moment the token exists in the clear.
pub async fn create_source(
    store: &DynStore,
    flow: &FlowRecord,
    app_id: i64,
    creator_id: Option<i64>,
    name: &str,
    external_url: Option<String>,
) -> ApiResult<(SourceRecord, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::field("name", "is required"));
    }
    store
        .app_by_id(app_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Application {app_id} not found")))?;
    let token = secrets::new_token(16);
    let source = store
        .create_source(NewSource {
            flow_id: flow.id.clone(),
            app_id,
            creator_id,
            name: name.to_owned(),
            external_url,
            flow_token_hash: secrets::hash_token(&token),
        })
        .await?;
    Ok((source, token))
}

pub async fn remove_source(store: &DynStore, id: i64, reason: &str) -> ApiResult<SourceRecord> {
    if !REASONS.contains(&reason) {
        return Err(ApiError::field(
            "reason",
            format!("must be one of {}", REASONS.join(", ")),
        ));
    }
    Ok(store.remove_source(id, reason).await?)
}

/// Resolves a `flow_token` to its live source: 401 when no source has the token, 410 Gone with
/// the removal reason when its source was removed. Every path that takes a `flow_token` goes
/// through here, so a removal takes effect everywhere on the next request.
pub async fn source_for_token(store: &DynStore, token: &str) -> ApiResult<SourceRecord> {
    let source = store
        .source_by_token_hash(&secrets::hash_token(token))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("Unknown flow_token".into()))?;
    if source.removed_at.is_some() {
        let reason = source
            .removal_reason
            .clone()
            .unwrap_or_else(|| "removed".into());
        return Err(ApiError::Gone {
            message: "This integration was removed from the flow; stop posting with its flow_token"
                .into(),
            reason,
        });
    }
    Ok(source)
}
