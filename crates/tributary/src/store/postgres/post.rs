//! One post's statements, run inside its group's transaction (see `poster`): with an
//! idempotency key the group already holds the key's advisory lock; the post then locks its
//! flow's counter row, so posts to one flow serialise across nodes.

use deadpool_postgres::Transaction;
use futures_util::future::{join, join3};
use tributary_types::Thread;

use super::message_rows::{
    create_thread, exec, idempotent_response, insert_message, load_thread, next_id, parse_thread,
    query_opt, remember, PgError,
};
use crate::store::*;

/// The advisory lock key of an idempotency claim.
pub(super) fn claim_lock_key(claim: &IdempotencyClaim) -> String {
    format!("{}\n{}", claim.scope, claim.key)
}

/// Takes the advisory locks of every claim in a group, in one fixed (sorted) order, before
/// any job runs: jobs taking them one by one, between counter locks, could deadlock with
/// another node's group taking the same locks in another order.
pub(super) async fn lock_claims(
    tx: &Transaction<'_>,
    mut keys: Vec<String>,
) -> Result<(), PgError> {
    if keys.is_empty() {
        return Ok(());
    }
    keys.sort_unstable();
    keys.dedup();
    exec(
        tx,
        "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k",
        &[&keys],
    )
    .await?;
    Ok(())
}

/// Stores one post. The caller holds the claim's advisory lock (see [`lock_claims`]).
///
/// Statements that do not need each other's results are sent together (tokio-postgres
/// pipelines the futures polled together, in polling order): a group runs its posts one
/// after another on one connection, so round trips, not the database, bound its rate.
pub(super) async fn post_message(tx: &Transaction<'_>, p: NewPost) -> StoreResult<PostOutcome> {
    let now = now_millis();
    if let Some(claim) = &p.claim {
        if let Some(r) = idempotent_response(tx, &claim.scope, &claim.key).await? {
            return Ok(PostOutcome::Replay(r));
        }
    }
    let flow_id = p.message.flow.clone();
    // Taking the next id locks the flow's counter row until commit. It is sent first, before
    // any thread write: every writer locks a flow's counter before its threads, so writers on
    // different nodes never deadlock, and a thread's lookup-then-insert cannot race.
    let (id, thread) = join(
        next_id(tx, &flow_id),
        find_thread(tx, &flow_id, &p.thread, p.source_id, now),
    )
    .await;
    let (id, mut thread) = (id?, thread?);
    let mut m = p.message;
    let mut thread_json = None;
    if let Some(t) = thread.as_mut() {
        thread_json = Some(enter_thread(t, p.update.as_ref(), p.source_id, &mut m, now));
    }
    let own = finish_message(&mut m, &flow_id, id, now);
    let json = splice(&own, thread_json.as_deref());
    let update_thread = async {
        if let (Some(t), Some(state)) = (&thread, &thread_json) {
            exec(
                tx,
                "UPDATE threads SET state = $2, updated_at = $3, message_count = message_count + 1 WHERE id = $1",
                &[&t.id, state, &now],
            )
            .await?;
        }
        StoreResult::Ok(())
    };
    let store_message = async {
        let (user, source, parent) = (p.user_id, p.source_id, p.parent_id);
        insert_message(tx, &m, &own, user, source, parent, &p.search_text).await?;
        super::files::insert_attachments(&**tx, &m).await
    };
    let remember_claim = async {
        match &p.claim {
            Some(claim) => {
                let body = if claim.body_is_message { &*json } else { "{}" };
                remember(tx, claim, body, now, id).await
            }
            None => Ok(()),
        }
    };
    let (a, b, c) = join3(update_thread, store_message, remember_claim).await;
    // The first failure in statement order is the one that caused any later ones.
    a.and(b).and(c)?;
    Ok(PostOutcome::Stored(StoredMessage::written(
        m, p.user_id, json,
    )))
}

/// The post's thread as it is before the post, created when the post starts it. A thread
/// named by id must be one the posting source (`source_id`) may join.
async fn find_thread(
    tx: &Transaction<'_>,
    flow_id: &str,
    thread: &ThreadRef,
    source_id: Option<i64>,
    now: i64,
) -> StoreResult<Option<Thread>> {
    Ok(match thread {
        ThreadRef::None => None,
        ThreadRef::Existing(tid) => {
            let t = load_thread(tx, flow_id, tid)
                .await?
                .ok_or(StoreError::NotFound("thread"))?;
            may_join(&t, source_id)?;
            Some(t)
        }
        ThreadRef::External(nt) | ThreadRef::Join(nt) => {
            let found = query_opt(
                tx,
                "SELECT flow_id, state FROM threads WHERE source_id = $1 AND external_thread_id = $2",
                &[&nt.source_id, &nt.external_thread_id],
            )
            .await?;
            match found {
                Some(r) if r.get::<_, &str>(0) != flow_id => {
                    return Err(StoreError::NotFound("thread"))
                }
                Some(r) => Some(parse_thread(r.get(1))?),
                None if matches!(thread, ThreadRef::Join(_)) => {
                    return Err(StoreError::NotFound(NO_EXTERNAL_THREAD))
                }
                None => Some(create_thread(tx, flow_id, nt, now).await?),
            }
        }
        ThreadRef::Start(nt) => Some(create_thread(tx, flow_id, nt, now).await?),
    })
}
