//! Thread action attempts.

use rusqlite::{params, Connection, Row};

use super::constraint;
use crate::store::*;

const COLS: &str = "id, source_id, flow_id, thread_id, action_index, action_name, user_id, \
     method, url, status, outcome, error, latency_ms, attempted_at";

fn row(r: &Row<'_>) -> rusqlite::Result<ActionAttemptRecord> {
    Ok(ActionAttemptRecord {
        id: r.get(0)?,
        attempt: NewActionAttempt {
            source_id: r.get(1)?,
            flow_id: r.get(2)?,
            thread_id: r.get(3)?,
            action_index: r.get(4)?,
            action_name: r.get(5)?,
            user_id: r.get(6)?,
            method: r.get(7)?,
            url: r.get(8)?,
            status: r.get(9)?,
            outcome: ActionOutcome::parse(&r.get::<_, String>(10)?),
            error: r.get(11)?,
            latency_ms: r.get(12)?,
            attempted_at: r.get(13)?,
        },
    })
}

pub(super) fn record(c: &Connection, a: NewActionAttempt) -> StoreResult<ActionAttemptRecord> {
    c.execute(
        "INSERT INTO action_attempts (source_id, flow_id, thread_id, action_index, action_name,
                                      user_id, method, url, status, outcome, error, latency_ms,
                                      attempted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            a.source_id,
            a.flow_id,
            a.thread_id,
            a.action_index,
            a.action_name,
            a.user_id,
            a.method,
            a.url,
            a.status,
            a.outcome.as_str(),
            a.error,
            a.latency_ms,
            a.attempted_at
        ],
    )
    .map_err(|e| constraint(e, "action attempt", "source"))?;
    Ok(ActionAttemptRecord {
        id: c.last_insert_rowid(),
        attempt: a,
    })
}

pub(super) fn of_source(c: &Connection, source_id: i64) -> StoreResult<Vec<ActionAttemptRecord>> {
    let sql = format!(
        "SELECT {COLS} FROM action_attempts WHERE source_id = ?1 ORDER BY id DESC LIMIT ?2"
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params![source_id, ACTION_ATTEMPTS_LIMIT], row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}
