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
    /// Cursors name every flow, even a single one.
    listed: bool,
}

/// The newest stored id of each flow (0 for an empty one), in the order of `flows`.
pub(super) async fn newest(store: &DynStore, flows: &[Arc<str>]) -> StoreResult<Vec<i64>> {
    let mut out = Vec::with_capacity(flows.len());
    for flow in flows {
        out.push(edge(store, flow, false).await?.unwrap_or(0));
    }
    Ok(out)
}

/// Without a resume cursor the stream starts where it was opened (`opened_at`, the newest
/// ids read before it subscribed): what was stored since is replayed, so nothing committed
/// between the read and the subscription is lost. A store error ends the stream (the client
/// reconnects), as there is nothing honest to send.
pub(super) fn replay(
    store: DynStore,
    flows: Vec<Arc<str>>,
    format: Format,
    resume: Option<String>,
    opened_at: Vec<i64>,
    listed: bool,
) -> ReplayStream {
    let positions = opened_at;
    let replay = Replay {
        store,
        flows,
        format,
        resume,
        started: false,
        positions,
        pending: Default::default(),
        listed,
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
        // Every flow replays from where the stream was opened, unless the cursor names an
        // earlier position there.
        self.pending = (0..self.flows.len()).collect();
        let Some(text) = self.resume.take() else {
            return Ok(None);
        };
        let ids: Vec<&str> = self.flows.iter().map(|f| &**f).collect();
        let Ok(parsed) = Cursor::parse(&text, &ids) else {
            return self.gap(Gap::InvalidCursor).await.map(Some);
        };
        // `positions` holds the newest stored ids when the stream was opened: a position past
        // one was never issued.
        let beyond = (ids.iter().zip(&self.positions))
            .any(|(f, newest)| parsed.get(f).is_some_and(|pos| pos > *newest));
        if beyond {
            return self.gap(Gap::UnknownCursor).await.map(Some);
        }
        // Every position is set before replaying, so that the cursors sent while replaying
        // one flow already name the resume position of the others. Flows the cursor does not
        // name (the filter grew) replay from where the stream was opened.
        for (i, f) in ids.iter().enumerate() {
            if let Some(pos) = parsed.get(f) {
                self.positions[i] = pos;
            }
        }
        Ok(None)
    }

    fn cursor(&self) -> String {
        render(&self.flows, &self.positions, self.listed)
    }

    /// A gap notice naming the cursor from which a resume replays everything the store keeps.
    async fn gap(&self, gap: Gap) -> StoreResult<Bytes> {
        let mut oldest = Vec::with_capacity(self.flows.len());
        for flow in &self.flows {
            oldest.push(
                edge(&self.store, flow, true)
                    .await?
                    .map(|id| id - 1)
                    .unwrap_or(0),
            );
        }
        // The stream then goes on from where it was opened, as one without a cursor does.
        Ok(self
            .format
            .gap(gap, &render(&self.flows, &oldest, self.listed)))
    }
}

/// The oldest or newest stored id of a flow.
async fn edge(store: &DynStore, flow: &str, oldest: bool) -> StoreResult<Option<i64>> {
    let page = store
        .list_messages(MessageQuery {
            flow_id: flow.to_owned(),
            ascending: oldest,
            limit: 1,
            ..MessageQuery::default()
        })
        .await?;
    Ok(page.first().map(|m| m.id))
}

fn render(flows: &[Arc<str>], positions: &[i64], listed: bool) -> String {
    let positions = flows.iter().map(|f| &**f).zip(positions.iter().copied());
    cursor::render_positions(positions, listed)
}

#[cfg(test)]
mod tests {
    use futures_util::{FutureExt, StreamExt};
    use tributary_types::AccessMode;

    use super::super::body;
    use super::*;
    use crate::auth::poster::Poster;
    use crate::messages::{post_message, MessageInput};
    use crate::state::Grant;

    /// A stream starts where it was opened, not where its first read happens to be: an event
    /// committed after the 200 but before the body is first polled still reaches the client.
    #[tokio::test]
    async fn an_event_stored_before_the_first_read_is_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = crate::store::connect(&url).await.unwrap();
        let state = crate::server::state(store.clone(), "http://127.0.0.1:1");
        let (user, _) = crate::users::create_user(
            &store,
            crate::users::CreateUser {
                email: "ann@example.com".into(),
                name: "Ann".into(),
                nick: "ann".into(),
                password: None,
            },
        )
        .await
        .unwrap();
        crate::organizations::create_org(&store, "Acme", Some("ann@example.com"))
            .await
            .unwrap();
        let flow = crate::flows::create_flow(&store, "acme", "Main", AccessMode::Invitation, None)
            .await
            .unwrap();
        store
            .set_flow_member(&flow.id, user.id, true)
            .await
            .unwrap();
        let ids = vec![Arc::from(flow.id.as_str())];
        let watch = state
            .streams
            .watch(&store, user.id, Grant::ApiToken("x".into()), &ids);
        let mut stream = body::open(&state, ids, Format::Json, None, watch, None)
            .await
            .unwrap();
        let input = MessageInput {
            event: Some("message".into()),
            content: serde_json::json!("first"),
            ..MessageInput::default()
        };
        post_message(&store, &Poster::User(user), &flow, input)
            .await
            .unwrap();
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
            .await
            .expect("a frame within 5 s")
            .expect("the stream goes on")
            .unwrap();
        assert!(
            String::from_utf8_lossy(&frame).contains("\"content\":\"first\""),
            "{frame:?}"
        );
        assert!(stream.next().now_or_never().is_none(), "sent once");
    }
}
