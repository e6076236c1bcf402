//! File contents ("blobs"): one [`BlobStore`] trait with two backends, the filesystem
//! ([`FsBlobStore`], the default with SQLite) and PostgreSQL (the default with PostgreSQL, so
//! that every node of a cluster serves every file).
//!
//! An upload is first spooled to a local temporary file ([`Spool`]) while the request streams
//! in. Only once the post has validated is it handed to [`BlobStore::put`], which makes it
//! durable under its key in one step: a rename, or one transaction. A request that dies
//! halfway therefore leaves no blob (its spool file is removed on drop, or by
//! [`sweep_spool`] after a crash), and the message naming the blob commits after `put`.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use super::fs_blobs::FsBlobStore;
use super::{StoreError, StoreResult};

/// A blob's bytes, streamed in chunks.
pub type BlobStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Where uploads are spooled while they stream in. The filesystem store keeps it on its
    /// own filesystem, so that `put` is a rename.
    fn spool_dir(&self) -> &Path;
    /// Makes the spooled file durable as `key`. When it returns, the blob is complete.
    async fn put(&self, key: &str, file: SpooledFile) -> StoreResult<()>;
    /// The blob's bytes, or `None` when there is no such blob.
    async fn get(&self, key: &str) -> StoreResult<Option<BlobStream>>;
    /// Removes the blob; removing a missing blob is not an error.
    async fn delete(&self, key: &str) -> StoreResult<()>;
}

pub type DynBlobStore = Arc<dyn BlobStore>;

/// How much of the start of each upload is kept in memory, to read image dimensions (a JPEG's
/// size can follow a large EXIF block).
pub const HEAD_BYTES: usize = 256 * 1024;

/// Spool files older than this are removed even when their process cannot be checked.
const STALE_SPOOL: Duration = Duration::from_secs(24 * 60 * 60);

/// Blob keys are 32 lowercase hex characters (see [`new_key`]); anything else is refused
/// before it can reach a path or a query.
pub fn valid_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A fresh random blob key.
pub fn new_key() -> String {
    crate::secrets::new_token(16)
}

pub(crate) fn io_error(e: io::Error) -> StoreError {
    StoreError::backend("blob store", e)
}

/// An upload being written to a temporary file. Dropped before [`Spool::finish`], the file
/// is removed.
pub struct Spool {
    file: Option<tokio::fs::File>,
    path: PathBuf,
    size: u64,
    head: Vec<u8>,
    sha: Sha256,
}

impl Spool {
    /// A new spool file in `dir`, named after this process so that a restart can tell the
    /// leftovers of a crashed process from uploads in flight ([`sweep_spool`]).
    pub async fn create(dir: &Path) -> io::Result<Spool> {
        tokio::fs::create_dir_all(dir).await?;
        let path = dir.join(format!("{}-{}.part", std::process::id(), new_key()));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Spool {
            file: Some(file),
            path,
            size: 0,
            head: Vec::new(),
            sha: Sha256::new(),
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("spool already finished"))?;
        file.write_all(chunk).await?;
        self.size += chunk.len() as u64;
        if self.head.len() < HEAD_BYTES {
            let room = HEAD_BYTES - self.head.len();
            self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        self.sha.update(chunk);
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes the file to disk: what `put` receives is complete.
    pub async fn finish(mut self) -> io::Result<SpooledFile> {
        if let Some(mut file) = self.file.take() {
            file.flush().await?;
            file.sync_all().await?;
        }
        let done = SpooledFile {
            path: Some(std::mem::take(&mut self.path)),
            size: self.size,
            head: std::mem::take(&mut self.head),
            sha256: hex::encode(std::mem::take(&mut self.sha).finalize()),
        };
        Ok(done)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A complete upload in its spool file, with its size, first bytes and SHA-256. Dropped
/// without being stored, the file is removed.
#[derive(Debug)]
pub struct SpooledFile {
    path: Option<PathBuf>,
    pub size: u64,
    pub head: Vec<u8>,
    pub sha256: String,
}

impl SpooledFile {
    /// The spool file's path, for a store that reads it.
    pub fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Takes the file over (the filesystem store renames it): it is no longer removed on drop.
    pub fn into_path(mut self) -> PathBuf {
        self.path.take().unwrap_or_default()
    }

    /// The spooled bytes in chunks of `chunk` bytes, for a store that copies them.
    pub async fn chunks(&self, chunk: usize) -> StoreResult<SpoolChunks> {
        let file = tokio::fs::File::open(self.path()).await.map_err(io_error)?;
        Ok(SpoolChunks { file, chunk })
    }
}

/// A spooled file read one chunk at a time, so that copying it holds one chunk in memory.
pub struct SpoolChunks {
    file: tokio::fs::File,
    chunk: usize,
}

impl SpoolChunks {
    /// The next chunk, full but for the last; `None` at the end.
    pub async fn next(&mut self) -> StoreResult<Option<Vec<u8>>> {
        let mut buf = vec![0u8; self.chunk];
        let mut filled = 0;
        while filled < self.chunk {
            let n = self.file.read(&mut buf[filled..]).await.map_err(io_error)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        if filled == 0 {
            return Ok(None);
        }
        buf.truncate(filled);
        Ok(Some(buf))
    }
}

impl Drop for SpooledFile {
    fn drop(&mut self) {
        if let Some(p) = &self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Removes spool files left by processes that died mid-upload: those whose process is gone
/// (where `/proc` tells), and any older than a day. Runs when a blob store opens; uploads in
/// flight in live processes, this one included, are left alone.
pub fn sweep_spool(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let can_check = Path::new("/proc/self").exists();
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".part")) else {
            continue;
        };
        let pid = stem.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let dead = match pid {
            Some(p) if can_check => p != me && !Path::new(&format!("/proc/{p}")).exists(),
            _ => false,
        };
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_SPOOL);
        if dead || stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Streams a file in 64 KiB chunks.
pub fn file_stream(file: tokio::fs::File) -> BlobStream {
    Box::pin(futures_util::stream::try_unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        Ok(Some((Bytes::from(buf), f)))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_spool_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::create(dir.path()).await.unwrap();
        s.write(b"half").await.unwrap();
        drop(s);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut s = Spool::create(dir.path()).await.unwrap();
        s.write(b"whole").await.unwrap();
        let done = s.finish().await.unwrap();
        assert_eq!(done.size, 5);
        assert_eq!(done.head, b"whole");
        drop(done);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_sweep_removes_files_of_dead_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let mine = dir.path().join(format!("{}-a.part", std::process::id()));
        // Pid 0 is never a user process, so `/proc/0` does not exist.
        let dead = dir.path().join("0-b.part");
        let other = dir.path().join("notes.txt");
        for p in [&mine, &dead, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        sweep_spool(dir.path());
        assert!(mine.exists());
        assert!(other.exists());
        assert_eq!(dead.exists(), !Path::new("/proc/self").exists());
    }

    #[test]
    fn keys_are_hex() {
        assert!(valid_key(&new_key()));
        assert!(!valid_key("../../etc/passwd"));
        assert!(!valid_key(&"A".repeat(32)));
    }
}
