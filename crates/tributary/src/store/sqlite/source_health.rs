//! Source health and `flow_token` rotation on SQLite (issue 18).

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::*;

/// Outcomes of an action attempt that count as a delivery failure.
const FAILED: &str = "outcome IN ('error', 'refused')";

pub(super) fn record_rejection(
    c: &Connection,
    source_id: i64,
    status: u16,
    message: &str,
) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO source_rejections (source_id, rejected, last_at, last_status, last_message)
         VALUES (?1, 1, ?2, ?3, ?4)
         ON CONFLICT (source_id) DO UPDATE SET rejected = source_rejections.rejected + 1,
             last_at = excluded.last_at, last_status = excluded.last_status,
             last_message = excluded.last_message",
    )?
    .execute(params![source_id, now_millis(), status, message])?;
    Ok(())
}

pub(super) fn health(
    c: &Connection,
    source_id: i64,
    since: i64,
    now: i64,
) -> StoreResult<SourceHealthRecord> {
    let sql = format!(
        "SELECT (SELECT MAX(sent) FROM messages WHERE source_id = ?1),
                (SELECT COUNT(*) FROM messages WHERE source_id = ?1 AND sent >= ?2),
                (SELECT COUNT(*) FROM action_attempts
                  WHERE source_id = ?1 AND {FAILED} AND attempted_at >= ?2),
                (SELECT MAX(valid_until) FROM retired_flow_tokens
                  WHERE source_id = ?1 AND valid_until > ?3)"
    );
    let mut h = c
        .prepare_cached(&sql)?
        .query_row(params![source_id, since, now], |r| {
            Ok(SourceHealthRecord {
                last_post_at: r.get(0)?,
                posts_since: r.get(1)?,
                action_failures_since: r.get(2)?,
                grace_until: r.get(3)?,
                ..SourceHealthRecord::default()
            })
        })?;
    if let Some((rejected, rejection)) = c
        .prepare_cached(
            "SELECT rejected, last_at, last_status, last_message FROM source_rejections
              WHERE source_id = ?1",
        )?
        .query_row([source_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                RejectionRecord {
                    at: r.get(1)?,
                    status: r.get(2)?,
                    message: r.get(3)?,
                },
            ))
        })
        .optional()?
    {
        h.rejected = rejected;
        h.last_rejection = Some(rejection);
    }
    let sql = format!(
        "SELECT attempted_at, status, outcome, error FROM action_attempts
          WHERE source_id = ?1 AND {FAILED} ORDER BY id DESC LIMIT 1"
    );
    h.last_action_failure = c
        .prepare_cached(&sql)?
        .query_row([source_id], |r| {
            Ok(ActionFailureRecord {
                at: r.get(0)?,
                status: r.get(1)?,
                outcome: r.get(2)?,
                error: r.get(3)?,
            })
        })
        .optional()?;
    Ok(h)
}

pub(super) fn rotate(
    c: &Connection,
    source_id: i64,
    new_hash: &str,
    valid_until: i64,
) -> StoreResult<()> {
    let now = now_millis();
    // A rotation that ends the grace now also ends the grace of every earlier token: a
    // leaked token is killed whichever rotation it was replaced by.
    c.execute(
        "UPDATE retired_flow_tokens SET valid_until = MIN(valid_until, ?2) WHERE source_id = ?1",
        params![source_id, valid_until],
    )?;
    let moved = c.execute(
        "INSERT INTO retired_flow_tokens (hash, source_id, retired_at, valid_until)
         SELECT flow_token_hash, id, ?2, ?3 FROM sources WHERE id = ?1",
        params![source_id, now, valid_until],
    )?;
    if moved == 0 {
        return Err(StoreError::NotFound("source"));
    }
    c.execute(
        "UPDATE sources SET flow_token_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![source_id, new_hash, now],
    )?;
    Ok(())
}

pub(super) fn retired(c: &Connection, hash: &str) -> StoreResult<Option<RetiredTokenRecord>> {
    Ok(c.prepare_cached(
        "SELECT r.source_id, r.valid_until, s.flow_token_hash
           FROM retired_flow_tokens r JOIN sources s ON s.id = r.source_id WHERE r.hash = ?1",
    )?
    .query_row([hash], |r| {
        Ok(RetiredTokenRecord {
            source_id: r.get(0)?,
            valid_until: r.get(1)?,
            current_hash: r.get(2)?,
        })
    })
    .optional()?)
}
