//! Messages, threads and idempotency keys. A post is one transaction that first locks its
//! flow's counter row (and, with an idempotency key, an advisory lock on the key), so posts to
//! one flow serialise: ids commit in order, thread upserts never race, counts stay exact.

use tokio_postgres::{GenericClient, Transaction};
use tributary_types::{Message, Thread};

use crate::store::*;

pub async fn post_message(tx: &Transaction<'_>, p: NewPost) -> StoreResult<PostOutcome> {
    let now = now_millis();
    if let Some(claim) = &p.claim {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[&format!("{}\n{}", claim.scope, claim.key)],
        )
        .await?;
        if let Some(r) = idempotent_response(tx, &claim.scope, &claim.key).await? {
            return Ok(PostOutcome::Replay(r));
        }
    }
    let flow_id = p.message.flow.clone();
    // Taking the next id locks the flow's counter row until commit.
    let id = next_id(tx, &flow_id).await?;
    let mut thread = match &p.thread {
        ThreadRef::None => None,
        ThreadRef::Existing(tid) => Some(
            load_thread(tx, &flow_id, tid)
                .await?
                .ok_or(StoreError::NotFound("thread"))?,
        ),
        ThreadRef::External(nt) => {
            let found = tx
                .query_opt(
                    "SELECT flow_id, state FROM threads WHERE source_id = $1 AND external_thread_id = $2",
                    &[&nt.source_id, &nt.external_thread_id],
                )
                .await?;
            match found {
                Some(r) if r.get::<_, &str>(0) != flow_id => {
                    return Err(StoreError::NotFound("thread"))
                }
                Some(r) => Some(parse_thread(r.get(1))?),
                None => Some(create_thread(tx, &flow_id, nt, now).await?),
            }
        }
        ThreadRef::Start(nt) => Some(create_thread(tx, &flow_id, nt, now).await?),
    };
    let mut m = p.message;
    let mut thread_json = None;
    if let Some(t) = thread.as_mut() {
        if let Some(u) = &p.update {
            apply_update(t, u);
        }
        count(t, Counter::for_event(&m.event), 1);
        t.updated_at = iso8601(now);
        let json = serialise(&*t);
        tx.execute(
            "UPDATE threads SET state = $2, updated_at = $3, message_count = message_count + 1 WHERE id = $1",
            &[&t.id, &json, &now],
        )
        .await?;
        m.thread_id = Some(t.id.clone());
        m.external_thread_id = t.external_thread_id.clone();
        thread_json = Some(json);
    }
    let own = finish_message(&mut m, &flow_id, id, now);
    insert_message(
        tx,
        &m,
        &own,
        p.user_id,
        p.source_id,
        p.parent_id,
        &p.search_text,
    )
    .await?;
    super::files::insert_attachments(tx, &m).await?;
    let json = splice(&own, thread_json.as_deref());
    if let Some(claim) = &p.claim {
        let body = if claim.body_is_message { &*json } else { "{}" };
        remember(tx, claim, body, now, id).await?;
    }
    Ok(PostOutcome::Stored(StoredMessage {
        flow_id,
        id,
        event: m.event,
        user_id: p.user_id,
        app: m.app,
        thread_id: m.thread_id,
        json,
    }))
}

fn parse_thread(state: &str) -> StoreResult<Thread> {
    serde_json::from_str(state).map_err(|e| StoreError::Backend(format!("bad thread state: {e}")))
}

async fn load_thread(
    c: &impl GenericClient,
    flow_id: &str,
    id: &str,
) -> StoreResult<Option<Thread>> {
    let row = c
        .query_opt(
            "SELECT state FROM threads WHERE id = $1 AND flow_id = $2",
            &[&id, &flow_id],
        )
        .await?;
    row.map(|r| parse_thread(r.get(0))).transpose()
}

async fn create_thread(
    c: &impl GenericClient,
    flow_id: &str,
    nt: &NewThread,
    now: i64,
) -> StoreResult<Thread> {
    let state = new_thread_state(nt, now);
    c.execute(
        "INSERT INTO threads (id, flow_id, origin, source_id, app_id, external_thread_id, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        &[&nt.id, &flow_id, &nt.origin, &nt.source_id, &nt.app_id, &nt.external_thread_id, &serialise(&state), &now],
    )
    .await
    .map_err(|e| super::constraint(e, "thread", "flow or source"))?;
    Ok(state)
}

async fn next_id(c: &impl GenericClient, flow_id: &str) -> StoreResult<i64> {
    let row = c
        .query_one(
            "INSERT INTO flow_counters (flow_id, last_message_id) VALUES ($1, 1)
             ON CONFLICT (flow_id) DO UPDATE SET last_message_id = flow_counters.last_message_id + 1
             RETURNING last_message_id",
            &[&flow_id],
        )
        .await
        .map_err(|e| super::constraint(e, "message id", "flow"))?;
    Ok(row.get(0))
}

async fn insert_message(
    c: &impl GenericClient,
    m: &Message,
    own: &str,
    user_id: Option<i64>,
    source_id: Option<i64>,
    parent_id: Option<i64>,
    search_text: &str,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO messages (flow_id, id, event, user_id, source_id, app, thread_id, parent_id, body, sent, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[&m.flow, &m.id, &m.event, &user_id, &source_id, &m.app, &m.thread_id, &parent_id, &own, &m.sent, &search_text],
    )
    .await
    .map_err(|e| super::constraint(e, "message id", "flow"))?;
    write_tags(c, &m.flow, m.id, &m.tags).await
}

async fn write_tags(
    c: &impl GenericClient,
    flow_id: &str,
    id: i64,
    tags: &[String],
) -> StoreResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    c.execute(
        "INSERT INTO message_tags (flow_id, message_id, tag)
         SELECT $1, $2, t FROM unnest($3::text[]) AS t ON CONFLICT DO NOTHING",
        &[&flow_id, &id, &tags],
    )
    .await?;
    Ok(())
}

async fn remember(
    c: &impl GenericClient,
    claim: &IdempotencyClaim,
    body: &str,
    now: i64,
    id: i64,
) -> StoreResult<()> {
    let cutoff = now - IDEMPOTENCY_TTL_MS;
    let status = claim.status as i32;
    c.execute(
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
        c.execute(
            "DELETE FROM idempotency_keys WHERE created_at <= $1",
            &[&cutoff],
        )
        .await?;
    }
    Ok(())
}

pub async fn idempotent_response(
    c: &impl GenericClient,
    scope: &str,
    key: &str,
) -> StoreResult<Option<IdempotentResponse>> {
    let cutoff = now_millis() - IDEMPOTENCY_TTL_MS;
    let row = c
        .query_opt(
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

pub async fn change_message(tx: &Transaction<'_>, ch: MessageChange) -> StoreResult<ChangeOutcome> {
    let now = now_millis();
    // Edits take the flow's counter lock like posts, so their events' ids commit in order.
    let first_event_id = if ch.events.is_empty() {
        None
    } else {
        Some(next_id(tx, &ch.flow_id).await?)
    };
    let row = tx
        .query_opt(
            "SELECT thread_id FROM messages WHERE flow_id = $1 AND id = $2 FOR UPDATE",
            &[&ch.flow_id, &ch.id],
        )
        .await?
        .ok_or(StoreError::NotFound("message"))?;
    let thread_id: Option<String> = row.get(0);
    let mut m = ch.message;
    m.thread = None;
    let own = serialise(&m);
    tx.execute(
        "UPDATE messages SET body = $3, search_text = $4 WHERE flow_id = $1 AND id = $2",
        &[&ch.flow_id, &ch.id, &own, &ch.search_text],
    )
    .await?;
    tx.execute(
        "DELETE FROM message_tags WHERE flow_id = $1 AND message_id = $2",
        &[&ch.flow_id, &ch.id],
    )
    .await?;
    write_tags(tx, &ch.flow_id, ch.id, &m.tags).await?;
    let state: Option<String> = match &thread_id {
        Some(t) => tx
            .query_opt("SELECT state FROM threads WHERE id = $1", &[t])
            .await?
            .map(|r| r.get(0)),
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
    for (i, ev) in ch.events.into_iter().enumerate() {
        let mut e = ev.message;
        let id = match (i, first_event_id) {
            (0, Some(id)) => id,
            _ => next_id(tx, &ch.flow_id).await?,
        };
        let own = finish_message(&mut e, &ch.flow_id, id, now);
        insert_message(tx, &e, &own, ev.user_id, None, Some(ch.id), "").await?;
        events.push(StoredMessage {
            flow_id: ch.flow_id.clone(),
            id,
            event: e.event,
            user_id: ev.user_id,
            app: e.app,
            thread_id: None,
            json: own.into(),
        });
    }
    Ok(ChangeOutcome { message, events })
}

/// Removes the message and records its `message-delete` event, which is returned. The
/// flow's counter is locked first, as every write of the flow does, so writers never
/// deadlock on each other.
pub async fn delete_message(
    tx: &Transaction<'_>,
    flow_id: &str,
    id: i64,
    deletion: NewEvent,
) -> StoreResult<StoredMessage> {
    let event_id = next_id(tx, flow_id).await?;
    let row = tx
        .query_opt(
            "DELETE FROM messages WHERE flow_id = $1 AND id = $2 RETURNING event, thread_id",
            &[&flow_id, &id],
        )
        .await?
        .ok_or(StoreError::NotFound("message"))?;
    let event: String = row.get(0);
    let thread_id: Option<String> = row.get(1);
    tx.execute(
        "DELETE FROM message_tags WHERE flow_id = $1 AND message_id = $2",
        &[&flow_id, &id],
    )
    .await?;
    if let Some(tid) = thread_id {
        let state = tx
            .query_opt(
                "SELECT state FROM threads WHERE id = $1 FOR UPDATE",
                &[&tid],
            )
            .await?;
        if let Some(r) = state {
            let mut t = parse_thread(r.get(0))?;
            count(&mut t, Counter::for_event(&event), -1);
            tx.execute(
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
        flow_id: flow_id.to_owned(),
        id: event_id,
        event: e.event,
        user_id: deletion.user_id,
        app: e.app,
        thread_id: None,
        json: own.into(),
    })
}
