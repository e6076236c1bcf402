//! Messages: posting every event type, reading with Flowdock's filters, editing, deleting,
//! and the legacy push API.
//!
//! The way of a post: credential → [`crate::auth::poster::Poster`] → validate and sanitise (`post`,
//! `thread_input`, `sanitize`, `tags`) → one store call that makes it durable → answer.

pub mod edit;
pub mod handlers;
pub mod idempotency;
pub mod input;
pub mod kinds;
pub mod legacy;
pub mod post;
pub mod read;
pub mod read_any;
pub mod sanitize;
pub mod tag_rules;
pub mod tags;
pub mod thread_input;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

pub use input::MessageInput;
pub use post::post_message;
pub use post::post_message_with_files;

/// A flow's messages (and a thread's), the comment endpoints, and the legacy push API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/messages",
            get(read_any::list_any_messages).post(handlers::post_message),
        )
        .route("/comments", post(handlers::post_comment))
        .route(
            "/flows/{org}/{flow}/messages",
            get(read::list_messages).post(handlers::post_flow_message),
        )
        .route(
            "/flows/{org}/{flow}/messages/{id}",
            get(read::show_message)
                .put(edit::update_message)
                .delete(edit::delete_message),
        )
        .route(
            "/flows/{org}/{flow}/messages/{id}/comments",
            post(handlers::post_message_comment),
        )
        .route(
            "/flows/{org}/{flow}/threads/{id}/messages",
            get(read::list_thread_messages).post(handlers::post_thread_message),
        )
        .route(
            "/v1/messages/team_inbox/{token}",
            post(legacy::push_form::<legacy::TeamInbox>),
        )
        .route(
            "/v1/messages/influx/{token}",
            post(legacy::push_form::<legacy::TeamInbox>),
        )
        .route(
            "/v1/messages/chat/{token}",
            post(legacy::push_form::<legacy::Chat>),
        )
}
