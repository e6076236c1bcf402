//! One stream's task: replay from the store after the cursor, then forward live events from
//! the bus, with keep-alives, until the client leaves, the server stops, or the client falls
//! too far behind (then a final `gap` notice tells it to resume).
//!
//! The seam between replay and live is gap-free because the task subscribes to the bus
//! *before* reading the store, and skips live events at or below the last id it replayed.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{StreamExt, StreamMap};

use super::cursor::Cursor;
use super::format::Format;
use crate::bus::Event;
use crate::state::AppState;
use crate::store::{FlowRecord, MessageQuery, StoreResult};

/// Frames buffered between the task and the connection. Small on purpose: a client that
/// stops reading soon stops the task from draining the bus, and the bus reports the lag.
pub const FRAMES_IN_FLIGHT: usize = 64;

/// Events read from the store per query while replaying.
const REPLAY_PAGE: i64 = 500;

/// Why the stream carries a `gap` notice.
#[derive(Debug, Clone, Copy)]
enum Gap {
    /// The resume cursor could not be read.
    InvalidCursor,
    /// The cursor names events this server never stored (or no longer keeps).
    UnknownCursor,
    /// The client fell further behind than the server buffers; it must resume.
    SlowConsumer,
}

impl Gap {
    fn reason(self) -> &'static str {
        match self {
            Gap::InvalidCursor => "invalid_cursor",
            Gap::UnknownCursor => "unknown_cursor",
            Gap::SlowConsumer => "slow_consumer",
        }
    }
}

struct Pump {
    state: AppState,
    flows: Vec<FlowRecord>,
    format: Format,
    cursor: Cursor,
    tx: mpsc::Sender<Bytes>,
}

pub async fn run(
    state: AppState,
    flows: Vec<FlowRecord>,
    format: Format,
    resume: Option<String>,
    tx: mpsc::Sender<Bytes>,
) {
    let mut live = StreamMap::new();
    for f in &flows {
        live.insert(
            f.id.clone(),
            BroadcastStream::new(state.store.bus().subscribe(&f.id)),
        );
    }
    let mut pump = Pump {
        state,
        flows,
        format,
        cursor: Cursor::default(),
        tx,
    };
    if let Err(e) = pump.start(resume.as_deref()).await {
        tracing::warn!(error = %e, "stream.replay_failed");
        return;
    }
    pump.forward(live).await;
}

impl Pump {
    fn flow_ids(&self) -> Vec<&str> {
        self.flows.iter().map(|f| f.id.as_str()).collect()
    }

    /// Sets the starting cursor, announcing a gap when the resume cursor is unusable, and
    /// replays the store after it. Without a cursor the stream starts live, from now.
    async fn start(&mut self, resume: Option<&str>) -> StoreResult<()> {
        for f in self.flows.clone() {
            let newest = self.newest(&f.id).await?;
            self.cursor.advance(&f.id, newest);
        }
        let Some(text) = resume else { return Ok(()) };
        let ids = self.flow_ids();
        let parsed = match Cursor::parse(text, &ids) {
            Ok(c) => c,
            Err(_) => {
                let oldest = self.oldest_cursor().await?;
                self.send_gap(Gap::InvalidCursor, &oldest).await;
                return Ok(());
            }
        };
        let mut beyond = false;
        for f in self.flows.clone() {
            if let Some(pos) = parsed.get(&f.id) {
                // `cursor` holds the newest stored id: a position past it was never issued.
                if pos > self.cursor.get(&f.id).unwrap_or(0) {
                    beyond = true;
                }
            }
        }
        if beyond {
            let oldest = self.oldest_cursor().await?;
            self.send_gap(Gap::UnknownCursor, &oldest).await;
            return Ok(());
        }
        for f in self.flows.clone() {
            // Flows the cursor does not name (the filter grew) start live.
            if let Some(pos) = parsed.get(&f.id) {
                self.cursor.set(&f.id, pos);
                self.replay(&f.id, pos).await?;
            }
        }
        Ok(())
    }

    async fn replay(&mut self, flow_id: &str, mut after: i64) -> StoreResult<()> {
        loop {
            let page = self
                .state
                .store
                .list_messages(MessageQuery {
                    flow_id: flow_id.to_owned(),
                    ascending: true,
                    since_id: Some(after),
                    limit: REPLAY_PAGE,
                    ..MessageQuery::default()
                })
                .await?;
            for m in &page {
                if !self.send_event(&m.to_event()).await {
                    return Ok(());
                }
                after = m.id;
            }
            if (page.len() as i64) < REPLAY_PAGE {
                return Ok(());
            }
        }
    }

    async fn forward(&mut self, mut live: StreamMap<String, BroadcastStream<Arc<Event>>>) {
        let mut keepalive = tokio::time::interval(self.state.streams.keepalive);
        keepalive.reset();
        let streams = self.state.streams.clone();
        let stopped = streams.stopped();
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                item = live.next(), if !live.is_empty() => match item {
                    Some((_, Ok(event))) => {
                        if !self.send_event(&event).await {
                            return;
                        }
                    }
                    Some((_, Err(BroadcastStreamRecvError::Lagged(_)))) => {
                        let resume = self.cursor.render(&self.flow_ids());
                        self.send_gap(Gap::SlowConsumer, &resume).await;
                        return;
                    }
                    None => return,
                },
                _ = keepalive.tick() => {
                    // A full buffer already proves the connection busy; skip this one.
                    if let Err(mpsc::error::TrySendError::Closed(_)) = self.tx.try_send(self.format.keep_alive()) {
                        return;
                    }
                }
                _ = self.tx.closed() => return,
                _ = &mut stopped => return,
            }
        }
    }

    /// Sends an event unless the cursor already passed it: a live event at or below the
    /// cursor was replayed from the store (or predates a stream that started live).
    async fn send_event(&mut self, event: &Event) -> bool {
        if event.id <= self.cursor.get(&event.flow_id).unwrap_or(0) {
            return true;
        }
        self.cursor.advance(&event.flow_id, event.id);
        let ok = match self.format {
            Format::Json => self.tx.send(event.json_line()).await.is_ok(),
            // A single flow's cursor is the event id: the frame was built once for everyone.
            Format::EventStream if self.flows.len() == 1 => {
                self.tx.send(event.sse_frame()).await.is_ok()
            }
            Format::EventStream => {
                let id = format!("id: {}\n", self.cursor.render(&self.flow_ids()));
                self.tx.send(Bytes::from(id)).await.is_ok()
                    && self.tx.send(event.sse_data()).await.is_ok()
            }
        };
        ok
    }

    async fn send_gap(&self, gap: Gap, cursor: &str) {
        let body = json!({
            "event": "gap",
            "reason": gap.reason(),
            "cursor": cursor,
            "message": "Events may be missing here: resume from `cursor`, or reload the flow",
        });
        let json = body.to_string();
        let _ = self
            .tx
            .send(self.format.control("gap", json.as_bytes()))
            .await;
    }

    /// The newest stored id of a flow (0 when it has none).
    async fn newest(&self, flow_id: &str) -> StoreResult<i64> {
        let page = self
            .state
            .store
            .list_messages(MessageQuery {
                flow_id: flow_id.to_owned(),
                ascending: false,
                limit: 1,
                ..MessageQuery::default()
            })
            .await?;
        Ok(page.first().map(|m| m.id).unwrap_or(0))
    }

    /// The cursor from which a resume replays everything the store keeps.
    async fn oldest_cursor(&self) -> StoreResult<String> {
        let mut c = Cursor::default();
        for f in &self.flows {
            let first = self
                .state
                .store
                .list_messages(MessageQuery {
                    flow_id: f.id.clone(),
                    ascending: true,
                    limit: 1,
                    ..MessageQuery::default()
                })
                .await?;
            c.advance(&f.id, first.first().map(|m| m.id - 1).unwrap_or(0));
        }
        Ok(c.render(&self.flow_ids()))
    }
}
