//! The store's one error type. A backend failure keeps its cause as the error's `source()`,
//! so whoever logs it can print the whole chain (`database error: <what the driver said>`),
//! while callers match only on the variants that mean something to them.

use std::error::Error;
use std::sync::Arc;

/// Any error, as a backend failure's cause.
pub type BoxError = Box<dyn Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names what was taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// A referenced row does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The write is not the caller's to make (another source's thread); the string says why.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The database (or the disk, or a thread of the backend) failed. A plain message
    /// converts too: `StoreError::Backend("the writer has stopped".into())`.
    #[error("database error")]
    Backend(#[source] BoxError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A cause with what the store was doing when it failed (`bad thread state: ...`).
#[derive(Debug, thiserror::Error)]
#[error("{context}")]
struct Context {
    context: String,
    #[source]
    source: BoxError,
}

impl StoreError {
    /// A backend failure caused by `source` while doing `context`.
    pub fn backend(context: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError::Backend(Box::new(Context {
            context: context.into(),
            source: source.into(),
        }))
    }
}

/// One failure answered to many callers: a group commit that failed fails every write in
/// the group, and each caller's error carries the same cause.
#[derive(Debug, Clone)]
pub(crate) struct GroupFailure(Arc<dyn Error + Send + Sync>);

impl GroupFailure {
    pub(crate) fn new(e: StoreError) -> GroupFailure {
        match e {
            StoreError::Backend(cause) => GroupFailure(Arc::from(cause)),
            other => GroupFailure(Arc::new(other)),
        }
    }

    /// The error one caller of the group gets.
    pub(crate) fn error(&self) -> StoreError {
        StoreError::Backend(Box::new(Arc::clone(&self.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(e: &(dyn Error + 'static)) -> Vec<String> {
        let mut out = vec![e.to_string()];
        let mut cause = e.source();
        while let Some(c) = cause {
            out.push(c.to_string());
            cause = c.source();
        }
        out
    }

    #[test]
    fn backend_errors_keep_their_cause() {
        let e = StoreError::backend("bad thread state", "expected value");
        assert_eq!(
            chain(&e),
            ["database error", "bad thread state", "expected value"]
        );
        let plain = StoreError::Backend("the writer has stopped".into());
        assert_eq!(chain(&plain), ["database error", "the writer has stopped"]);
    }

    #[test]
    fn a_group_failure_gives_every_caller_the_cause() {
        let group = GroupFailure::new(StoreError::backend("commit", "disk full"));
        for e in [group.error(), group.error()] {
            assert_eq!(chain(&e), ["database error", "commit", "disk full"]);
        }
    }
}
