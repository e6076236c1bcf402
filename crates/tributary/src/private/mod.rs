//! Private conversations and private messages (flowdock/api-docs
//! docs/private-conversations.md, docs/private-messages.md): a chat of two users, addressed
//! by the other user's id.
//!
//! A conversation keeps its messages in a flows row of its own (`private-<lo>-<hi>`, in the
//! hidden `~private` organization, with no flow members), so posting, per-conversation ids,
//! edits, files, search and streams are the flows' machinery unchanged. Who may use one is
//! decided here alone, from the `private_conversations` row: its two participants, with the
//! `private` scope. No flow path can reach those rows, as every flow lookup requires a
//! membership the rows never have, and no private path reaches a flow.

pub mod conversation;
pub mod handlers;
pub mod post;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::bus::Invite;
use crate::state::AppState;
use crate::store::{DynStore, StoreResult};

pub use conversation::{participant, resolve};

/// `/private`, a conversation, and its messages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/private", get(handlers::list_conversations))
        .route(
            "/private/{user_id}",
            get(handlers::show_conversation).put(handlers::update_conversation),
        )
        .route(
            "/private/{user_id}/messages",
            get(handlers::list_private_messages).post(handlers::post_private_message),
        )
        .route(
            "/private/{user_id}/messages/{id}",
            get(handlers::show_private_message)
                .put(handlers::update_private_message)
                .delete(handlers::delete_private_message),
        )
}

/// What a stream of `user_id`'s private messages follows: where it learns of conversations
/// started later (watched first, so none falls between), and the flow ids of those there are.
pub async fn follow(
    store: &DynStore,
    user_id: i64,
) -> StoreResult<(UnboundedReceiver<Invite>, Vec<Arc<str>>)> {
    let invites = store.bus().watch_invites(user_id);
    let ids = store
        .private_conversations(user_id)
        .await?
        .into_iter()
        .map(|c| Arc::from(c.flow_id.as_str()))
        .collect();
    Ok((invites, ids))
}
