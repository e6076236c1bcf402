//! A small pool of read-only SQLite connections used from blocking threads.
//!
//! WAL lets these read while the writer commits, so reads never wait behind a write group.
//! Reads that may scan (lists, searches) run on the blocking pool; lookups of one row by a
//! key run on the calling task (see [`ReadPool::lookup`]).

use std::sync::Mutex;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::store::{StoreError, StoreResult};

type Opener = Box<dyn Fn() -> StoreResult<Connection> + Send + Sync>;

pub(super) struct ReadPool {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    open: Opener,
}

impl ReadPool {
    pub(super) fn new(
        size: usize,
        open: impl Fn() -> StoreResult<Connection> + Send + Sync + 'static,
    ) -> StoreResult<ReadPool> {
        let idle = (0..size).map(|_| open()).collect::<StoreResult<Vec<_>>>()?;
        Ok(ReadPool {
            idle: Mutex::new(idle),
            permits: Semaphore::new(size),
            open: Box::new(open),
        })
    }

    /// Runs a lookup of one row by a unique key on the calling task. Such a lookup takes a
    /// few microseconds on hot pages, while handing it to a blocking thread and back costs
    /// two context switches: a `flow_token` post made three of these hand-offs, and they
    /// were the largest share of its futex calls and context switches under load. When no
    /// connection is idle it waits for one like [`ReadPool::read`].
    pub(super) async fn lookup<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let Ok(_permit) = self.permits.try_acquire() else {
            return self.read(f).await;
        };
        let conn = self.take()?;
        let result = f(&conn);
        self.put(conn);
        result
    }

    pub(super) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        let conn = self.take()?;
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let r = f(&conn);
            (conn, r)
        })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
        self.put(conn);
        result
    }

    /// An idle connection; the caller holds a permit. A connection is lost only when a read
    /// panicked: it is replaced instead of shrinking the pool.
    fn take(&self) -> StoreResult<Connection> {
        let pooled = self
            .idle
            .lock()
            .map_err(|_| StoreError::Backend("read pool poisoned".into()))?
            .pop();
        match pooled {
            Some(c) => Ok(c),
            None => (self.open)(),
        }
    }

    fn put(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }
}
