//! Edits and deletions on PostgreSQL, each a transaction of its own. Every write of a flow
//! first locks the flow's counter row (posts too, see `post`), so a flow's writers serialise
//! across nodes: ids commit in order, thread upserts never race, counts stay exact.

use deadpool_postgres::Transaction;

use super::message_rows::{exec, insert_message, next_id, parse_thread, query_opt, write_tags};
use crate::store::*;

pub(super) async fn change_message(
    tx: &Transaction<'_>,
    ch: MessageChange,
) -> StoreResult<ChangeOutcome> {
    let now = now_millis();
    // Edits take the flow's counter lock like posts, so their events' ids commit in order.
    let first_event_id = if ch.events.is_empty() {
        None
    } else {
        Some(next_id(tx, &ch.flow_id).await?)
    };
    let row = query_opt(
        tx,
        "SELECT thread_id FROM messages WHERE flow_id = $1 AND id = $2 FOR UPDATE",
        &[&ch.flow_id, &ch.id],
    )
    .await?
    .ok_or(StoreError::NotFound("message"))?;
    let thread_id: Option<String> = row.get(0);
    let mut m = ch.message;
    m.thread = None;
    let own = serialise(&m);
    exec(
        tx,
        "UPDATE messages SET body = $3, search_text = $4 WHERE flow_id = $1 AND id = $2",
        &[&ch.flow_id, &ch.id, &own, &ch.search_text],
    )
    .await?;
    exec(
        tx,
        "DELETE FROM message_tags WHERE flow_id = $1 AND message_id = $2",
        &[&ch.flow_id, &ch.id],
    )
    .await?;
    write_tags(tx, &ch.flow_id, ch.id, &m.tags).await?;
    let state: Option<String> = match &thread_id {
        Some(t) => query_opt(tx, "SELECT state FROM threads WHERE id = $1", &[t])
            .await?
            .map(|r| r.get(0)),
        None => None,
    };
    let message = StoredMessage::edited(
        ch.flow_id.clone(),
        ch.id,
        &m,
        thread_id,
        &own,
        state.as_deref(),
    );
    let mut events = Vec::with_capacity(ch.events.len());
    for (i, ev) in ch.events.into_iter().enumerate() {
        let mut e = ev.message;
        let id = match (i, first_event_id) {
            (0, Some(id)) => id,
            _ => next_id(tx, &ch.flow_id).await?,
        };
        let own = finish_message(&mut e, &ch.flow_id, id, now);
        insert_message(tx, &e, &own, ev.user_id, None, Some(ch.id), "").await?;
        events.push(StoredMessage {
            thread_id: None,
            ..StoredMessage::written(e, ev.user_id, own.into())
        });
    }
    Ok(ChangeOutcome { message, events })
}

/// Removes the message and records its `message-delete` event, which is returned. The
/// flow's counter is locked first, as every write of the flow does, so writers never
/// deadlock on each other.
pub(super) async fn delete_message(
    tx: &Transaction<'_>,
    flow_id: &str,
    id: i64,
    deletion: NewEvent,
) -> StoreResult<StoredMessage> {
    let event_id = next_id(tx, flow_id).await?;
    let row = query_opt(
        tx,
        "DELETE FROM messages WHERE flow_id = $1 AND id = $2 RETURNING event, thread_id",
        &[&flow_id, &id],
    )
    .await?
    .ok_or(StoreError::NotFound("message"))?;
    let event: String = row.get(0);
    let thread_id: Option<String> = row.get(1);
    exec(
        tx,
        "DELETE FROM message_tags WHERE flow_id = $1 AND message_id = $2",
        &[&flow_id, &id],
    )
    .await?;
    if let Some(tid) = thread_id {
        let state = query_opt(
            tx,
            "SELECT state FROM threads WHERE id = $1 FOR UPDATE",
            &[&tid],
        )
        .await?;
        if let Some(r) = state {
            let mut t = parse_thread(r.get(0))?;
            count(&mut t, Counter::for_event(&event), -1);
            exec(
                tx,
                "UPDATE threads SET state = $2, message_count = message_count - 1 WHERE id = $1",
                &[&tid, &serialise(&t)],
            )
            .await?;
        }
    }
    let mut e = deletion.message;
    let own = finish_message(&mut e, flow_id, event_id, now_millis());
    insert_message(tx, &e, &own, deletion.user_id, None, Some(id), "").await?;
    Ok(StoredMessage {
        thread_id: None,
        ..StoredMessage::written(e, deletion.user_id, own.into())
    })
}
