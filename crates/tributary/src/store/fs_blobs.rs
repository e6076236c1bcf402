//! The filesystem blob store, the default with SQLite: `<dir>/<first two hex of the key>/<key>`
//! under the data directory (the SQLite file's directory, `files/` beside it, unless
//! `--files-dir` says otherwise). Uploads spool in `<dir>/tmp` on the same filesystem, so
//! storing one is an atomic rename followed by an fsync of the directory.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::blobs::*;
use super::{StoreError, StoreResult};

pub struct FsBlobStore {
    root: PathBuf,
    spool: PathBuf,
}

impl FsBlobStore {
    /// Opens (creating) the store at `root` and clears spool files of crashed processes.
    pub fn open(root: &Path) -> StoreResult<FsBlobStore> {
        let spool = root.join("tmp");
        std::fs::create_dir_all(&spool)
            .map_err(|e| StoreError::backend(format!("cannot create {}", spool.display()), e))?;
        sweep_spool(&spool);
        Ok(FsBlobStore {
            root: root.to_path_buf(),
            spool,
        })
    }

    fn blob_path(&self, key: &str) -> StoreResult<PathBuf> {
        if !valid_key(key) {
            return Err(StoreError::NotFound("file"));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    fn spool_dir(&self) -> &Path {
        &self.spool
    }

    async fn put(&self, key: &str, file: SpooledFile) -> StoreResult<()> {
        let target = self.blob_path(key)?;
        let dir = target
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await.map_err(io_error)?;
        let from = file.into_path();
        if let Err(e) = tokio::fs::rename(&from, &target).await {
            let _ = tokio::fs::remove_file(&from).await;
            return Err(io_error(e));
        }
        // The rename is durable only once the directory entry is.
        tokio::task::spawn_blocking(move || std::fs::File::open(&dir).and_then(|d| d.sync_all()))
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?
            .map_err(io_error)
    }

    async fn get(&self, key: &str) -> StoreResult<Option<BlobStream>> {
        let Ok(path) = self.blob_path(key) else {
            return Ok(None);
        };
        match tokio::fs::File::open(path).await {
            Ok(f) => Ok(Some(file_stream(f))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        let Ok(path) = self.blob_path(key) else {
            return Ok(());
        };
        match tokio::fs::remove_file(path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn put_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path()).unwrap();
        let mut s = Spool::create(store.spool_dir()).await.unwrap();
        s.write(b"hello ").await.unwrap();
        s.write(b"world").await.unwrap();
        let key = new_key();
        store.put(&key, s.finish().await.unwrap()).await.unwrap();
        let chunks: Vec<_> = store
            .get(&key)
            .await
            .unwrap()
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(chunks.concat(), b"hello world");
        assert_eq!(std::fs::read_dir(store.spool_dir()).unwrap().count(), 0);
        store.delete(&key).await.unwrap();
        assert!(store.get(&key).await.unwrap().is_none());
        assert!(store.get("../x").await.unwrap().is_none());
    }
}
