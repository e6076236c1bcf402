//! The Streaming API (flowdock/api-docs docs/streaming.md): a JSON stream or Event-Stream of a set of flows,
//! replayed from the store after a cursor and then fed live from the bus.

mod body;
pub mod cursor;
pub mod format;
pub mod handlers;
mod replay;

use std::time::Duration;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The Streaming API. Flowdock's root paths (`stream.` hosts, `GET /flows?filter=`) reach
/// these through the server's path normalisation.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stream/flows", get(handlers::stream_flows))
        // `/stream?user=1` (hubot-flowdock's private messages without flows) is the same.
        .route("/stream", get(handlers::stream_flows))
        .route("/stream/private/{user_id}", get(handlers::stream_private))
        .route("/stream/flows/{org}/{flow}", get(handlers::stream_flow))
}

/// How often an idle stream sends a keep-alive, so that clients and NAT boxes keep it open.
pub const KEEPALIVE: Duration = Duration::from_secs(15);
