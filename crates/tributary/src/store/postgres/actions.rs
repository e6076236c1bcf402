//! Thread action attempts.

use tokio_postgres::{GenericClient, Row};

use super::constraint;
use crate::store::*;

const COLS: &str = "id, source_id, flow_id, thread_id, action_index, action_name, user_id, \
     method, url, status, outcome, error, latency_ms, attempted_at";

fn row(r: &Row) -> ActionAttemptRecord {
    ActionAttemptRecord {
        id: r.get(0),
        attempt: NewActionAttempt {
            source_id: r.get(1),
            flow_id: r.get(2),
            thread_id: r.get(3),
            action_index: r.get(4),
            action_name: r.get(5),
            user_id: r.get(6),
            method: r.get(7),
            url: r.get(8),
            status: r.get(9),
            outcome: ActionOutcome::parse(r.get::<_, &str>(10)),
            error: r.get(11),
            latency_ms: r.get(12),
            attempted_at: r.get(13),
        },
    }
}

pub(super) async fn record(
    c: &impl GenericClient,
    a: NewActionAttempt,
) -> StoreResult<ActionAttemptRecord> {
    let r = c
        .query_one(
            "INSERT INTO action_attempts (source_id, flow_id, thread_id, action_index, action_name,
                                          user_id, method, url, status, outcome, error, latency_ms,
                                          attempted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            &[
                &a.source_id,
                &a.flow_id,
                &a.thread_id,
                &a.action_index,
                &a.action_name,
                &a.user_id,
                &a.method,
                &a.url,
                &a.status,
                &a.outcome.as_str(),
                &a.error,
                &a.latency_ms,
                &a.attempted_at,
            ],
        )
        .await
        .map_err(|e| constraint(e, "action attempt", "source"))?;
    Ok(ActionAttemptRecord {
        id: r.get(0),
        attempt: a,
    })
}

pub(super) async fn of_source(
    c: &impl GenericClient,
    source_id: i64,
) -> StoreResult<Vec<ActionAttemptRecord>> {
    let sql = format!(
        "SELECT {COLS} FROM action_attempts WHERE source_id = $1 ORDER BY id DESC LIMIT $2"
    );
    let rows = c.query(&sql, &[&source_id, &ACTION_ATTEMPTS_LIMIT]).await?;
    Ok(rows.iter().map(row).collect())
}
