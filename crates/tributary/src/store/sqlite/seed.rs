//! Bulk seeding for benchmarks only: fills a flow with many inbox activities, fast, through
//! the same row layout and serialisation the post path uses (`finish_message`,
//! `insert_message`, the thread state JSON), so reads see exactly what posts would have made.
//!
//! The post path commits one small transaction group per burst of requests; a million rows
//! that way takes far too long to set up a read benchmark. Here rows go in large transactions
//! on a connection of its own. Run it while no server writes to the database (the benchmark
//! seeds before it starts the server); it is not part of the [`Store`] trait on purpose.
//! Like the rest of the store it calls nothing above it: the thread ids come from
//! [`new_thread_id`], not from the post path.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use tributary_types::{Author, Message, Thread, ThreadSource, ThreadStatus};

use super::message_rows::insert_message;
use super::search::{self, SearchOp};

use crate::store::*;

/// Rows per transaction: large enough that the fsync per commit does not matter.
const BATCH: u64 = 20_000;

/// One seeded inbox activity.
#[derive(Debug, Clone)]
pub struct SeedItem {
    pub title: String,
    pub body: String,
    pub external_thread_id: String,
    pub thread_title: String,
}

/// What to seed: `count` more activities by `source_id` into its flow.
#[derive(Debug, Clone)]
pub struct SeedSpec {
    pub source_id: i64,
    pub count: u64,
}

/// Appends `spec.count` activities to the source's flow, calling `item(n)` for the n-th new
/// one (n counts from the flow's current newest id) and `progress(done, total)` after each
/// committed batch. Returns the flow's newest message id.
pub fn bulk_seed(
    path: &Path,
    spec: &SeedSpec,
    mut item: impl FnMut(i64) -> SeedItem,
    mut progress: impl FnMut(u64, u64),
) -> StoreResult<i64> {
    let c = Connection::open(path)?;
    c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    super::open::configure(&c)?;
    let index = search::open(&search::index_path(path))?;
    let (flow_id, app_id, source_name): (String, i64, String) = c
        .query_row(
            "SELECT flow_id, app_id, name FROM sources WHERE id = ?1",
            [spec.source_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(StoreError::NotFound("source"))?;
    let (app_name, icon): (String, Option<String>) = c.query_row(
        "SELECT name, icon_url FROM applications WHERE id = ?1",
        [app_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let source = ThreadSource {
        id: spec.source_id,
        name: source_name,
        icon,
        application: app_name,
        application_id: Some(app_id),
    };
    let mut last_id: i64 = c
        .query_row(
            "SELECT last_message_id FROM flow_counters WHERE flow_id = ?1",
            [&flow_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    // Threads touched by this run, with their state as it will be stored at the end.
    let mut threads: HashMap<String, Thread> = HashMap::new();
    let mut done = 0u64;
    while done < spec.count {
        let n = BATCH.min(spec.count - done);
        c.execute_batch("BEGIN IMMEDIATE")?;
        let now = now_millis();
        let mut ops = Vec::with_capacity(n as usize);
        for _ in 0..n {
            last_id += 1;
            let it = item(last_id);
            let thread = match threads.get_mut(&it.external_thread_id) {
                Some(t) => t,
                None => {
                    let t = load_or_create_thread(&c, &flow_id, &source, &it, now)?;
                    threads.entry(it.external_thread_id.clone()).or_insert(t)
                }
            };
            count(thread, Counter::Activities, 1);
            thread.title = Some(it.thread_title.clone());
            thread.status = Some(ThreadStatus {
                color: "green".into(),
                value: "open".into(),
            });
            let mut m = Message {
                app: Some("influx".into()),
                thread_id: Some(thread.id.clone()),
                external_thread_id: Some(it.external_thread_id.clone()),
                title: Some(it.title.clone()),
                body: Some(it.body.clone()),
                author: Some(Author {
                    name: "bench".into(),
                    avatar: None,
                    email: None,
                }),
                ..Message::unsent(flow_id.clone(), "activity".into(), "0".into())
            };
            let own = finish_message(&mut m, &flow_id, last_id, now);
            let rowid = insert_message(&c, &m, &own, None, Some(spec.source_id), None)?;
            let text = format!("{} {} {}", it.title, it.body, it.thread_title);
            ops.push(SearchOp::Index(rowid, text));
        }
        c.execute(
            "INSERT INTO flow_counters (flow_id, last_message_id) VALUES (?1, ?2)
             ON CONFLICT (flow_id) DO UPDATE SET last_message_id = excluded.last_message_id",
            params![flow_id, last_id],
        )?;
        c.execute_batch("COMMIT")?;
        search::apply(&index, ops)?;
        done += n;
        progress(done, spec.count);
    }
    let now = now_millis();
    c.execute_batch("BEGIN IMMEDIATE")?;
    for t in threads.values_mut() {
        t.updated_at = iso8601(now);
        c.execute(
            "UPDATE threads SET state = ?2, updated_at = ?3, message_count = ?4 WHERE id = ?1",
            params![t.id, serialise(&*t), now, t.activities],
        )?;
    }
    c.execute_batch("COMMIT")?;
    Ok(last_id)
}

fn load_or_create_thread(
    c: &Connection,
    flow_id: &str,
    source: &ThreadSource,
    it: &SeedItem,
    now: i64,
) -> StoreResult<Thread> {
    let found: Option<String> = c
        .query_row(
            "SELECT state FROM threads WHERE source_id = ?1 AND external_thread_id = ?2",
            params![source.id, it.external_thread_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(state) = found {
        return serde_json::from_str(&state)
            .map_err(|e| StoreError::backend("bad thread state", e));
    }
    let nt = NewThread {
        id: new_thread_id(),
        origin: ThreadOrigin::Inbox,
        source_id: Some(source.id),
        app_id: source.application_id,
        external_thread_id: Some(it.external_thread_id.clone()),
        source: Some(source.clone()),
    };
    let state = new_thread_state(&nt, now);
    c.execute(
        "INSERT INTO threads (id, flow_id, origin, source_id, app_id, external_thread_id, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![nt.id, flow_id, nt.origin.as_str(), nt.source_id, nt.app_id, nt.external_thread_id, serialise(&state), now],
    )?;
    Ok(state)
}
