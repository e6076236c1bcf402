//! Cross-node fan-out: every commit that stores an event sends `NOTIFY tributary_events,
//! '<flow id>:<id>'` inside its transaction, so PostgreSQL delivers it when (and only if) the
//! commit succeeds, in commit order. Each node listens on one dedicated connection and, for
//! flows that have subscribers here, reads the new events from the store and publishes them
//! to its local bus. The events themselves always come from the store, never the payload.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::message_queries;
use crate::bus::Bus;
use crate::store::{private_participants, MessageQuery, StoreResult};

pub(super) const CHANNEL: &str = "tributary_events";

/// Events read per query while catching up.
const PAGE: i64 = 500;

/// The payload naming one committed event.
pub(super) fn payload(flow_id: &str, id: i64) -> String {
    format!("{flow_id}:{id}")
}

/// How long opening the store waits for the first `LISTEN` before it goes on without it (the
/// listener keeps retrying; streams opened meanwhile get no live events from this node).
pub(super) const LISTEN_WAIT: Duration = Duration::from_secs(10);

/// Listens until the returned task is aborted, reconnecting after failures. After each
/// (re)connect it catches up every subscribed flow, since notifications sent while it was
/// away are lost. `listening` is told once the first `LISTEN` is in place: until then a
/// commit's notification would reach no one, so the store waits for it before it serves.
pub(super) fn spawn_listener(
    config: tokio_postgres::Config,
    pool: Pool,
    bus: Arc<Bus>,
    listening: tokio::sync::oneshot::Sender<()>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        let mut listening = Some(listening);
        loop {
            match listen(&config, &pool, &bus, &mut listening).await {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(error = %e, "bus.listener_failed");
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
            tokio::time::sleep(backoff).await;
        }
    })
}

async fn listen(
    config: &tokio_postgres::Config,
    pool: &Pool,
    bus: &Arc<Bus>,
    listening: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> StoreResult<()> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    if let Some(tx) = listening.take() {
        let _ = tx.send(());
    }
    for flow_id in bus.subscribed_flows() {
        catch_up(pool, bus, &flow_id, None).await?;
    }
    while let Some(first) = rx.recv().await {
        // Coalesce a burst: one read per flow, over its lowest to highest notified ids.
        let mut notified: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut note = |p: String| {
            if let Some((flow, id)) = p.rsplit_once(':') {
                if let Ok(id) = id.parse::<i64>() {
                    let e = notified.entry(flow.to_owned()).or_insert((id, id));
                    *e = (e.0.min(id), e.1.max(id));
                }
            }
        };
        note(first);
        while let Ok(more) = rx.try_recv() {
            note(more);
        }
        for (flow_id, ids) in notified {
            // Id 0: a private conversation started; its users' streams here subscribe to it
            // first, so its messages (notified after, in commit order) reach them.
            if let (0, Some((lo, hi))) = (ids.0, private_participants(&flow_id)) {
                bus.invite(lo, &flow_id);
                bus.invite(hi, &flow_id);
            }
            catch_up(pool, bus, &flow_id, Some(ids)).await?;
        }
    }
    driver.abort();
    Ok(())
}

/// Publishes the flow's events after the last one published here, given the lowest and
/// highest notified ids. A flow nobody here subscribes to is skipped. For a channel that has
/// published nothing yet, the lowest notified id is where it starts: its subscribers replayed
/// everything older from the store themselves. A group commit announces the first and the
/// last id it stored in each flow, so starting at the lowest never skips a group's earlier
/// events.
async fn catch_up(
    pool: &Pool,
    bus: &Bus,
    flow_id: &str,
    notified: Option<(i64, i64)>,
) -> StoreResult<()> {
    let Some(last) = bus.last_published(flow_id) else {
        return Ok(());
    };
    let mut after = match (last, notified) {
        (0, Some((lowest, _))) => lowest - 1,
        (0, None) => return Ok(()),
        (l, _) => l,
    };
    if notified.is_some_and(|(_, highest)| highest <= after) {
        return Ok(());
    }
    let client = pool.get().await?;
    loop {
        let query = MessageQuery {
            flow_id: flow_id.to_owned(),
            ascending: true,
            since_id: Some(after),
            limit: PAGE,
            ..MessageQuery::default()
        };
        let page = message_queries::list_messages(&**client, query).await?;
        let Some(newest) = page.last().map(|m| m.id) else {
            return Ok(());
        };
        let full = page.len() as i64 == PAGE;
        bus.publish(page.iter().map(|m| m.to_event()));
        after = newest;
        if !full {
            return Ok(());
        }
    }
}
