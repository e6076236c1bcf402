//! Posting with uploaded files: the files are stored once the post has validated and before
//! its message commits, so a message never names a missing file; when the message is not
//! stored after all (an error, an idempotent replay), they are removed again.

use super::input::MessageInput;
use super::post::{prepare, Poster};
use crate::error::ApiResult;
use crate::files::{attach, upload::Upload};
use crate::store::*;

/// [`post_message_with`](super::post::post_message_with) for a post carrying uploaded files (a `file` event, or attachments
/// of an inbox item). The files are stored only once the post has validated, and before the
/// message commits, so a message never names a missing file; when the message is not stored
/// after all, they are removed again.
pub async fn post_message_with_files(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    mut input: MessageInput,
    files: Vec<Upload>,
    claim: Option<IdempotencyClaim>,
) -> ApiResult<PostOutcome> {
    let paths = attach::cid_paths(&flow.id, &files);
    if !paths.is_empty() {
        input.body = input.body.map(|b| attach::rewrite_cids(&b, &paths));
    }
    let mut post = prepare(store, poster, flow, input, &files).await?;
    post.claim = claim;
    let mut stored_keys = Vec::with_capacity(files.len());
    for f in files {
        let blobs = f.blob_store();
        match f.store().await {
            Ok(key) => stored_keys.push((blobs, key)),
            Err(e) => {
                forget(stored_keys).await;
                return Err(e);
            }
        }
    }
    let outcome = store.post_message(post).await;
    if !matches!(outcome, Ok(PostOutcome::Stored(_))) {
        forget(stored_keys).await;
    }
    Ok(outcome?)
}

/// Removes stored files whose message was not stored (a replay, an error).
async fn forget(keys: Vec<(DynBlobStore, String)>) {
    for (blobs, key) in keys {
        if let Err(e) = blobs.delete(&key).await {
            tracing::warn!(file.key = %key, error = %e, "files.orphan_not_removed");
        }
    }
}
