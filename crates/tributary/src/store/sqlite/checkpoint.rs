//! Checkpoints the WAL on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold, on the
//! committing connection: here, the single writer, whose cycle bounds the post rate. Under a
//! post load the writer spent a sixth of its time copying WAL pages into the database. A
//! PASSIVE checkpoint from another connection does the same copy without taking the write
//! lock, so the writer's groups go on meanwhile. It can never finish while groups keep
//! committing, though, so the writer still runs a checkpoint of its own now and then (see
//! [`super::writer::WRITER_CHECKPOINT_FRAMES`]); this thread keeps that one short.

use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

/// How long commits accumulate before a checkpoint: a page that many groups rewrite (a
/// thread row, an index's last page) is copied into the database once per interval, and
/// what the writer's own checkpoint finds left is at most about this much of its work.
const INTERVAL: Duration = Duration::from_millis(10);

/// A handle the writer nudges after each commit; the thread ends when it is dropped.
pub(super) struct Checkpointer {
    nudge: mpsc::SyncSender<()>,
}

impl Checkpointer {
    pub(super) fn start(conn: Connection) -> std::io::Result<Checkpointer> {
        let (nudge, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(conn, rx))?;
        Ok(Checkpointer { nudge })
    }

    /// Tells the checkpointer there is something to copy; never blocks.
    pub(super) fn committed(&self) {
        let _ = self.nudge.try_send(());
    }
}

fn run(conn: Connection, rx: mpsc::Receiver<()>) {
    while rx.recv().is_ok() {
        std::thread::sleep(INTERVAL);
        let _ = rx.try_recv();
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "sqlite.checkpoint_failed");
        }
    }
}
