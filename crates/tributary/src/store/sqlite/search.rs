//! The full-text index: a database file of its own, written by a thread of its own.
//!
//! The writer is the post path's serial stage. Indexing inside its transaction (tokenising
//! each group's texts, writing an FTS5 segment, merging segments) made its COMMIT take 60%
//! longer, while the other core sat idle. Now a write job only answers with its changes to
//! the index ([`SearchOps`]), as it answers with its events; once the group has committed,
//! the writer hands them to the indexer thread in commit order and goes on. A search first waits until the indexer has applied every group that committed
//! before the search began, so a message is found as soon as its post was acknowledged.
//!
//! The index is derived data. Its file records the highest message rowid it holds, and the
//! main database lists the rowids of messages edited or deleted since the index last
//! caught up (`search_changes`); at start, before the writer takes any job, the index
//! catches up from the messages themselves. A lost or new index file is rebuilt that way.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::watch;
use tributary_types::Message;

use crate::store::{content_text, StoreResult};

/// A change to the index.
#[derive(Debug)]
pub(super) enum SearchOp {
    /// The message with this rowid is found by this text.
    Index(i64, String),
    /// The message with this rowid is no longer found.
    Remove(i64),
}

/// The changes one write job makes to the index, in the order they apply. No job changes
/// more than one message's entry (a post indexes its message, an edit takes the old text out
/// and indexes the new, a deletion takes it out), so they sit inline: the post path
/// allocates nothing for them.
#[derive(Debug, Default)]
pub(super) struct SearchOps {
    remove: Option<i64>,
    index: Option<(i64, String)>,
}

impl SearchOps {
    /// Takes the message out of the index.
    pub(super) fn remove(mut self, rowid: i64) -> SearchOps {
        self.remove = Some(rowid);
        self
    }

    /// Finds the message by `text` (after any removal); an empty text indexes nothing.
    pub(super) fn index(mut self, rowid: i64, text: String) -> SearchOps {
        if !text.is_empty() {
            self.index = Some((rowid, text));
        }
        self
    }
}

impl IntoIterator for SearchOps {
    type Item = SearchOp;
    type IntoIter =
        std::iter::Chain<std::option::IntoIter<SearchOp>, std::option::IntoIter<SearchOp>>;

    fn into_iter(self) -> Self::IntoIter {
        let remove = self.remove.map(SearchOp::Remove);
        let index = self.index.map(|(rowid, text)| SearchOp::Index(rowid, text));
        remove.into_iter().chain(index)
    }
}

/// The index file that belongs to the database at `db`: `NAME-search.db` beside it.
pub(super) fn index_path(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    db.with_file_name(format!("{stem}-search.db"))
}

/// Opens (creating when needed) the index file. `synchronous=NORMAL` is enough: the index
/// can be rebuilt, and after a power loss it catches up from its recorded rowid.
pub(super) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(path)?;
    c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    c.execute_batch(
        "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;
         CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(text);
         CREATE TABLE IF NOT EXISTS indexed (
             one INTEGER PRIMARY KEY CHECK (one = 1),
             last_rowid INTEGER NOT NULL
         );
         INSERT OR IGNORE INTO indexed (one, last_rowid) VALUES (1, 0);",
    )?;
    Ok(c)
}

/// Applies `ops` in one transaction of the index.
pub(super) fn apply(
    c: &Connection,
    ops: impl IntoIterator<Item = SearchOp>,
) -> rusqlite::Result<()> {
    c.execute_batch("BEGIN")?;
    let applied = (|| {
        let mut last = 0;
        for op in ops {
            match op {
                SearchOp::Index(rowid, text) => {
                    // REPLACE: a catch-up by another process (an admin command run
                    // beside the server) may have indexed it already.
                    c.prepare_cached(
                        "INSERT OR REPLACE INTO messages_fts (rowid, text) VALUES (?1, ?2)",
                    )?
                    .execute(params![rowid, text])?;
                    last = last.max(rowid);
                }
                SearchOp::Remove(rowid) => {
                    c.prepare_cached("DELETE FROM messages_fts WHERE rowid = ?1")?
                        .execute([rowid])?;
                }
            }
        }
        c.prepare_cached("UPDATE indexed SET last_rowid = max(last_rowid, ?1)")?
            .execute([last])?;
        Ok(())
    })();
    match applied {
        Ok(()) => c.execute_batch("COMMIT"),
        Err(e) => {
            let _ = c.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Messages read per catch-up transaction, to bound memory on a full rebuild.
const CATCH_UP_CHUNK: i64 = 10_000;

/// Brings the index up to date with the messages in `main`: messages past its recorded
/// rowid, and those edited or deleted since it last caught up. Run before the writer starts.
pub(super) fn catch_up(main: &Connection, index: &Connection) -> StoreResult<()> {
    let started = std::time::Instant::now();
    let mut ops = Vec::new();
    let changed: Vec<i64> = main
        .prepare("SELECT rowid FROM search_changes")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for rowid in changed {
        ops.push(SearchOp::Remove(rowid));
        let body: Option<String> = main
            .query_row("SELECT body FROM messages WHERE rowid = ?1", [rowid], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(text) = body.as_deref().and_then(indexed_text) {
            ops.push(SearchOp::Index(rowid, text));
        }
    }
    let changed = ops.len();
    apply(index, ops)?;
    let mut last: i64 = index.query_row("SELECT last_rowid FROM indexed", [], |r| r.get(0))?;
    let mut read = 0;
    loop {
        let rows: Vec<(i64, String)> = main
            .prepare("SELECT rowid, body FROM messages WHERE rowid > ?1 ORDER BY rowid LIMIT ?2")?
            .query_map(params![last, CATCH_UP_CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let Some(&(end, _)) = rows.last() else { break };
        read += rows.len();
        if read % 100_000 == 0 {
            // A rebuild of a large flow takes a while; say that start-up is not stuck.
            tracing::info!(search.messages = read, "sqlite.search_catching_up");
        }
        let ops = rows
            .into_iter()
            .filter_map(|(rowid, body)| Some(SearchOp::Index(rowid, indexed_text(&body)?)));
        apply(index, ops)?;
        // A chunk of messages that index no text still moves the mark.
        index.execute("UPDATE indexed SET last_rowid = max(last_rowid, ?1)", [end])?;
        last = end;
    }
    main.execute("DELETE FROM search_changes", [])?;
    if changed + read > 0 {
        tracing::info!(
            search.messages = read,
            search.changed = changed,
            search.ms = started.elapsed().as_millis() as u64,
            "sqlite.search_caught_up"
        );
    }
    Ok(())
}

/// The text a stored message is found by, rebuilt from its row. The post path computes
/// it from the request instead, which adds the thread's title to an activity and the file
/// names to a file; a message indexed here (after a crash, or on a rebuild) lacks those.
fn indexed_text(body: &str) -> Option<String> {
    let m: Message = serde_json::from_str(body).ok()?;
    let text = match m.event.as_str() {
        "activity" | "discussion" => format!(
            "{} {}",
            m.title.as_deref().unwrap_or(""),
            m.body.as_deref().unwrap_or("")
        ),
        "message" | "status" | "comment" => content_text(&m.content).to_owned(),
        _ => return None,
    };
    Some(text).filter(|t| !t.trim().is_empty())
}

/// The indexer thread's handle: the writer sends it each committed group's ops, and
/// searches wait on it.
pub(super) struct SearchIndex {
    batches: mpsc::Sender<Vec<SearchOp>>,
    /// Batches sent; the indexer publishes how many it has applied on `applied`.
    sent: AtomicU64,
    applied: watch::Receiver<u64>,
}

impl SearchIndex {
    /// Starts the indexer thread on `conn`; it ends when the handle is dropped.
    pub(super) fn start(conn: Connection) -> std::io::Result<Arc<SearchIndex>> {
        let (batches, rx) = mpsc::channel();
        let (applied_tx, applied) = watch::channel(0);
        std::thread::Builder::new()
            .name("sqlite-indexer".into())
            .spawn(move || run(conn, rx, applied_tx))?;
        Ok(Arc::new(SearchIndex {
            batches,
            sent: AtomicU64::new(0),
            applied,
        }))
    }

    /// Hands a committed group's ops to the indexer. Call it before answering the group's
    /// callers, so that a search they make next waits for these.
    pub(super) fn send(&self, ops: Vec<SearchOp>) {
        self.sent.fetch_add(1, Ordering::SeqCst);
        if self.batches.send(ops).is_err() {
            tracing::error!("sqlite.indexer_stopped");
        }
    }

    /// Resolves once every group sent before the call is in the index (or the indexer
    /// has stopped).
    pub(super) async fn caught_up(&self) {
        let target = self.sent.load(Ordering::SeqCst);
        let mut applied = self.applied.clone();
        let _ = applied.wait_for(|n| *n >= target).await;
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<Vec<SearchOp>>, applied: watch::Sender<u64>) {
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        batches.extend(rx.try_iter());
        let n = batches.len() as u64;
        if let Err(e) = apply(&conn, batches.into_iter().flatten()) {
            // Searches must not hang on it; the next start's catch-up indexes what this
            // batch held if no later batch moved the mark past it.
            tracing::error!(error = %e, "sqlite.index_failed");
        }
        applied.send_modify(|a| *a += n);
    }
}
