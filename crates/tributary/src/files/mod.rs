//! Files: uploads on posts (multipart, or base64 in JSON), attachments on inbox items, and
//! downloads through short-lived signed URLs.
//!
//! The way of an upload: the request body streams into a spool file (`upload`) → the post
//! validates like any other (`messages::post`, with `attach` for the attachment JSON) → the
//! blob store makes the file durable (`store::blobs`) → the message commits and records its
//! files. The way of a download: `GET <path>` as a flow member → 302 to the same path signed
//! for a few minutes (`signing`) → the bytes, with headers that keep the browser from running
//! anything (`download`).

pub mod attach;
mod base64_spool;
pub mod download;
mod gate;
pub mod image;
mod json_split;
mod json_upload;
pub mod mime;
mod multipart;
pub mod signing;
pub mod upload;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// Removes the stored files of a message that was just deleted (its `files` rows went with
/// it, so nothing can reach them any more). A failure only leaves an unreachable blob.
pub async fn remove_blobs(state: &AppState, m: &tributary_types::Message) {
    for f in crate::store::attachment_files(m) {
        if let Err(e) = state.blobs.delete(&f.id).await {
            tracing::warn!(file.key = %f.id, error = %e, "files.blob_not_removed");
        }
    }
}

/// The signed download of a file.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/files/{flow}/{id}/{name}", get(download::get_file))
        .route(
            "/private/{user_id}/{other_id}/files/{id}/{name}",
            get(download::get_private_file),
        )
}
