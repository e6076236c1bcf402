//! The Streaming API (docs/streaming.md): JSON stream and Event-Stream over the bus.

pub mod cursor;
pub mod format;
