//! Edits and deletions on SQLite, run by the writer inside its group transaction. Each takes
//! the message's old text out of the search index (now, and through `search_changes` at the
//! next start if the process stops before the indexer has applied it).

use rusqlite::{params, Connection, OptionalExtension};

use super::message_rows::{insert_message, load_thread, next_id, write_tags};
use super::search::SearchOps;
use super::writer::Written;
use crate::store::*;

/// Rewrites one message and records the edit's events, which are published with it.
pub(super) fn change_message(
    c: &Connection,
    ch: MessageChange,
) -> StoreResult<Written<ChangeOutcome>> {
    let now = now_millis();
    let (rowid, thread_id): (i64, Option<String>) = c
        .query_row(
            "SELECT rowid, thread_id FROM messages WHERE flow_id = ?1 AND id = ?2",
            params![ch.flow_id, ch.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound("message"))?;
    let mut m = ch.message;
    m.thread = None;
    let own = serialise(&m);
    c.execute(
        "UPDATE messages SET body = ?3 WHERE flow_id = ?1 AND id = ?2",
        params![ch.flow_id, ch.id, own],
    )?;
    c.execute(
        "DELETE FROM message_tags WHERE flow_id = ?1 AND message_id = ?2",
        params![ch.flow_id, ch.id],
    )?;
    write_tags(c, &ch.flow_id, ch.id, &m.tags)?;
    let search = unindex(c, rowid)?.index(rowid, ch.search_text);
    let state: Option<String> = match &thread_id {
        Some(t) => c
            .query_row("SELECT state FROM threads WHERE id = ?1", [t], |r| r.get(0))
            .optional()?,
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
    for ev in ch.events {
        let mut e = ev.message;
        let id = next_id(c, &ch.flow_id)?;
        let own = finish_message(&mut e, &ch.flow_id, id, now);
        insert_message(c, &e, &own, ev.user_id, None, Some(ch.id))?;
        events.push(StoredMessage {
            thread_id: None,
            ..StoredMessage::written(e, ev.user_id, own.into())
        });
    }
    Ok(Written {
        events: events.iter().map(StoredMessage::to_event).collect(),
        search,
        answer: ChangeOutcome { message, events },
    })
}

/// Removes the message and records its `message-delete` event, which is returned.
pub(super) fn delete_message(
    c: &Connection,
    flow_id: &str,
    id: i64,
    deletion: NewEvent,
) -> StoreResult<Written<StoredMessage>> {
    let (rowid, event, thread_id): (i64, String, Option<String>) = c
        .query_row(
            "SELECT rowid, event, thread_id FROM messages WHERE flow_id = ?1 AND id = ?2",
            params![flow_id, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound("message"))?;
    c.execute(
        "DELETE FROM messages WHERE flow_id = ?1 AND id = ?2",
        params![flow_id, id],
    )?;
    c.execute(
        "DELETE FROM message_tags WHERE flow_id = ?1 AND message_id = ?2",
        params![flow_id, id],
    )?;
    let search = unindex(c, rowid)?;
    if let Some(tid) = thread_id {
        if let Some(mut t) = load_thread(c, flow_id, &tid)? {
            count(&mut t, Counter::for_event(&event), -1);
            c.execute(
                "UPDATE threads SET state = ?2, message_count = message_count - 1 WHERE id = ?1",
                params![tid, serialise(&t)],
            )?;
        }
    }
    let mut e = deletion.message;
    let event_id = next_id(c, flow_id)?;
    let own = finish_message(&mut e, flow_id, event_id, now_millis());
    insert_message(c, &e, &own, deletion.user_id, None, Some(id))?;
    let event = StoredMessage {
        thread_id: None,
        ..StoredMessage::written(e, deletion.user_id, own.into())
    };
    Ok(Written {
        events: vec![event.to_event()],
        search,
        answer: event,
    })
}

/// Takes a message out of the index, now and (through `search_changes`) at the next start
/// if the process stops before the indexer has applied it.
fn unindex(c: &Connection, rowid: i64) -> StoreResult<SearchOps> {
    c.prepare_cached("INSERT OR IGNORE INTO search_changes (rowid) VALUES (?1)")?
        .execute([rowid])?;
    Ok(SearchOps::default().remove(rowid))
}
