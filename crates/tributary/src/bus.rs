//! Live fan-out of committed events to stream subscribers.
//!
//! Every flow has a broadcast channel of [`Event`]s: the stored JSON of one message (or edit,
//! deletion, ...) with its per-flow id, serialised once and shared by every subscriber.
//!
//! Order is the contract: events of a flow are published in id order, and ids within a flow
//! are contiguous because each is allocated under the flow's counter lock in the same
//! transaction that stores it. The SQLite writer publishes each committed group in order; on
//! PostgreSQL every node learns of commits through `LISTEN/NOTIFY` (delivered in commit order)
//! and reads the new events from the store. Either way a subscriber sees increasing ids, and a
//! resume that replays from the store and then switches to the live channel neither skips nor
//! repeats an event (see `stream`).
//!
//! A subscriber that falls more than [`CAPACITY`] events behind is not dropped silently: its
//! receiver reports the lag, and the stream ends with a `gap` notice so the client resumes.
//!
//! A user's stream of private messages (`user=1`) also learns here of conversations started
//! while it is open ([`Bus::invite`]): it is handed a receiver subscribed at once, so the
//! conversation's first message, published after, reaches it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc};

/// Events a subscriber may fall behind before its stream is ended with a `gap` notice.
pub const CAPACITY: usize = 4096;

/// One committed event of a flow, with its stream frames built once and shared by every
/// subscriber.
#[derive(Debug)]
pub struct Event {
    pub flow_id: Arc<str>,
    /// The per-flow message id: the stream cursor.
    pub id: i64,
    /// The event's JSON, exactly as the REST API shows it.
    pub json: Bytes,
    /// `<json>\r\n`: the whole JSON-stream frame.
    json_line: Bytes,
    /// `data: <json>\n\n`: the Event-Stream frame after its `id:` line.
    sse_data: Bytes,
    /// `id: <id>\ndata: <json>\n\n`: the whole Event-Stream frame of a single-flow stream,
    /// whose cursor is the message id. Built here once rather than by each subscriber: with
    /// a thousand subscribers that was a thousand `id:` lines and twice the sends per event.
    sse_frame: Bytes,
}

impl Event {
    pub fn new(flow_id: Arc<str>, id: i64, json: &str) -> Event {
        let frame = |head: &[u8], tail: &[u8]| {
            let mut b = bytes::BytesMut::with_capacity(head.len() + json.len() + tail.len());
            b.extend_from_slice(head);
            b.extend_from_slice(json.as_bytes());
            b.extend_from_slice(tail);
            b.freeze()
        };
        Event {
            json: Bytes::copy_from_slice(json.as_bytes()),
            json_line: frame(b"", b"\r\n"),
            sse_data: frame(b"data: ", b"\n\n"),
            sse_frame: frame(format!("id: {id}\ndata: ").as_bytes(), b"\n\n"),
            flow_id,
            id,
        }
    }

    /// The complete Event-Stream frame for a stream of this event's flow alone.
    pub fn sse_frame(&self) -> Bytes {
        self.sse_frame.clone()
    }

    pub fn json_line(&self) -> Bytes {
        self.json_line.clone()
    }

    pub fn sse_data(&self) -> Bytes {
        self.sse_data.clone()
    }
}

struct Channel {
    tx: broadcast::Sender<Arc<Event>>,
    /// The highest id published, so that a re-delivery (two notifications covering the same
    /// commit) is not sent twice.
    last: i64,
}

/// A flow a stream is asked to add, with its live receiver, subscribed when it was sent.
pub type Invite = (Arc<str>, broadcast::Receiver<Arc<Event>>);

pub struct Bus {
    flows: Mutex<HashMap<Arc<str>, Channel>>,
    /// Per user, the open streams that follow the user's private conversations.
    invites: Mutex<HashMap<i64, Vec<mpsc::UnboundedSender<Invite>>>>,
    capacity: usize,
}

impl Bus {
    pub fn new() -> Arc<Bus> {
        Bus::with_capacity(CAPACITY)
    }

    /// A bus whose subscribers may lag `capacity` events before their stream is ended.
    pub fn with_capacity(capacity: usize) -> Arc<Bus> {
        Arc::new(Bus {
            flows: Mutex::new(HashMap::new()),
            invites: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        })
    }

    /// Publishes committed events of one flow, in id order. Events at or below the last id
    /// already published are skipped; with no subscriber nothing is kept.
    pub fn publish(&self, events: impl IntoIterator<Item = Event>) {
        let Ok(mut flows) = self.flows.lock() else {
            return;
        };
        for event in events {
            let Some(channel) = flows.get_mut(&event.flow_id) else {
                continue;
            };
            if event.id <= channel.last {
                continue;
            }
            channel.last = event.id;
            if channel.tx.send(Arc::new(event)).is_err() {
                // Every receiver is gone: forget the flow until someone subscribes again.
                continue;
            }
        }
        flows.retain(|_, c| c.tx.receiver_count() > 0);
    }

    /// Subscribes to a flow's live events. Subscribe *before* reading the backlog from the
    /// store, then skip live events at or below the last id replayed.
    pub fn subscribe(&self, flow_id: &str) -> broadcast::Receiver<Arc<Event>> {
        let mut flows = match self.flows.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(channel) = flows.get(flow_id) {
            return channel.tx.subscribe();
        }
        let (tx, rx) = broadcast::channel(self.capacity);
        flows.insert(flow_id.into(), Channel { tx, last: 0 });
        rx
    }

    /// Where a stream that follows `user_id`'s private conversations learns of new ones.
    pub fn watch_invites(&self, user_id: i64) -> mpsc::UnboundedReceiver<Invite> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut invites = match self.invites.lock() {
            Ok(i) => i,
            Err(poisoned) => poisoned.into_inner(),
        };
        invites.entry(user_id).or_default().push(tx);
        rx
    }

    /// Hands every open stream of `user_id` that follows private conversations a live
    /// receiver of `flow_id` (a conversation just started). Streams that ended are forgotten.
    pub fn invite(&self, user_id: i64, flow_id: &str) {
        let Ok(mut invites) = self.invites.lock() else {
            return;
        };
        let Some(streams) = invites.get_mut(&user_id) else {
            return;
        };
        let id: Arc<str> = flow_id.into();
        streams.retain(|tx| !tx.is_closed() && tx.send((id.clone(), self.subscribe(&id))).is_ok());
        if streams.is_empty() {
            invites.remove(&user_id);
        }
    }

    /// The highest id published for the flow, when anyone is subscribed to it.
    pub fn last_published(&self, flow_id: &str) -> Option<i64> {
        self.flows.lock().ok()?.get(flow_id).map(|c| c.last)
    }

    /// The flows that have live subscribers.
    pub fn subscribed_flows(&self) -> Vec<String> {
        self.flows
            .lock()
            .map(|f| f.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default()
    }

    /// How many flows have live subscribers (for metrics and tests).
    pub fn active_flows(&self) -> usize {
        self.flows.lock().map(|f| f.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(flow: &str, id: i64) -> Event {
        Event::new(flow.into(), id, &format!("{{\"id\":{id}}}"))
    }

    #[tokio::test]
    async fn subscribers_get_their_flows_events_once_and_in_order() {
        let bus = Bus::new();
        let mut a = bus.subscribe("a");
        let mut a2 = bus.subscribe("a");
        let mut b = bus.subscribe("b");
        bus.publish([ev("a", 1), ev("b", 1), ev("a", 2)]);
        bus.publish([ev("a", 2), ev("a", 1), ev("a", 3)]);
        for rx in [&mut a, &mut a2] {
            let ids: Vec<i64> = (0..3).map(|_| rx.try_recv().unwrap().id).collect();
            assert_eq!(ids, vec![1, 2, 3]);
            assert!(rx.try_recv().is_err());
        }
        assert_eq!(b.try_recv().unwrap().id, 1);
        assert!(b.try_recv().is_err());
        assert_eq!(bus.last_published("a"), Some(3));
    }

    #[test]
    fn frames_are_built_once_per_event() {
        let e = ev("a", 7);
        assert_eq!(&e.json_line()[..], b"{\"id\":7}\r\n");
        assert_eq!(&e.sse_data()[..], b"data: {\"id\":7}\n\n");
        assert_eq!(&e.sse_frame()[..], b"id: 7\ndata: {\"id\":7}\n\n");
        // Clones share the allocation: one serialisation for every subscriber.
        assert_eq!(e.json_line().as_ptr(), e.json_line().as_ptr());
    }

    #[tokio::test]
    async fn an_invited_stream_gets_a_receiver_subscribed_before_the_first_event() {
        let bus = Bus::new();
        let mut invites = bus.watch_invites(7);
        bus.invite(8, "p");
        assert!(invites.try_recv().is_err(), "another user's conversation");
        bus.invite(7, "p");
        let (id, mut rx) = invites.try_recv().unwrap();
        bus.publish([ev("p", 1)]);
        assert_eq!((&*id, rx.try_recv().unwrap().id), ("p", 1));
        drop(invites);
        bus.invite(7, "q");
        assert!(
            bus.invites.lock().unwrap().is_empty(),
            "closed streams are forgotten"
        );
    }

    #[tokio::test]
    async fn flows_without_subscribers_are_forgotten() {
        let bus = Bus::new();
        bus.publish([ev("a", 1)]);
        assert_eq!(bus.active_flows(), 0);
        let rx = bus.subscribe("a");
        assert_eq!(bus.active_flows(), 1);
        drop(rx);
        bus.publish([ev("a", 2)]);
        assert_eq!(bus.active_flows(), 0);
    }

    #[tokio::test]
    async fn a_lagging_subscriber_is_told_not_silently_dropped() {
        let bus = Bus::new();
        let mut slow = bus.subscribe("a");
        bus.publish((1..=(CAPACITY as i64 + 10)).map(|i| ev("a", i)));
        match slow.try_recv() {
            Err(broadcast::error::TryRecvError::Lagged(n)) => assert_eq!(n, 10),
            other => panic!("expected a lag report, got {other:?}"),
        }
    }
}
