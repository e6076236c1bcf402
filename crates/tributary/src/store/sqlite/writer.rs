//! The single SQLite writer: one thread owns the write connection and commits queued writes
//! in groups.
//!
//! SQLite allows one writer at a time, and with `synchronous=FULL` every commit pays an fsync.
//! Funnelling all writes through one thread lets a burst of requests share one transaction
//! and one fsync (group commit). Each job runs inside its own savepoint, so one failing job
//! does not undo its neighbours, and each caller is answered only after the whole group's
//! COMMIT has returned: acknowledged means durable.
//!
//! The writer is also where committed events enter the [`Bus`]: after each COMMIT it
//! publishes the group's events in commit order, before answering, so that streams see
//! increasing ids and never an event that could still roll back. A job's changes to the
//! search index travel the same way: returned with its answer ([`Written`]), handed to the
//! indexer once the group has committed.

use std::sync::{mpsc, Arc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::checkpoint::Checkpointer;
use super::search::{SearchIndex, SearchOp, SearchOps};
use crate::bus::{Bus, Event};
use crate::store::{GroupFailure, StoreError, StoreResult};

/// Most jobs folded into one transaction; bounds the latency a job can add to its group.
const MAX_GROUP: usize = 512;

/// WAL frames (pages) after which the writer checkpoints what the checkpointer has not
/// yet copied; this bounds the WAL file to about 16 MiB plus one group's pages.
pub(super) const WRITER_CHECKPOINT_FRAMES: u32 = 4000;

/// Runs a job inside the open transaction and returns the deferred answer, to be sent once
/// the commit outcome is known.
type Job = Box<dyn FnOnce(&Connection) -> Reply + Send>;

/// What a write job leaves besides its answer, for the writer to hand on once the job's
/// group has committed: the events to publish and the changes to the search index.
pub(super) struct Written<T> {
    pub answer: T,
    pub events: Vec<Event>,
    pub search: SearchOps,
}

impl<T> Written<T> {
    /// An answer with nothing to publish or index.
    pub(super) fn answer(answer: T) -> Written<T> {
        Written {
            answer,
            events: Vec::new(),
            search: SearchOps::default(),
        }
    }
}

/// A job's events and index changes to hand on once its group commits, and how to answer
/// its caller.
struct Reply {
    events: Vec<Event>,
    search: SearchOps,
    send: Box<dyn FnOnce(StoreResult<()>) + Send>,
}

#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread; it ends when every `Writer` handle is dropped.
    ///
    /// `checkpointer` copies most of the WAL into the database from its own thread, but
    /// only a checkpoint that finishes while no write is in progress lets the next
    /// transaction restart the WAL from its beginning, and only the writer can run one
    /// then. So the writer keeps its own automatic checkpoint, with a threshold high
    /// enough that it rarely fires and, when it does, finds little left to copy. Without
    /// it the WAL never restarted under a steady load: it grew by ~160 MB/s, and the
    /// kernel zeroing the file's new blocks took over a quarter of the writer's time.
    pub(super) fn start(
        conn: Connection,
        bus: Arc<Bus>,
        checkpointer: Checkpointer,
        index: Arc<SearchIndex>,
    ) -> std::io::Result<Writer> {
        conn.query_row(
            &format!("PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_FRAMES}"),
            [],
            |_| Ok(()),
        )
        .map_err(std::io::Error::other)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, rx, bus, checkpointer, index))?;
        Ok(Writer { jobs })
    }

    /// Runs `f` in the next group transaction and resolves once that group is durable.
    pub(super) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.write_job(move |c| f(c).map(Written::answer)).await
    }

    /// Like [`Writer::write`], and once the group is durable publishes the events `f`
    /// returns and hands its search changes to the indexer.
    pub(super) async fn write_job<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<Written<T>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // A failed job's savepoint is rolled back: nothing of it is published or indexed.
            let (outcome, events, search) = match in_savepoint(conn, f) {
                Ok(w) => (Ok(w.answer), w.events, w.search),
                Err(e) => (Err(e), Vec::new(), SearchOps::default()),
            };
            Reply {
                events,
                search,
                send: Box::new(move |committed: StoreResult<()>| {
                    let _ = tx.send(committed.and(outcome));
                }),
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| StoreError::Backend("the SQLite writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Backend("the SQLite writer dropped a write".into()))?
    }
}

/// Runs one statement through the connection's statement cache: these few run for every
/// job, and parsing them each time was a sixth of the writer's time under load.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn in_savepoint<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<T>,
) -> StoreResult<T> {
    exec(conn, "SAVEPOINT job")?;
    match f(conn) {
        Ok(v) => {
            exec(conn, "RELEASE job")?;
            Ok(v)
        }
        Err(e) => {
            exec(conn, "ROLLBACK TO job")?;
            exec(conn, "RELEASE job")?;
            Err(e)
        }
    }
}

fn run(
    conn: Connection,
    rx: mpsc::Receiver<Job>,
    bus: Arc<Bus>,
    checkpointer: Checkpointer,
    index: Arc<SearchIndex>,
) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = exec(&conn, "BEGIN IMMEDIATE") {
            // Dropping the jobs unrun answers each caller with an error.
            tracing::error!(error = %e, "sqlite.begin_failed");
            drop(group);
            continue;
        }
        let mut replies: Vec<Reply> = group.into_iter().map(|job| job(&conn)).collect();
        let committed =
            exec(&conn, "COMMIT").map_err(|e| GroupFailure::new(StoreError::backend("commit", e)));
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        } else {
            // Before anyone is answered, so that a search they make next waits for these.
            let ops: Vec<SearchOp> = replies
                .iter_mut()
                .flat_map(|r| std::mem::take(&mut r.search))
                .collect();
            if !ops.is_empty() {
                index.send(ops);
            }
            checkpointer.committed();
            // Jobs ran in queue order, so their events are in commit (and id) order.
            bus.publish(
                replies
                    .iter_mut()
                    .flat_map(|r| std::mem::take(&mut r.events)),
            );
        }
        for reply in replies {
            (reply.send)(committed.as_ref().copied().map_err(GroupFailure::error));
        }
    }
}
