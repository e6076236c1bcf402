//! The set-based form of a group commit, for the common group: no idempotency keys and no
//! thread named by id. Such posts' statements need nothing from one another but ids and
//! thread states, which one read gives up front, so the whole group takes a fixed handful of
//! round trips instead of two per post. The result must be exactly what `post::post_message`
//! would store post by post; anything that path would answer per post (a thread of another
//! flow, a missing flow, a constraint) fails the whole attempt, and the poster then rolls
//! back and runs the group on the per-post path, whose savepoints answer each post alone.

use std::collections::{BTreeMap, HashMap};

use deadpool_postgres::{Object, Transaction};
use futures_util::future::{join, join3, join_all, try_join};
use tributary_types::Thread;

use super::messages::{exec, insert_message, parse_thread, PgError};
use crate::store::*;

/// Whether every post of the group can take the set-based path. External threads need both
/// halves of their key: without one, the per-post lookup never matches and each post makes
/// a thread of its own, which is not worth a second code path.
pub fn eligible<'a>(mut posts: impl Iterator<Item = &'a NewPost>) -> bool {
    posts.all(|p| {
        p.claim.is_none()
            && match &p.thread {
                ThreadRef::None | ThreadRef::Start(_) => true,
                ThreadRef::External(nt) => {
                    nt.source_id.is_some() && nt.external_thread_id.is_some()
                }
                ThreadRef::Existing(_) => false,
            }
    })
}

/// Reserves `$2` ids at once: the block ends at the returned id.
const RESERVE: &str = "INSERT INTO flow_counters (flow_id, last_message_id) VALUES ($1, $2)
     ON CONFLICT (flow_id) DO UPDATE SET last_message_id = flow_counters.last_message_id + $2
     RETURNING last_message_id";

/// No FOR UPDATE: every writer of a thread holds its flow's counter lock, which this group
/// takes first, so its own flows' threads cannot change before commit; locking a thread of
/// another flow (a post the per-post path would refuse) could deadlock with that flow's
/// writers, who take counters after threads of lower flows.
const FIND: &str = "SELECT source_id, external_thread_id, flow_id, state FROM threads
     WHERE (source_id, external_thread_id) IN (SELECT * FROM unnest($1::int8[], $2::text[]))";

const CREATE: &str = "INSERT INTO threads (id, flow_id, origin, source_id, app_id, external_thread_id, state, created_at, updated_at, message_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)";

const UPDATE: &str = "UPDATE threads SET state = $2, updated_at = $3, message_count = message_count + $4 WHERE id = $1";

/// A thread the group writes, as it ends up.
struct Touched<'a> {
    flow_id: String,
    thread: Thread,
    /// The post that creates it, when it is new.
    created: Option<&'a NewThread>,
    posts: i64,
    state: String,
}

/// Stores the group (sorted by flow, as the poster sorts it) in one transaction and commits.
/// On error nothing is stored.
pub async fn commit_group(
    client: &mut Object,
    posts: &[&NewPost],
) -> StoreResult<Vec<StoredMessage>> {
    let tx = client.transaction().await?;
    match store(&tx, posts).await {
        Ok(stored) => {
            tx.commit().await?;
            Ok(stored)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

async fn store(tx: &Transaction<'_>, posts: &[&NewPost]) -> StoreResult<Vec<StoredMessage>> {
    let now = now_millis();
    let mut flows: Vec<(&str, i64)> = Vec::new();
    for p in posts {
        match flows.last_mut() {
            Some((f, n)) if *f == p.message.flow => *n += 1,
            _ => flows.push((&p.message.flow, 1)),
        }
    }
    let mut keys: Vec<(i64, &str)> = posts
        .iter()
        .filter_map(|p| match &p.thread {
            ThreadRef::External(nt) => Some((nt.source_id?, nt.external_thread_id.as_deref()?)),
            _ => None,
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let (sources, externals): (Vec<i64>, Vec<&str>) = keys.iter().copied().unzip();

    // Prepared first, so the counters are surely sent (and locked) before the thread read:
    // an uncached statement would be sent only after its prepare round trip.
    let (reserve, find) = try_join(tx.prepare_cached(RESERVE), tx.prepare_cached(FIND)).await?;
    let reserve = &reserve;
    let blocks = join_all(
        flows
            .iter()
            .map(|(f, n)| async move { tx.query_one(reserve, &[f, n]).await }),
    );
    let found = async {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        tx.query(&find, &[&sources, &externals]).await
    };
    let (blocks, found) = join(blocks, found).await;
    let mut next: HashMap<&str, i64> = HashMap::with_capacity(flows.len());
    for ((flow_id, n), block) in flows.iter().zip(blocks) {
        next.insert(flow_id, block?.get::<_, i64>(0) - n + 1);
    }

    let mut touched: Vec<Touched> = Vec::new();
    let mut by_key: HashMap<(i64, &str), usize> = HashMap::new();
    for r in found? {
        let (source, external): (i64, &str) = (r.get(0), r.get(1));
        let Some(&(s, e)) = keys.iter().find(|k| **k == (source, external)) else {
            continue;
        };
        by_key.insert((s, e), touched.len());
        touched.push(Touched {
            flow_id: r.get(2),
            thread: parse_thread(r.get(3))?,
            created: None,
            posts: 0,
            state: String::new(),
        });
    }

    let mut messages = Vec::with_capacity(posts.len());
    let mut stored = Vec::with_capacity(posts.len());
    for p in posts {
        let flow_id = p.message.flow.as_str();
        let slot = match &p.thread {
            ThreadRef::None => None,
            ThreadRef::Existing(_) => return Err(StoreError::Backend("not set-eligible".into())),
            ThreadRef::Start(nt) => {
                touched.push(new_touched(flow_id, nt, now));
                Some(touched.len() - 1)
            }
            ThreadRef::External(nt) => {
                let key = (
                    nt.source_id.unwrap_or_default(),
                    nt.external_thread_id.as_deref().unwrap_or_default(),
                );
                let i = *by_key.entry(key).or_insert_with(|| {
                    touched.push(new_touched(flow_id, nt, now));
                    touched.len() - 1
                });
                Some(i)
            }
        };
        let id = next.get_mut(flow_id).map(|n| {
            *n += 1;
            *n - 1
        });
        let id = id.ok_or_else(|| StoreError::Backend("no id block for the flow".into()))?;
        let mut m = p.message.clone();
        let mut thread_json = None;
        if let Some(t) = slot.map(|i| &mut touched[i]) {
            if t.flow_id != flow_id {
                return Err(StoreError::NotFound("thread"));
            }
            let state = enter_thread(&mut t.thread, p.update.as_ref(), &mut m, now);
            t.posts += 1;
            t.state.clone_from(&state);
            thread_json = Some(state);
        }
        let own = finish_message(&mut m, flow_id, id, now);
        let json = splice(&own, thread_json.as_deref());
        stored.push(StoredMessage {
            flow_id: flow_id.to_owned(),
            id,
            event: m.event.clone(),
            user_id: p.user_id,
            app: m.app.clone(),
            thread_id: m.thread_id.clone(),
            json,
        });
        messages.push((m, own, *p));
    }

    // Per flow, the first and last id stored: the listeners' range to read.
    let mut range: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for m in &stored {
        range.entry(&m.flow_id).or_insert((m.id, m.id)).1 = m.id;
    }
    let threads = join_all(touched.iter().map(|t| write_thread(tx, t, now)));
    let rows = join_all(messages.iter().map(|(m, own, p)| async move {
        insert_message(
            tx,
            m,
            own,
            p.user_id,
            p.source_id,
            p.parent_id,
            &p.search_text,
        )
        .await?;
        super::files::insert_attachments(&**tx, m).await
    }));
    let (threads, rows, announced) =
        join3(threads, rows, super::poster::announce(tx, &range)).await;
    threads
        .into_iter()
        .chain(rows)
        .collect::<StoreResult<()>>()?;
    announced?;
    Ok(stored)
}

fn new_touched<'a>(flow_id: &str, nt: &'a NewThread, now: i64) -> Touched<'a> {
    Touched {
        flow_id: flow_id.to_owned(),
        thread: new_thread_state(nt, now),
        created: Some(nt),
        posts: 0,
        state: String::new(),
    }
}

/// One statement per thread with its final state: a new thread is inserted as the last of
/// the group's posts leaves it, an existing one updated once.
async fn write_thread(tx: &Transaction<'_>, t: &Touched<'_>, now: i64) -> StoreResult<()> {
    let written: Result<u64, PgError> = match t.created {
        Some(nt) => {
            exec(
                tx,
                CREATE,
                &[
                    &nt.id,
                    &t.flow_id,
                    &nt.origin,
                    &nt.source_id,
                    &nt.app_id,
                    &nt.external_thread_id,
                    &t.state,
                    &now,
                    &t.posts,
                ],
            )
            .await
        }
        None => exec(tx, UPDATE, &[&t.thread.id, &t.state, &now, &t.posts]).await,
    };
    written?;
    Ok(())
}
