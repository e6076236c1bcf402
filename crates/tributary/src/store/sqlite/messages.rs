//! Messages, threads and idempotency keys. Every write here runs inside the writer's group
//! transaction, so a post's thread upsert, id allocation, insert, counts and key are one
//! atomic unit, and the single writer makes the per-flow ids commit in order.

use rusqlite::{params, Connection, OptionalExtension};
use tributary_types::{Message, Thread};

use super::search::SearchOps;
use super::writer::Written;
use crate::store::*;

/// Answers with the message's event and its search text, for the writer to hand on.
pub fn post_message(c: &Connection, p: NewPost) -> StoreResult<Written<PostOutcome>> {
    let now = now_millis();
    if let Some(claim) = &p.claim {
        if let Some(r) = idempotent_response(c, &claim.scope, &claim.key)? {
            return Ok(Written::answer(PostOutcome::Replay(r)));
        }
    }
    let flow_id = p.message.flow.clone();
    let mut thread = match &p.thread {
        ThreadRef::None => None,
        ThreadRef::Existing(id) => {
            let t = load_thread(c, &flow_id, id)?.ok_or(StoreError::NotFound("thread"))?;
            may_join(&t, p.source_id)?;
            Some(t)
        }
        ThreadRef::External(nt) => {
            let found: Option<(String, String)> = c
                .prepare_cached(
                    "SELECT flow_id, state FROM threads WHERE source_id = ?1 AND external_thread_id = ?2",
                )?
                .query_row(params![nt.source_id, nt.external_thread_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            match found {
                Some((f, _)) if f != flow_id => return Err(StoreError::NotFound("thread")),
                Some((_, state)) => Some(parse_thread(&state)?),
                None => Some(create_thread(c, &flow_id, nt, now)?),
            }
        }
        ThreadRef::Start(nt) => Some(create_thread(c, &flow_id, nt, now)?),
    };
    let mut m = p.message;
    let mut thread_json = None;
    if let Some(t) = thread.as_mut() {
        let json = enter_thread(t, p.update.as_ref(), p.source_id, &mut m, now);
        c.prepare_cached(
            "UPDATE threads SET state = ?2, updated_at = ?3, message_count = message_count + 1 WHERE id = ?1",
        )?
        .execute(params![t.id, json, now])?;
        thread_json = Some(json);
    }
    let id = next_id(c, &flow_id)?;
    let own = finish_message(&mut m, &flow_id, id, now);
    let rowid = insert_message(c, &m, &own, p.user_id, p.source_id, p.parent_id)?;
    super::files::insert_attachments(c, &m)?;
    let json = splice(&own, thread_json.as_deref());
    if let Some(claim) = &p.claim {
        let body = if claim.body_is_message { &*json } else { "{}" };
        remember(c, claim, body, now, id)?;
    }
    let stored = StoredMessage::written(m, p.user_id, json);
    Ok(Written {
        events: vec![stored.to_event()],
        search: SearchOps::default().index(rowid, p.search_text),
        answer: PostOutcome::Stored(stored),
    })
}

fn parse_thread(state: &str) -> StoreResult<Thread> {
    serde_json::from_str(state).map_err(|e| StoreError::backend("bad thread state", e))
}

fn load_thread(c: &Connection, flow_id: &str, id: &str) -> StoreResult<Option<Thread>> {
    let state: Option<String> = c
        .prepare_cached("SELECT state FROM threads WHERE id = ?1 AND flow_id = ?2")?
        .query_row(params![id, flow_id], |r| r.get(0))
        .optional()?;
    state.as_deref().map(parse_thread).transpose()
}

fn create_thread(c: &Connection, flow_id: &str, nt: &NewThread, now: i64) -> StoreResult<Thread> {
    let state = new_thread_state(nt, now);
    c.prepare_cached(
        "INSERT INTO threads (id, flow_id, origin, source_id, app_id, external_thread_id, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
    )?
    .execute(params![
        nt.id,
        flow_id,
        nt.origin.as_str(),
        nt.source_id,
        nt.app_id,
        nt.external_thread_id,
        serialise(&state),
        now
    ])
    .map_err(|e| super::constraint(e, "thread", "flow or source"))?;
    Ok(state)
}

/// The flow's next message id. The counter row is the flow's serialisation point.
fn next_id(c: &Connection, flow_id: &str) -> StoreResult<i64> {
    c.prepare_cached(
        "INSERT INTO flow_counters (flow_id, last_message_id) VALUES (?1, 1)
         ON CONFLICT (flow_id) DO UPDATE SET last_message_id = last_message_id + 1
         RETURNING last_message_id",
    )?
    .query_row([flow_id], |r| r.get(0))
    .map_err(|e| super::constraint(e, "message id", "flow"))
}

/// Inserts the message's row and tags; returns its rowid, the search index's key.
pub(super) fn insert_message(
    c: &Connection,
    m: &Message,
    own: &str,
    user_id: Option<i64>,
    source_id: Option<i64>,
    parent_id: Option<i64>,
) -> StoreResult<i64> {
    c.prepare_cached(
        "INSERT INTO messages (flow_id, id, event, user_id, source_id, app, thread_id, parent_id, body, sent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        m.flow, m.id, m.event, user_id, source_id, m.app, m.thread_id, parent_id, own, m.sent
    ])
    .map_err(|e| super::constraint(e, "message id", "flow"))?;
    let rowid = c.last_insert_rowid();
    write_tags(c, &m.flow, m.id, &m.tags)?;
    Ok(rowid)
}

/// Takes a message out of the index, now and (through `search_changes`) at the next start
/// if the process stops before the indexer has applied it.
fn unindex(c: &Connection, rowid: i64) -> StoreResult<SearchOps> {
    c.prepare_cached("INSERT OR IGNORE INTO search_changes (rowid) VALUES (?1)")?
        .execute([rowid])?;
    Ok(SearchOps::default().remove(rowid))
}

fn write_tags(c: &Connection, flow_id: &str, id: i64, tags: &[String]) -> StoreResult<()> {
    let mut st = c.prepare_cached(
        "INSERT OR IGNORE INTO message_tags (flow_id, message_id, tag) VALUES (?1, ?2, ?3)",
    )?;
    for tag in tags {
        st.execute(params![flow_id, id, tag])?;
    }
    Ok(())
}

fn remember(
    c: &Connection,
    claim: &IdempotencyClaim,
    body: &str,
    now: i64,
    id: i64,
) -> StoreResult<()> {
    let cutoff = now - IDEMPOTENCY_TTL_MS;
    // An expired row under the same key is replaced; a live one was answered above.
    c.prepare_cached(
        "INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,
             status = excluded.status, body = excluded.body, created_at = excluded.created_at
         WHERE idempotency_keys.created_at <= ?7",
    )?
    .execute(params![
        claim.scope,
        claim.key,
        claim.request_hash,
        claim.status,
        body,
        now,
        cutoff
    ])?;
    // Expired keys are swept now and then rather than by a timer.
    if id % 256 == 0 {
        c.execute(
            "DELETE FROM idempotency_keys WHERE created_at <= ?1",
            [cutoff],
        )?;
    }
    Ok(())
}

pub fn idempotent_response(
    c: &Connection,
    scope: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    let cutoff = now_millis() - IDEMPOTENCY_TTL_MS;
    Ok(c.prepare_cached(
        "SELECT request_hash, status, body FROM idempotency_keys
          WHERE scope = ?1 AND key = ?2 AND created_at > ?3",
    )?
    .query_row(params![scope, key, cutoff], |r| {
        Ok(IdempotentResponse {
            request_hash: r.get(0)?,
            status: r.get(1)?,
            body: r.get(2)?,
        })
    })
    .optional()?)
}

/// Rewrites one message and records the edit's events, which are published with it.
pub fn change_message(c: &Connection, ch: MessageChange) -> StoreResult<Written<ChangeOutcome>> {
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
    let message = StoredMessage {
        flow_id: ch.flow_id.clone(),
        id: ch.id,
        event: m.event.clone(),
        user_id: m.user.parse().ok().filter(|id| *id != 0),
        app: m.app.clone(),
        thread_id,
        json: splice(&own, state.as_deref()),
    };
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
pub fn delete_message(
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
