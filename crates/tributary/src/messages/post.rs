//! Posting: a post validated by its event kind (`kinds`), its tags resolved, and the one
//! store call that makes it durable, with any uploaded files stored around that call.
//!
//! [`post_message`] is the reusable entry point: handlers, the legacy push API and any server
//! code that posts on a source's behalf (the "new integration" inbox item) go through it.

use std::collections::HashSet;

use super::input::{MessageInput, PostInput};
use super::kinds::{self, Draft};
use super::tags;
use crate::auth::poster::Poster;
use crate::error::{ApiError, ApiResult};
use crate::files::{attach, upload::Upload};
use crate::store::*;

// messages::edit checks edited content against the same limit.
pub use super::kinds::MAX_CONTENT_CHARS;
// The demo seed (store/sqlite/seed.rs) still names it here.

/// Posts `input` to `flow` as `poster` and returns the stored message once it is durable.
/// The caller has checked that the poster may post to the flow.
pub async fn post_message(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    input: MessageInput,
) -> ApiResult<StoredMessage> {
    match post_message_with(store, poster, flow, input, None).await? {
        PostOutcome::Stored(m) => Ok(m),
        PostOutcome::Replay(_) => Err(ApiError::internal("replay without a key")),
    }
}

/// [`post_message`], recording an idempotency key in the same transaction.
pub async fn post_message_with(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    input: MessageInput,
    claim: Option<IdempotencyClaim>,
) -> ApiResult<PostOutcome> {
    post_message_with_files(store, poster, flow, input.into(), Vec::new(), claim).await
}

/// [`post_message_with`] for an endpoint's post, which may carry uploaded files (a `file`
/// event, or attachments of an inbox item). The files are stored only once the post has
/// validated, and before the message commits, so a message never names a missing file; when
/// the message is not stored after all (an error, an idempotent replay), they are removed
/// again.
pub async fn post_message_with_files(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    mut input: PostInput,
    files: Vec<Upload>,
    claim: Option<IdempotencyClaim>,
) -> ApiResult<PostOutcome> {
    let paths = attach::cid_paths(&flow.id, &files);
    if !paths.is_empty() {
        input.params.body = input.params.body.map(|b| attach::rewrite_cids(&b, &paths));
    }
    let mut post = prepare(store, poster, flow, &input, &files).await?;
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
    match outcome {
        // A thread new to the source: joining is all a post without its title may do.
        Err(StoreError::NotFound(NO_EXTERNAL_THREAD)) => {
            Err(ApiError::field("thread.title", "is required"))
        }
        other => Ok(other?),
    }
}

/// Removes stored files whose message was not stored (a replay, an error).
async fn forget(keys: Vec<(DynBlobStore, String)>) {
    for (blobs, key) in keys {
        if let Err(e) = blobs.delete(&key).await {
            tracing::warn!(file.key = %key, error = %e, "files.orphan_not_removed");
        }
    }
}

/// Validates and sanitises a post into the store's [`NewPost`]: an archived flow takes no
/// posts, the kind's parser checks the rest, then the tags resolve.
async fn prepare(
    store: &DynStore,
    poster: &Poster,
    flow: &FlowRecord,
    input: &PostInput,
    files: &[Upload],
) -> ApiResult<NewPost> {
    crate::flows::require_active(flow)?;
    let mut draft = kinds::parse(store, poster, flow, input, files).await?;
    resolve_tags(store, &mut draft).await?;
    if let Some(to) = input.target.private_to {
        draft.message.to = Some(to.to_string());
        draft.thread = ThreadRef::None;
    }
    Ok(NewPost {
        message: draft.message,
        user_id: poster.user_id(),
        source_id: match poster {
            Poster::Source { source, .. } => Some(source.id),
            Poster::User(_) => None,
        },
        parent_id: draft.parent_id,
        thread: draft.thread,
        update: draft.update,
        search_text: draft.search_text,
        claim: None,
    })
}

/// The message's tags: the kind's own, then those the poster named and the `#tags` and
/// `@mentions` of its text, then the server's, each once. The flow's members are read only
/// when a mention could name one.
async fn resolve_tags(store: &DynStore, d: &mut Draft<'_>) -> ApiResult<()> {
    let wants_members = d
        .explicit_tags
        .iter()
        .any(|t| t.trim_start().starts_with('@'))
        || d.tagged_text.as_deref().is_some_and(|t| t.contains('@'));
    let members = if wants_members {
        store.flow_members(&d.flow.id).await?
    } else {
        Vec::new()
    };
    let mut all_tags = std::mem::take(&mut d.message.tags);
    all_tags.extend(tags::resolve(
        &d.explicit_tags,
        d.tagged_text.as_deref(),
        &members,
        d.poster.user_id(),
    ));
    all_tags.extend(
        d.input
            .params
            .server_tags
            .iter()
            .map(|t| tags::normalise(t)),
    );
    let mut seen = HashSet::new();
    all_tags.retain(|t| seen.insert(t.clone()));
    d.message.tags = all_tags;
    Ok(())
}
