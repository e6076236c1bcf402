//! One stream as the response body itself: replay from the store after the cursor, then live
//! events from the bus, with keep-alives, until the client leaves, the server stops, or the
//! client falls too far behind (then a final `gap` notice tells it to resume).
//!
//! There is no task per stream and no channel between it and the connection: hyper's
//! connection task polls the body, and the body polls the bus. That is one wake-up per event
//! instead of two, and an idle stream costs only its bus receiver and a few small boxes.
//! Backpressure is the connection's: hyper stops polling the body while its write buffer is
//! full, the bus buffers for the receiver, and a receiver that falls [`crate::bus::CAPACITY`]
//! events behind gets a `gap` notice.
//!
//! The seam between replay and live is gap-free because the bus is subscribed *before* the
//! store is read (in [`open`]), and live events at or below the last replayed id are skipped.
//!
//! The stream also ends, after a final `stream-end` event, when the sweeper finds that its
//! credential or membership no longer holds (see [`crate::state::revocation`]); its [`Watch`] wakes
//! it for that.
//!
//! A stream with `user=1` also carries the user's private conversations, each as a flow of
//! its own (their flows rows), and adds those started while it is open ([`crate::bus::Invite`]);
//! its cursor always lists every position, as the number of its flows may grow.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::cursor;
use super::format::{Format, Gap};
use super::replay::{self, ReplayStream, Replayed};
use crate::bus::{Bus, Event, Invite};
use crate::state::revocation::Watch;
use crate::state::AppState;
use crate::state::{Signals, Wait};
use crate::store::StoreResult;

/// At most this many ready events go out coalesced in one frame (one write), so that a burst
/// costs one syscall rather than one per event, and no frame grows without bound.
const BATCH_EVENTS: usize = 64;
const BATCH_BYTES: usize = 64 * 1024;

pub(super) struct EventStream {
    /// The start of the stream; dropped once it is live.
    replay: Option<ReplayStream>,
    /// Sorted by id, the order of multi-flow cursors.
    flows: Vec<Flow>,
    /// Conversations started while the stream is open, for a `user=1` stream.
    invites: Option<tokio::sync::mpsc::UnboundedReceiver<Invite>>,
    /// The cursor names every flow even when there is one (a `user=1` stream).
    listed: bool,
    format: Format,
    signals: Arc<Signals>,
    wait: Wait,
    /// Where the sweeper says that the stream's access ended.
    watch: Option<Arc<Watch>>,
    /// The flow polled first, in turn, so that a busy flow cannot starve the others.
    turn: usize,
    done: bool,
}

struct Flow {
    id: Arc<str>,
    /// The last id sent in this flow: the stream's cursor there.
    last: i64,
    live: BroadcastStream<Arc<Event>>,
}

/// Opens a stream: where it starts is read from the store first, then it subscribes to the
/// flows' live events, and its first poll replays what was stored between the two. A stream
/// without a resume cursor thus delivers every event committed after it was opened, even one
/// committed before the client's first read (the client may post as soon as it has the 200).
pub(super) async fn open(
    state: &AppState,
    mut flow_ids: Vec<Arc<str>>,
    format: Format,
    resume: Option<String>,
    watch: Arc<Watch>,
    invites: Option<tokio::sync::mpsc::UnboundedReceiver<Invite>>,
) -> StoreResult<EventStream> {
    flow_ids.sort();
    flow_ids.dedup();
    let opened_at = replay::newest(&state.store, &flow_ids).await?;
    let bus = state.store.bus();
    let mut stream = EventStream::new(bus, flow_ids, format, state.streams.signals());
    stream.watch = Some(watch);
    stream.listed = invites.is_some();
    stream.invites = invites;
    let ids = stream.flows.iter().map(|f| f.id.clone()).collect();
    stream.replay = Some(replay::replay(
        state.store.clone(),
        ids,
        format,
        resume,
        opened_at,
        stream.listed,
    ));
    Ok(stream)
}

impl EventStream {
    /// A stream that is live from its first poll, at position 0 in every flow.
    fn new(bus: &Bus, mut flow_ids: Vec<Arc<str>>, format: Format, signals: Arc<Signals>) -> Self {
        flow_ids.sort();
        flow_ids.dedup();
        let flows = flow_ids
            .into_iter()
            .map(|id| Flow {
                live: BroadcastStream::new(bus.subscribe(&id)),
                id,
                last: 0,
            })
            .collect();
        EventStream {
            replay: None,
            flows,
            invites: None,
            listed: false,
            format,
            wait: signals.wait(),
            signals,
            watch: None,
            turn: 0,
            done: false,
        }
    }
}

impl Stream for EventStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done || this.signals.is_stopped() {
            return Poll::Ready(None);
        }
        if let Some(end) = this.poll_ending(cx) {
            return Poll::Ready(Some(Ok(end)));
        }
        if let Some(replay) = &mut this.replay {
            match std::task::ready!(replay.as_mut().poll_next(cx)) {
                Some(Replayed::Frame(frame)) => return Poll::Ready(Some(Ok(frame))),
                Some(Replayed::Live(positions)) => {
                    for (flow, last) in this.flows.iter_mut().zip(positions) {
                        flow.last = last;
                    }
                    this.replay = None;
                }
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
        if let Some(frame) = this.poll_live(cx) {
            return Poll::Ready(Some(Ok(frame)));
        }
        if this.done {
            return Poll::Ready(None);
        }
        // Only an idle poll looks at the tick: while events flow, keep-alives are not needed,
        // and a woken wait stays ready until it is looked at.
        let mut tick = false;
        while this.wait.as_mut().poll(cx).is_ready() {
            tick = true;
            this.wait = this.signals.wait();
        }
        if this.signals.is_stopped() {
            this.done = true;
            return Poll::Ready(None);
        }
        if tick {
            return Poll::Ready(Some(Ok(this.format.keep_alive())));
        }
        Poll::Pending
    }
}

impl EventStream {
    /// The final frame once the sweeper has ended the stream's access; the stream is `done`
    /// after it. A stream still replaying has no cursor to offer yet.
    fn poll_ending(&mut self, cx: &mut Context<'_>) -> Option<Bytes> {
        let ending = self.watch.as_ref()?.poll_ending(cx)?;
        self.done = true;
        let cursor = self.replay.is_none().then(|| self.cursor());
        Some(self.format.end(ending, cursor.as_deref()))
    }

    /// The ready live events, coalesced into one frame; `None` when there are none. Ends the
    /// stream (`done`) after a `gap` notice when the client lagged, or when the bus closed.
    fn poll_live(&mut self, cx: &mut Context<'_>) -> Option<Bytes> {
        self.poll_invites(cx);
        let mut batch = Batch::default();
        let n = self.flows.len();
        'flows: for k in 0..n {
            let i = (self.turn + k) % n;
            while !batch.is_full() {
                let event = match Pin::new(&mut self.flows[i].live).poll_next(cx) {
                    Poll::Pending => continue 'flows,
                    Poll::Ready(Some(Ok(event))) => event,
                    Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(_)))) => {
                        batch.push(self.format.gap(Gap::SlowConsumer, &self.cursor()));
                        self.done = true;
                        break 'flows;
                    }
                    Poll::Ready(None) => {
                        self.done = true;
                        break 'flows;
                    }
                };
                // At or below the cursor: replayed from the store already, or older than a
                // stream that started live.
                if event.id <= self.flows[i].last {
                    continue;
                }
                self.flows[i].last = event.id;
                let single = n == 1 && !self.listed;
                batch.push(self.format.live_event(&event, single, || self.cursor()));
            }
            // Full: hyper polls again at once, so the flows not reached lose no wake-up.
            break;
        }
        if n > 0 {
            self.turn = (self.turn + 1) % n;
        }
        batch.finish()
    }

    fn cursor(&self) -> String {
        cursor::render_positions(self.flows.iter().map(|f| (&*f.id, f.last)), self.listed)
    }

    /// Adds the conversations started since the last poll, from their first message: their
    /// receivers were subscribed before anything was posted to them.
    fn poll_invites(&mut self, cx: &mut Context<'_>) {
        let Some(invites) = &mut self.invites else {
            return;
        };
        while let Poll::Ready(Some((id, rx))) = invites.poll_recv(cx) {
            if let Err(at) = self.flows.binary_search_by(|f| f.id.cmp(&id)) {
                let live = BroadcastStream::new(rx);
                self.flows.insert(at, Flow { id, last: 0, live });
            }
        }
    }
}

/// Frames sent together. A lone frame is passed on as is, shared with every subscriber;
/// only several are copied into one buffer.
#[derive(Default)]
struct Batch {
    first: Option<Bytes>,
    joined: BytesMut,
    events: usize,
}

impl Batch {
    fn push(&mut self, frame: Bytes) {
        self.events += 1;
        match self.first.take() {
            None if self.joined.is_empty() => self.first = Some(frame),
            None => self.joined.extend_from_slice(&frame),
            Some(first) => {
                self.joined.reserve(first.len() + frame.len());
                self.joined.extend_from_slice(&first);
                self.joined.extend_from_slice(&frame);
            }
        }
    }

    fn is_full(&self) -> bool {
        self.events >= BATCH_EVENTS || self.joined.len() >= BATCH_BYTES
    }

    fn finish(self) -> Option<Bytes> {
        match self.first {
            Some(first) => Some(first),
            None if self.joined.is_empty() => None,
            None => Some(self.joined.freeze()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::{FutureExt, StreamExt};
    use serde_json::Value;

    use super::*;
    use crate::bus::Bus;
    use crate::state::Streams;

    fn ev(flow: &str, id: i64) -> Event {
        Event::new(flow.into(), id, &format!("{{\"id\":{id}}}"))
    }

    fn live(bus: &Bus, streams: &Streams, flows: &[&str], format: Format) -> EventStream {
        let ids = flows.iter().map(|f| Arc::from(*f)).collect();
        EventStream::new(bus, ids, format, streams.signals())
    }

    /// The next frame if one is ready: `Some(None)` is the end of the stream.
    fn ready(s: &mut EventStream) -> Option<Option<Bytes>> {
        s.next().now_or_never().map(|item| item.map(|r| r.unwrap()))
    }

    fn frame(s: &mut EventStream) -> String {
        let bytes = ready(s)
            .expect("a frame is ready")
            .expect("the stream goes on");
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn ready_events_go_out_coalesced_and_byte_exact() {
        let (bus, streams) = (Bus::new(), Streams::new(Duration::from_secs(3600)));
        let mut sse = live(&bus, &streams, &["a"], Format::EventStream);
        let mut json = live(&bus, &streams, &["a"], Format::Json);
        assert_eq!(ready(&mut sse), None);
        bus.publish([ev("a", 1), ev("a", 2), ev("a", 3)]);
        assert_eq!(
            frame(&mut sse),
            "id: 1\ndata: {\"id\":1}\n\nid: 2\ndata: {\"id\":2}\n\nid: 3\ndata: {\"id\":3}\n\n"
        );
        assert_eq!(
            frame(&mut json),
            "{\"id\":1}\r\n{\"id\":2}\r\n{\"id\":3}\r\n"
        );
        assert_eq!((ready(&mut sse), ready(&mut json)), (None, None));
        bus.publish([ev("a", 4)]);
        assert_eq!(frame(&mut json), "{\"id\":4}\r\n");
    }

    #[tokio::test]
    async fn multi_flow_frames_carry_the_whole_cursor() {
        let (bus, streams) = (Bus::new(), Streams::new(Duration::from_secs(3600)));
        let mut s = live(&bus, &streams, &["b", "a"], Format::EventStream);
        s.flows[1].last = 4;
        bus.publish([ev("a", 1)]);
        bus.publish([ev("b", 4), ev("b", 5)]);
        let mut all = frame(&mut s);
        while let Some(Some(more)) = ready(&mut s) {
            all.push_str(std::str::from_utf8(&more).unwrap());
        }
        // b:4 was seen already (replayed); each frame names both flows, in id order.
        let want_a = "id: a:1,b:4\ndata: {\"id\":1}\n\n";
        assert!(all.contains(want_a), "{all:?}");
        assert!(all.contains("data: {\"id\":5}\n\n"), "{all:?}");
        assert_eq!(all.matches("data: ").count(), 2, "{all:?}");
        assert!(all.ends_with("\n\n") && !all.contains("retry:"));
    }

    #[tokio::test]
    async fn a_lagging_stream_ends_with_a_gap_naming_its_cursor() {
        let (bus, streams) = (
            Bus::with_capacity(4),
            Streams::new(Duration::from_secs(3600)),
        );
        let mut s = live(&bus, &streams, &["a"], Format::Json);
        bus.publish((1..=2).map(|i| ev("a", i)));
        assert_eq!(frame(&mut s), "{\"id\":1}\r\n{\"id\":2}\r\n");
        bus.publish((3..=12).map(|i| ev("a", i)));
        let gap = frame(&mut s);
        let gap: Value = serde_json::from_str(gap.strip_suffix("\r\n").unwrap()).unwrap();
        assert_eq!(
            (&gap["event"], &gap["reason"], &gap["cursor"]),
            (&"gap".into(), &"slow_consumer".into(), &"2".into())
        );
        assert_eq!(ready(&mut s), Some(None), "the notice is the last frame");
    }

    async fn next(s: &mut EventStream) -> Option<Bytes> {
        let item = tokio::time::timeout(Duration::from_secs(10), s.next()).await;
        item.expect("a frame in time").map(|r| r.unwrap())
    }

    #[tokio::test]
    async fn idle_streams_get_keep_alives_and_end_on_stop() {
        let bus = Bus::new();
        let streams = Streams::new(Duration::from_millis(20));
        let mut s = live(&bus, &streams, &["a"], Format::EventStream);
        let mut j = live(&bus, &streams, &["a"], Format::Json);
        assert_eq!(next(&mut s).await.as_deref(), Some(&b":\n\n"[..]));
        assert_eq!(next(&mut j).await.as_deref(), Some(&b"\n"[..]));
        streams.stop();
        assert_eq!(next(&mut s).await, None);
        let mut late = live(&bus, &streams, &["a"], Format::Json);
        assert_eq!(
            ready(&mut late),
            Some(None),
            "streams opened after stop end at once"
        );
    }
}
