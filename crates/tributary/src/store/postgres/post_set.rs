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
use tributary_types::{Message, Thread};

use tokio_postgres::types::ToSql;

use super::message_rows::{exec, parse_thread, PgError};
use crate::store::*;

/// Whether every post of the group can take the set-based path. External threads need both
/// halves of their key: without one, the per-post lookup never matches and each post makes
/// a thread of its own, which is not worth a second code path.
pub(super) fn eligible<'a>(mut posts: impl Iterator<Item = &'a NewPost>) -> bool {
    posts.all(|p| {
        p.claim.is_none()
            && match &p.thread {
                ThreadRef::None | ThreadRef::Start(_) => true,
                ThreadRef::External(nt) | ThreadRef::Join(nt) => {
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
     SELECT id, flow_id, origin, source_id, app_id, external_thread_id, state, $8, $8, posts
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::text[], $9::int8[])
       AS t(id, flow_id, origin, source_id, app_id, external_thread_id, state, posts)";

const UPDATE: &str = "UPDATE threads SET state = u.state, updated_at = $3, message_count = threads.message_count + u.posts
     FROM unnest($1::text[], $2::text[], $4::int8[]) AS u(id, state, posts) WHERE threads.id = u.id";

const INSERT_MESSAGES: &str = "INSERT INTO messages (flow_id, id, event, user_id, source_id, app, thread_id, parent_id, body, sent, search_text)
     SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::text[], $8::int8[], $9::text[], $10::int8[], $11::text[])";

const INSERT_TAGS: &str = "INSERT INTO message_tags (flow_id, message_id, tag)
     SELECT * FROM unnest($1::text[], $2::int8[], $3::text[]) ON CONFLICT DO NOTHING";

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
pub(super) async fn commit_group(
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
            ThreadRef::External(nt) | ThreadRef::Join(nt) => {
                Some((nt.source_id?, nt.external_thread_id.as_deref()?))
            }
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
            // A thread new to the group and the table: the per-post path answers this post
            // alone.
            ThreadRef::Join(nt) => {
                let key = (
                    nt.source_id.unwrap_or_default(),
                    nt.external_thread_id.as_deref().unwrap_or_default(),
                );
                let i = by_key
                    .get(&key)
                    .ok_or(StoreError::NotFound(NO_EXTERNAL_THREAD))?;
                Some(*i)
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
            let state = enter_thread(&mut t.thread, p.update.as_ref(), p.source_id, &mut m, now);
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
    let files = join_all(
        messages
            .iter()
            .filter(|(m, _, _)| !m.attachments.is_empty())
            .map(|(m, _, _)| super::files::insert_attachments(&**tx, m)),
    );
    let (written, files, announced) = join3(
        try_join(
            write_threads(tx, &touched, now),
            insert_messages(tx, &messages),
        ),
        files,
        super::poster::announce(tx, &range),
    )
    .await;
    written?;
    files.into_iter().collect::<StoreResult<()>>()?;
    announced?;
    Ok(stored)
}

/// Every message of the group and its tags: one statement each, whatever the group's size.
/// A statement per row cost the backend its per-statement overhead dozens of times a group.
async fn insert_messages(
    tx: &Transaction<'_>,
    messages: &[(Message, String, &NewPost)],
) -> StoreResult<()> {
    let flows = column(messages, |(m, _, _)| m.flow.as_str());
    let ids = column(messages, |(m, _, _)| m.id);
    let events = column(messages, |(m, _, _)| m.event.as_str());
    let users = column(messages, |(_, _, p)| p.user_id);
    let sources = column(messages, |(_, _, p)| p.source_id);
    let apps = column(messages, |(m, _, _)| m.app.as_deref());
    let threads = column(messages, |(m, _, _)| m.thread_id.as_deref());
    let parents = column(messages, |(_, _, p)| p.parent_id);
    let bodies = column(messages, |(_, own, _)| own.as_str());
    let sent = column(messages, |(m, _, _)| m.sent);
    let texts = column(messages, |(_, _, p)| p.search_text.as_str());
    let tagged: Vec<(&str, i64, &str)> = messages
        .iter()
        .flat_map(|(m, _, _)| {
            m.tags
                .iter()
                .map(move |t| (m.flow.as_str(), m.id, t.as_str()))
        })
        .collect();
    let (tag_flows, tag_ids, tags) = (
        column(&tagged, |t| t.0),
        column(&tagged, |t| t.1),
        column(&tagged, |t| t.2),
    );
    let params: [&(dyn ToSql + Sync); 11] = [
        &flows, &ids, &events, &users, &sources, &apps, &threads, &parents, &bodies, &sent, &texts,
    ];
    let rows = exec(tx, INSERT_MESSAGES, &params);
    let tagged = async {
        if tags.is_empty() {
            return Ok(0);
        }
        exec(tx, INSERT_TAGS, &[&tag_flows, &tag_ids, &tags]).await
    };
    let (rows, tagged) = join(rows, tagged).await;
    rows.map_err(|e| super::constraint(e, "message id", "flow"))?;
    tagged?;
    Ok(())
}

/// One field of every row, as the array a multi-row statement binds.
fn column<'a, R, T>(rows: &'a [R], field: impl Fn(&'a R) -> T) -> Vec<T> {
    rows.iter().map(field).collect()
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

/// Each thread with its final state, in one statement for the new ones and one for the
/// rest: a new thread is inserted as the last of the group's posts leaves it, an existing
/// one updated once.
async fn write_threads(tx: &Transaction<'_>, touched: &[Touched<'_>], now: i64) -> StoreResult<()> {
    let new: Vec<(&Touched, &NewThread)> = touched
        .iter()
        .filter_map(|t| Some((t, t.created?)))
        .collect();
    let old: Vec<&Touched> = touched.iter().filter(|t| t.created.is_none()).collect();
    let ids = column(&new, |(_, nt)| nt.id.as_str());
    let flows = column(&new, |(t, _)| t.flow_id.as_str());
    let origins = column(&new, |(_, nt)| nt.origin.as_str());
    let sources = column(&new, |(_, nt)| nt.source_id);
    let apps = column(&new, |(_, nt)| nt.app_id);
    let externals = column(&new, |(_, nt)| nt.external_thread_id.as_deref());
    let states = column(&new, |(t, _)| t.state.as_str());
    let posts = column(&new, |(t, _)| t.posts);
    let old_ids = column(&old, |t| t.thread.id.as_str());
    let old_states = column(&old, |t| t.state.as_str());
    let old_posts = column(&old, |t| t.posts);
    let created = async {
        if ids.is_empty() {
            return Ok(0);
        }
        let params: [&(dyn ToSql + Sync); 9] = [
            &ids, &flows, &origins, &sources, &apps, &externals, &states, &now, &posts,
        ];
        exec(tx, CREATE, &params).await
    };
    let updated = async {
        if old_ids.is_empty() {
            return Ok(0);
        }
        exec(tx, UPDATE, &[&old_ids, &old_states, &now, &old_posts]).await
    };
    let (created, updated): (Result<u64, PgError>, Result<u64, PgError>) =
        join(created, updated).await;
    created?;
    updated?;
    Ok(())
}
