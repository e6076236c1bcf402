//! The statements every message write on SQLite shares: threads, the flow's id counter,
//! message rows and tags, and idempotency keys.

use rusqlite::{params, Connection, OptionalExtension};
use tributary_types::{Message, Thread};

use crate::store::*;

pub(super) fn parse_thread(state: &str) -> StoreResult<Thread> {
    serde_json::from_str(state).map_err(|e| StoreError::backend("bad thread state", e))
}

pub(super) fn load_thread(c: &Connection, flow_id: &str, id: &str) -> StoreResult<Option<Thread>> {
    let state: Option<String> = c
        .prepare_cached("SELECT state FROM threads WHERE id = ?1 AND flow_id = ?2")?
        .query_row(params![id, flow_id], |r| r.get(0))
        .optional()?;
    state.as_deref().map(parse_thread).transpose()
}

pub(super) fn create_thread(
    c: &Connection,
    flow_id: &str,
    nt: &NewThread,
    now: i64,
) -> StoreResult<Thread> {
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
pub(super) fn next_id(c: &Connection, flow_id: &str) -> StoreResult<i64> {
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

pub(super) fn write_tags(
    c: &Connection,
    flow_id: &str,
    id: i64,
    tags: &[String],
) -> StoreResult<()> {
    let mut st = c.prepare_cached(
        "INSERT OR IGNORE INTO message_tags (flow_id, message_id, tag) VALUES (?1, ?2, ?3)",
    )?;
    for tag in tags {
        st.execute(params![flow_id, id, tag])?;
    }
    Ok(())
}

pub(super) fn remember(
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

pub(super) fn idempotent_response(
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
