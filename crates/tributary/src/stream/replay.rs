//! The start of a stream: where it begins, the `gap` notice when the resume cursor is
//! unusable, and the replay from the store after the cursor.
//!
//! Only the start of a stream needs the store, so this state lives in its own box that the
//! stream drops once it goes live; an idle stream then keeps only what the live phase needs.

use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;

use super::cursor::{self, Cursor};
use super::format::{Format, Gap};
use crate::store::{DynStore, MessageQuery, StoreResult};

/// Events read from the store per query while replaying; each page goes out as one frame.
const REPLAY_PAGE: i64 = 500;

pub(super) enum Replayed {
    /// Bytes to send: replayed events, or a `gap` notice.
    Frame(Bytes),
    /// Replay is over: the stream goes live from these positions, one per flow.
    Live(Vec<i64>),
}

pub(super) type ReplayStream = Pin<Box<dyn Stream<Item = Replayed> + Send>>;

struct Replay {
    store: DynStore,
    /// Sorted by id, as the stream's are.
    flows: Vec<Arc<str>>,
    format: Format,
    resume: Option<String>,
    started: bool,
    positions: Vec<i64>,
    /// Indexes of the flows still to replay, next first.
    pending: std::collections::VecDeque<usize>,
}

/// Without a resume cursor the stream starts live, from the newest stored event. A store
/// error ends the stream (the client reconnects), as there is nothing honest to send.
pub(super) fn replay(
    store: DynStore,
    flows: Vec<Arc<str>>,
    format: Format,
    resume: Option<String>,
) -> ReplayStream {
    let positions = vec![0; flows.len()];
    let replay = Replay {
        store,
        flows,
        format,
        resume,
        started: false,
        positions,
        pending: Default::default(),
    };
    Box::pin(futures_util::stream::unfold(Some(replay), |r| async move {
        let mut r = r?;
        match r.step().await {
            Ok(Some(frame)) => Some((Replayed::Frame(frame), Some(r))),
            Ok(None) => Some((Replayed::Live(std::mem::take(&mut r.positions)), None)),
            Err(e) => {
                tracing::warn!(error = %e, "stream.replay_failed");
                None
            }
        }
    }))
}

impl Replay {
    /// The next frame to send, or `None` once the stream may go live.
    async fn step(&mut self) -> StoreResult<Option<Bytes>> {
        if !self.started {
            self.started = true;
            if let Some(gap) = self.start().await? {
                return Ok(Some(gap));
            }
        }
        while let Some(&i) = self.pending.front() {
            let page = self
                .store
                .list_messages(MessageQuery {
                    flow_id: self.flows[i].to_string(),
                    ascending: true,
                    since_id: Some(self.positions[i]),
                    limit: REPLAY_PAGE,
                    ..MessageQuery::default()
                })
                .await?;
            if (page.len() as i64) < REPLAY_PAGE {
                self.pending.pop_front();
            }
            if page.is_empty() {
                continue;
            }
            let mut out = BytesMut::with_capacity(page.iter().map(|m| m.json.len() + 32).sum());
            for m in &page {
                self.positions[i] = m.id;
                self.format
                    .put_event(&mut out, || self.cursor(), m.json.as_bytes());
            }
            return Ok(Some(out.freeze()));
        }
        Ok(None)
    }

    /// Sets the starting positions, and answers a `gap` notice when the resume cursor is
    /// unusable (the stream then starts live, from now).
    async fn start(&mut self) -> StoreResult<Option<Bytes>> {
        for i in 0..self.flows.len() {
            self.positions[i] = self.edge(i, false).await?.unwrap_or(0);
        }
        let Some(text) = self.resume.take() else {
            return Ok(None);
        };
        let ids: Vec<&str> = self.flows.iter().map(|f| &**f).collect();
        let Ok(parsed) = Cursor::parse(&text, &ids) else {
            return self.gap(Gap::InvalidCursor).await.map(Some);
        };
        // `positions` holds the newest stored ids: a position past one was never issued.
        let beyond = (ids.iter().zip(&self.positions))
            .any(|(f, newest)| parsed.get(f).is_some_and(|pos| pos > *newest));
        if beyond {
            return self.gap(Gap::UnknownCursor).await.map(Some);
        }
        // Every position is set before replaying, so that the cursors sent while replaying
        // one flow already name the resume position of the others. Flows the cursor does not
        // name (the filter grew) start live.
        for (i, f) in ids.iter().enumerate() {
            if let Some(pos) = parsed.get(f) {
                self.positions[i] = pos;
                self.pending.push_back(i);
            }
        }
        Ok(None)
    }

    fn cursor(&self) -> String {
        render(&self.flows, &self.positions)
    }

    /// A gap notice naming the cursor from which a resume replays everything the store keeps.
    async fn gap(&self, gap: Gap) -> StoreResult<Bytes> {
        let mut oldest = Vec::with_capacity(self.flows.len());
        for i in 0..self.flows.len() {
            oldest.push(self.edge(i, true).await?.map(|id| id - 1).unwrap_or(0));
        }
        Ok(self.format.gap(gap, &render(&self.flows, &oldest)))
    }

    /// The oldest or newest stored id of a flow.
    async fn edge(&self, i: usize, oldest: bool) -> StoreResult<Option<i64>> {
        let page = self
            .store
            .list_messages(MessageQuery {
                flow_id: self.flows[i].to_string(),
                ascending: oldest,
                limit: 1,
                ..MessageQuery::default()
            })
            .await?;
        Ok(page.first().map(|m| m.id))
    }
}

fn render(flows: &[Arc<str>], positions: &[i64]) -> String {
    cursor::render_sorted(flows.iter().map(|f| &**f).zip(positions.iter().copied()))
}
