//! Password checks: argon2id off the async threads, a few at a time, at the same cost whether
//! or not the account exists.
//!
//! Every sign-in with a password (Basic auth, the web login, the OAuth password grant) goes
//! through [`Passwords::check`]. An unknown email, or an account without a password, is
//! verified against a dummy hash made with the same parameters as real ones, so the answer
//! takes as long as a wrong password's and does not tell which emails have accounts. The
//! permits keep a flood of sign-ins from filling tokio's blocking pool with argon2 work: a
//! check waits at most `max_wait` for one, then the request answers 503 with `Retry-After`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::store::UserRecord;

/// Checks that run at once: argon2id is CPU-bound, so about one per core.
pub(super) const DEFAULT_PERMITS: usize = 2;

/// How long a check waits for a permit before the request gives up with 503.
pub(super) const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10);

/// What a client is told to wait after a 503, in seconds.
const RETRY_AFTER_SECS: u64 = 1;

/// A hash of a random password nobody knows, made like every stored hash (`hash_password`),
/// so verifying against it costs what verifying a real one does.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    secrets::hash_password(&secrets::new_token(16)).unwrap_or_else(|e| {
        tracing::error!(error.detail = %e, "auth.dummy_hash_failed");
        String::new()
    })
});

/// The password checker shared by every request of a server.
#[derive(Clone)]
pub struct Passwords(Arc<Inner>);

struct Inner {
    permits: Arc<Semaphore>,
    max_wait: Duration,
    /// Argon2 verifications run so far, dummy ones included.
    verifications: AtomicU64,
    running: AtomicUsize,
    /// The most verifications that ever ran at the same time.
    peak: AtomicUsize,
}

impl Default for Passwords {
    fn default() -> Passwords {
        Passwords::new(DEFAULT_PERMITS, DEFAULT_MAX_WAIT)
    }
}

impl Passwords {
    /// A checker running at most `permits` verifications at once (at least one).
    pub fn new(permits: usize, max_wait: Duration) -> Passwords {
        Passwords(Arc::new(Inner {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            max_wait,
            verifications: AtomicU64::new(0),
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }))
    }

    /// `user` when it exists, has a password, and `password` is that password; `None` for
    /// every other case, after the same amount of work.
    pub async fn check(
        &self,
        user: Option<UserRecord>,
        password: &str,
    ) -> ApiResult<Option<UserRecord>> {
        let permit = tokio::time::timeout(self.0.max_wait, self.0.permits.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let password = password.to_owned();
        let inner = self.0.clone();
        // The permit moves into the blocking task: a request that is dropped mid-check does
        // not free it before the argon2 work is done.
        let ok = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            inner.verify(hash.as_deref(), &password)
        })
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(user.filter(|_| ok))
    }

    /// Argon2 verifications run so far, dummy ones included.
    pub fn verifications(&self) -> u64 {
        self.0.verifications.load(Ordering::SeqCst)
    }

    /// The most verifications that ran at the same time so far.
    pub fn peak_concurrency(&self) -> usize {
        self.0.peak.load(Ordering::SeqCst)
    }
}

impl Inner {
    fn verify(&self, hash: Option<&str>, password: &str) -> bool {
        // The first check of the process makes the dummy hash, whichever email it is for, so
        // that making it never tells an unknown email from a known one.
        let dummy = LazyLock::force(&DUMMY_HASH);
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let ok = match hash {
            Some(hash) => secrets::verify_password(hash, password),
            None => {
                let _ = secrets::verify_password(dummy, password);
                false
            }
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        ok
    }
}

fn busy() -> ApiError {
    ApiError::Unavailable {
        message: "Too many sign-ins at once; try again shortly".into(),
        retry_after: RETRY_AFTER_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(hash: Option<String>) -> UserRecord {
        UserRecord {
            id: 1,
            email: "a@b.c".into(),
            name: "A".into(),
            nick: "a".into(),
            avatar: String::new(),
            website: None,
            password_hash: hash,
            disabled: false,
            created_at: 0,
        }
    }

    #[tokio::test]
    async fn only_the_right_password_of_an_existing_user_passes() {
        let passwords = Passwords::default();
        let hash = secrets::hash_password("correct horse").unwrap();
        let ann = user(Some(hash));
        assert!(passwords
            .check(Some(ann.clone()), "correct horse")
            .await
            .unwrap()
            .is_some());
        assert!(passwords.check(Some(ann), "wrong").await.unwrap().is_none());
        assert!(passwords
            .check(Some(user(None)), "")
            .await
            .unwrap()
            .is_none());
        assert!(passwords.check(None, "anything").await.unwrap().is_none());
        assert_eq!(
            passwords.verifications(),
            4,
            "unknown users cost a check too"
        );
    }

    #[test]
    fn the_dummy_hash_is_made_like_real_ones() {
        let real = secrets::hash_password("x").unwrap();
        let params = |h: &str| h.rsplitn(3, '$').nth(2).map(str::to_owned);
        assert_eq!(params(&DUMMY_HASH), params(&real));
    }
}
