//! Revocation reaches open streams (issue 15): a stream ends, with a final `stream-end` event
//! that says why, within one keep-alive of the change that took its access away: its OAuth
//! token revoked or expired, its API token regenerated, its password changed, its session
//! logged out, its account disabled, or its user out of one of its flows (or the flow archived).
//!
//! Checking each stream on its own would cost a store round trip per stream per tick, and the
//! point of the shared tick is that 10k idle streams cost next to nothing. So every stream
//! registers what it was opened with (its [`Grant`], user and flows) in one [`Registry`] per
//! server, and one sweeper task re-reads, once per keep-alive, every *distinct* grant and
//! membership in a single batched store read ([`crate::store::AccessStore::stream_access`]),
//! then wakes exactly the streams that lost access. A stream keeps only a small [`Watch`]:
//! its flows, the sweeper's verdict, and its waker. The registry keeps hashes, never tokens.
//!
//! The sweeper reads the store, not this node's memory, so on PostgreSQL a revocation made
//! through any node ends the streams of every node. When the store cannot be read the
//! streams stay open (a database hiccup must not drop every client) and the next sweep tries
//! again; a stream never outlives a failed credential by more than a sweep once the store
//! answers.
//!
//! The registry is part of the server's state (`AppState::streams` holds it), so it lives
//! here, below `auth` and the stream handlers that use it; `stream` renders its verdicts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Context;
use std::time::Duration;

use futures_util::task::AtomicWaker;

use super::Signals;
use crate::store::{now_millis, Store, StoreResult};
use verdict::{judge_all, query};

mod grant;
mod verdict;

pub use grant::Grant;

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    TokenRevoked,
    TokenExpired,
    CredentialChanged,
    LoggedOut,
    SessionExpired,
    AccountDisabled,
    LeftFlow,
    FlowArchived,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::TokenRevoked => "token_revoked",
            Reason::TokenExpired => "token_expired",
            Reason::CredentialChanged => "credential_changed",
            Reason::LoggedOut => "logged_out",
            Reason::SessionExpired => "session_expired",
            Reason::AccountDisabled => "account_disabled",
            Reason::LeftFlow => "left_flow",
            Reason::FlowArchived => "flow_archived",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Reason::TokenRevoked => "The access token of this stream was revoked",
            Reason::TokenExpired => "The access token of this stream expired",
            Reason::CredentialChanged => "The credential of this stream was changed",
            Reason::LoggedOut => "The session of this stream was logged out",
            Reason::SessionExpired => "The session of this stream expired",
            Reason::AccountDisabled => "The account of this stream was disabled",
            Reason::LeftFlow => "The user is no longer a member of a flow of this stream",
            Reason::FlowArchived => "A flow of this stream was archived",
        }
    }
}

/// The sweeper's verdict on one stream: why, and the flow when a flow was the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub reason: Reason,
    pub flow: Option<Arc<str>>,
}

/// One open stream's entry: what it streams, and where the sweeper leaves its verdict.
pub struct Watch {
    flows: Box<[Arc<str>]>,
    ending: OnceLock<Ending>,
    waker: AtomicWaker,
}

impl Watch {
    fn new(flows: &[Arc<str>]) -> Watch {
        Watch {
            flows: flows.into(),
            ending: OnceLock::new(),
            waker: AtomicWaker::new(),
        }
    }

    /// The verdict, if there is one. The waker is registered first, so that a verdict that
    /// comes after this poll wakes the stream.
    pub fn poll_ending(&self, cx: &Context<'_>) -> Option<&Ending> {
        self.waker.register(cx.waker());
        self.ending.get()
    }

    fn end(&self, ending: Ending) {
        if self.ending.set(ending).is_ok() {
            self.waker.wake();
        }
    }
}

/// Streams sharing a credential share an entry: the sweeper checks each grant once.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    user_id: i64,
    grant: Grant,
}

/// The open streams of a server by grant. A dropped stream leaves a dead `Weak` behind,
/// which the next sweep prunes: that keeps closing a stream free of any locking.
#[derive(Default)]
pub struct Registry {
    grants: Mutex<HashMap<Key, Vec<Weak<Watch>>>>,
    sweeping: AtomicBool,
}

impl Registry {
    /// Registers a stream of `flows` opened by `user_id` with `grant`; it is checked from
    /// the next sweep on. The sweeper starts with the first stream, after tests have set
    /// the period, and reads the store through a weak reference so that it never keeps a
    /// stopped server's database open.
    pub fn watch(
        self: &Arc<Self>,
        store: &Arc<dyn Store>,
        signals: &Arc<Signals>,
        period: Duration,
        user_id: i64,
        grant: Grant,
        flows: &[Arc<str>],
    ) -> Arc<Watch> {
        let watch = Arc::new(Watch::new(flows));
        let key = Key { user_id, grant };
        if let Ok(mut grants) = self.grants.lock() {
            grants.entry(key).or_default().push(Arc::downgrade(&watch));
        }
        if !self.sweeping.swap(true, Ordering::AcqRel) {
            tokio::spawn(sweep_every(
                Arc::downgrade(self),
                Arc::downgrade(store),
                Arc::downgrade(signals),
                period,
            ));
        }
        watch
    }

    /// The live entries, with dead streams and empty grants pruned.
    fn snapshot(&self) -> Vec<(Key, Vec<Arc<Watch>>)> {
        let Ok(mut grants) = self.grants.lock() else {
            return Vec::new();
        };
        let mut live = Vec::with_capacity(grants.len());
        grants.retain(|key, watches| {
            watches.retain(|w| w.strong_count() > 0);
            if watches.capacity() > 4 * watches.len() + 4 {
                watches.shrink_to_fit();
            }
            let strong: Vec<_> = watches.iter().filter_map(Weak::upgrade).collect();
            if !strong.is_empty() {
                live.push((key.clone(), strong));
            }
            !watches.is_empty()
        });
        live
    }

    /// One sweep: one store read for every distinct grant and membership, then a verdict for
    /// each stream. Returns how many streams it ended.
    pub async fn sweep(&self, store: &dyn Store) -> StoreResult<usize> {
        let live = self.snapshot();
        if live.is_empty() {
            return Ok(0);
        }
        let report = store.stream_access(query(&live)).await?;
        Ok(judge_all(&live, &report, now_millis()))
    }
}

/// Sweeps once per period until the server's registry, store or signals are gone, or the
/// streams stopped.
async fn sweep_every(
    registry: Weak<Registry>,
    store: Weak<dyn Store>,
    signals: Weak<Signals>,
    period: Duration,
) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        let (Some(registry), Some(store)) = (registry.upgrade(), store.upgrade()) else {
            return;
        };
        if signals.upgrade().is_none_or(|s| s.is_stopped()) {
            return;
        }
        // A store that hangs must not stop the sweeps for good: give up, and try again.
        let limit = period.max(Duration::from_secs(5));
        match tokio::time::timeout(limit, registry.sweep(&*store)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(stream.ended = n, "stream.access_ended"),
            Ok(Err(e)) => tracing::warn!(error = %e, "stream.sweep_failed"),
            Err(_) => tracing::warn!("stream.sweep_timed_out"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn watch(flows: &[&str]) -> Arc<Watch> {
        let flows: Vec<Arc<str>> = flows.iter().map(|f| Arc::from(*f)).collect();
        Arc::new(Watch::new(&flows))
    }

    pub(super) fn key(user_id: i64, grant: Grant) -> Key {
        Key { user_id, grant }
    }

    #[test]
    fn the_query_asks_for_each_grant_and_membership_once() {
        let registry = Registry::default();
        let streams: Vec<_> = (0..3).map(|_| watch(&["a", "b"])).collect();
        let other = watch(&["a"]);
        {
            let mut grants = registry.grants.lock().unwrap();
            let api = grants
                .entry(key(1, Grant::ApiToken("t".into())))
                .or_default();
            api.extend(streams.iter().map(Arc::downgrade));
            grants
                .entry(key(1, Grant::AccessToken("o".into())))
                .or_default()
                .push(Arc::downgrade(&other));
            let dropped = watch(&["c"]);
            grants
                .entry(key(2, Grant::Session("s".into())))
                .or_default()
                .push(Arc::downgrade(&dropped));
        }
        let live = registry.snapshot();
        assert_eq!(live.len(), 2, "the closed stream's grant is pruned");
        let mut q = query(&live);
        q.memberships.sort();
        assert_eq!(q.users, vec![1]);
        assert_eq!(q.access_tokens, vec!["o".to_owned()]);
        assert!(q.sessions.is_empty());
        assert_eq!(
            q.memberships,
            vec![(1, "a".to_owned()), (1, "b".to_owned())]
        );
        assert_eq!(registry.grants.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_verdict_wakes_the_waiting_stream_once() {
        let w = watch(&["a"]);
        let polled = {
            let w = w.clone();
            tokio::spawn(async move {
                std::future::poll_fn(|cx| match w.poll_ending(cx) {
                    Some(e) => std::task::Poll::Ready(e.reason),
                    None => std::task::Poll::Pending,
                })
                .await
            })
        };
        tokio::task::yield_now().await;
        let ending = |reason| Ending { reason, flow: None };
        w.end(ending(Reason::LoggedOut));
        w.end(ending(Reason::AccountDisabled));
        let got = tokio::time::timeout(Duration::from_secs(5), polled).await;
        assert_eq!(
            got.unwrap().unwrap(),
            Reason::LoggedOut,
            "the first verdict stays"
        );
    }
}
