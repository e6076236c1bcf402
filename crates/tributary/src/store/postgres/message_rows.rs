//! The statements every message write on PostgreSQL shares: threads, the flow's id counter,
//! message rows and tags, and idempotency keys.
//!
//! Statements go through the connection's statement cache: every uncached statement costs
//! an extra round trip to prepare it, and a post runs about six of them.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use tributary_types::{Message, Thread};

use crate::store::*;

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(super) async fn exec(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<u64, PgError> {
    let stmt = c.prepare_cached(sql).await?;
    c.execute(&stmt, params).await
}

pub(super) async fn query_opt(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Option<Row>, PgError> {
    let stmt = c.prepare_cached(sql).await?;
    c.query_opt(&stmt, params).await
}

pub(super) async fn query_one(
    c: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<Row, PgError> {
    let stmt = c.prepare_cached(sql).await?;
    c.query_one(&stmt, params).await
}

pub(super) type PgError = tokio_postgres::Error;

pub(super) fn parse_thread(state: &str) -> StoreResult<Thread> {
    serde_json::from_str(state).map_err(|e| StoreError::backend("bad thread state", e))
}

pub(super) async fn load_thread(
    c: &impl GenericClient,
    flow_id: &str,
    id: &str,
) -> StoreResult<Option<Thread>> {
    let row = query_opt(
        c,
        "SELECT state FROM threads WHERE id = $1 AND flow_id = $2",
        &[&id, &flow_id],
    )
    .await?;
    row.map(|r| parse_thread(r.get(0))).transpose()
}

pub(super) async fn create_thread(
    c: &impl GenericClient,
    flow_id: &str,
    nt: &NewThread,
    now: i64,
) -> StoreResult<Thread> {
    let state = new_thread_state(nt, now);
    exec(
        c,
        "INSERT INTO threads (id, flow_id, origin, source_id, app_id, external_thread_id, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        &[&nt.id, &flow_id, &nt.origin.as_str(), &nt.source_id, &nt.app_id, &nt.external_thread_id, &serialise(&state), &now],
    )
    .await
    .map_err(|e| super::constraint(e, "thread", "flow or source"))?;
    Ok(state)
}

pub(super) async fn next_id(c: &impl GenericClient, flow_id: &str) -> StoreResult<i64> {
    let row = query_one(
        c,
        "INSERT INTO flow_counters (flow_id, last_message_id) VALUES ($1, 1)
             ON CONFLICT (flow_id) DO UPDATE SET last_message_id = flow_counters.last_message_id + 1
             RETURNING last_message_id",
        &[&flow_id],
    )
    .await
    .map_err(|e| super::constraint(e, "message id", "flow"))?;
    Ok(row.get(0))
}

pub(super) async fn insert_message(
    c: &impl GenericClient,
    m: &Message,
    own: &str,
    user_id: Option<i64>,
    source_id: Option<i64>,
    parent_id: Option<i64>,
    search_text: &str,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO messages (flow_id, id, event, user_id, source_id, app, thread_id, parent_id, body, sent, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[&m.flow, &m.id, &m.event, &user_id, &source_id, &m.app, &m.thread_id, &parent_id, &own, &m.sent, &search_text],
    )
    .await
    .map_err(|e| super::constraint(e, "message id", "flow"))?;
    write_tags(c, &m.flow, m.id, &m.tags).await
}

pub(super) async fn write_tags(
    c: &impl GenericClient,
    flow_id: &str,
    id: i64,
    tags: &[String],
) -> StoreResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    exec(
        c,
        "INSERT INTO message_tags (flow_id, message_id, tag)
         SELECT $1, $2, t FROM unnest($3::text[]) AS t ON CONFLICT DO NOTHING",
        &[&flow_id, &id, &tags],
    )
    .await?;
    Ok(())
}

pub(super) async fn remember(
    c: &impl GenericClient,
    claim: &IdempotencyClaim,
    body: &str,
    now: i64,
    id: i64,
) -> StoreResult<()> {
    let cutoff = now - IDEMPOTENCY_TTL_MS;
    let status = claim.status as i32;
    exec(
        c,
        "INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,
             status = excluded.status, body = excluded.body, created_at = excluded.created_at
         WHERE idempotency_keys.created_at <= $7",
        &[
            &claim.scope,
            &claim.key,
            &claim.request_hash,
            &status,
            &body,
            &now,
            &cutoff,
        ],
    )
    .await?;
    if id % 256 == 0 {
        exec(
            c,
            // Rows another transaction holds are left for a later sweep: waiting for them
            // while this group holds counter locks could deadlock with that transaction.
            "DELETE FROM idempotency_keys WHERE (scope, key) IN (
                 SELECT scope, key FROM idempotency_keys WHERE created_at <= $1
                 FOR UPDATE SKIP LOCKED)",
            &[&cutoff],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn idempotent_response(
    c: &impl GenericClient,
    scope: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    let cutoff = now_millis() - IDEMPOTENCY_TTL_MS;
    let row = query_opt(
        c,
        "SELECT request_hash, status, body FROM idempotency_keys
              WHERE scope = $1 AND key = $2 AND created_at > $3",
        &[&scope, &key, &cutoff],
    )
    .await?;
    Ok(row.map(|r| IdempotentResponse {
        request_hash: r.get(0),
        status: r.get::<_, i32>(1) as u16,
        body: r.get(2),
    }))
}
