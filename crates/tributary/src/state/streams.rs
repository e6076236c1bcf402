//! What every open stream waits on besides its flows: the keep-alive tick and the stop signal.
//!
//! One timer serves all streams of a server. A timer per stream costs memory on every idle
//! connection, and resetting it on every frame costs a timer-wheel update per subscriber per
//! event; a shared tick costs neither. Each stream still gets a keep-alive at least once per
//! period, which is all that clients and NAT boxes need.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::Notify;

use super::revocation::{Grant, Registry, Watch};
use crate::store::DynStore;

/// The stream settings every handler shares, and the signal that ends all streams, so that
/// graceful shutdown does not wait on connections that never finish.
#[derive(Clone)]
pub struct Streams {
    pub keepalive: Duration,
    signals: Arc<Signals>,
    /// What each open stream was opened with, re-checked every keep-alive.
    revocations: Arc<Registry>,
}

pub struct Signals {
    /// Woken on every keep-alive tick, and on stop.
    wake: Notify,
    stopped: AtomicBool,
    ticking: AtomicBool,
}

/// A stream's wait on the shared signals: boxed, because the wait borrows the `Notify`.
pub type Wait = Pin<Box<dyn Future<Output = ()> + Send>>;

impl Streams {
    pub fn new(keepalive: Duration) -> Streams {
        Streams {
            keepalive,
            signals: Arc::new(Signals {
                wake: Notify::new(),
                stopped: AtomicBool::new(false),
                ticking: AtomicBool::new(false),
            }),
            revocations: Arc::default(),
        }
    }

    /// Ends every open stream, and every stream opened from now on.
    pub fn stop(&self) {
        self.signals.stopped.store(true, Ordering::SeqCst);
        self.signals.wake.notify_waiters();
    }

    /// The signals for a new stream. The ticker starts with the first stream rather than in
    /// `new`, which may run outside a runtime, and after tests have set `keepalive`.
    pub fn signals(&self) -> Arc<Signals> {
        if !self.signals.ticking.swap(true, Ordering::AcqRel) {
            tokio::spawn(tick(Arc::downgrade(&self.signals), self.keepalive));
        }
        self.signals.clone()
    }
}

impl Streams {
    /// Registers a new stream of `flows`, opened by `user_id` with `grant`, for the
    /// re-check every keep-alive; the stream ends when the returned watch says so.
    pub fn watch(
        &self,
        store: &DynStore,
        user_id: i64,
        grant: Grant,
        flows: &[Arc<str>],
    ) -> Arc<Watch> {
        self.revocations
            .watch(store, &self.signals, self.keepalive, user_id, grant, flows)
    }
}

impl Signals {
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Resolves at the next tick or at stop. Poll it before reading `is_stopped`: a stop that
    /// comes after the first poll wakes it, and one that came before is seen by the read.
    pub fn wait(self: &Arc<Self>) -> Wait {
        let signals = self.clone();
        Box::pin(async move { signals.wake.notified().await })
    }
}

/// Wakes every stream once per period until the server (its `Streams`) is gone or stopped.
async fn tick(signals: Weak<Signals>, period: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    loop {
        interval.tick().await;
        let Some(signals) = signals.upgrade() else {
            return;
        };
        if signals.is_stopped() {
            return;
        }
        signals.wake.notify_waiters();
    }
}
