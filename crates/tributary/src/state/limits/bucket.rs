//! Token buckets kept in memory, one table per kind of limit, with a cap on how many keys a
//! table holds so that a flood of distinct keys cannot grow it without bound.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// A bucket's size and how fast it refills.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// The most requests in a burst: a full bucket's tokens.
    pub burst: u32,
    /// Tokens added back each second.
    pub per_sec: f64,
}

impl Rate {
    /// `n` a minute, all of which may come at once.
    pub fn per_minute(n: u32) -> Rate {
        Rate {
            burst: n.max(1),
            per_sec: f64::from(n.max(1)) / 60.0,
        }
    }
}

/// What a bucket said: whether the request may go on, and the `RateLimit-*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds until the next token, when none is left (at least 1).
    pub retry_after_secs: u64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of one kind of limit, by key (a hash, never a secret).
pub struct Table {
    rate: Rate,
    max_keys: usize,
    buckets: Mutex<HashMap<u128, Bucket>>,
}

impl Table {
    pub fn new(rate: Rate, max_keys: usize) -> Table {
        Table {
            rate,
            max_keys: max_keys.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token from `key`'s bucket if one is left.
    pub fn take(&self, key: u128, now: Instant) -> Quota {
        let mut buckets = self.lock();
        let bucket = match buckets.get(&key) {
            Some(b) => self.refill(*b, now),
            None => {
                self.make_room(&mut buckets, now);
                self.full(now)
            }
        };
        let allowed = bucket.tokens >= 1.0;
        let tokens = if allowed {
            bucket.tokens - 1.0
        } else {
            bucket.tokens
        };
        buckets.insert(key, Bucket { tokens, at: now });
        self.quota(allowed, tokens)
    }

    /// Whether `key` has a token left, without taking it.
    pub fn peek(&self, key: u128, now: Instant) -> Quota {
        let buckets = self.lock();
        let tokens = buckets
            .get(&key)
            .map_or(f64::from(self.rate.burst), |b| self.refill(*b, now).tokens);
        self.quota(tokens >= 1.0, tokens)
    }

    /// The keys the table tracks now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u128, Bucket>> {
        // A panic while holding the lock leaves plain numbers behind, still usable.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn full(&self, now: Instant) -> Bucket {
        Bucket {
            tokens: f64::from(self.rate.burst),
            at: now,
        }
    }

    fn refill(&self, b: Bucket, now: Instant) -> Bucket {
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        Bucket {
            tokens: (b.tokens + elapsed * self.rate.per_sec).min(f64::from(self.rate.burst)),
            at: now,
        }
    }

    /// Before a new key goes in at the cap: a refilled bucket is the same as no bucket, so
    /// those go first; if the table is still full, the least recently used eighth goes.
    fn make_room(&self, buckets: &mut HashMap<u128, Bucket>, now: Instant) {
        if buckets.len() < self.max_keys {
            return;
        }
        let burst = f64::from(self.rate.burst);
        buckets.retain(|_, b| self.refill(*b, now).tokens < burst);
        if buckets.len() < self.max_keys {
            return;
        }
        let mut ages: Vec<Instant> = buckets.values().map(|b| b.at).collect();
        let cut = (ages.len() / 8).max(1).min(ages.len() - 1);
        let (_, oldest_kept, _) = ages.select_nth_unstable(cut);
        let oldest_kept = *oldest_kept;
        buckets.retain(|_, b| b.at >= oldest_kept);
    }

    fn quota(&self, allowed: bool, tokens: f64) -> Quota {
        let per_sec = self.rate.per_sec.max(f64::MIN_POSITIVE);
        let missing = (f64::from(self.rate.burst) - tokens).max(0.0);
        Quota {
            allowed,
            limit: self.rate.burst,
            remaining: tokens.max(0.0).floor() as u32,
            reset_secs: (missing / per_sec).ceil() as u64,
            retry_after_secs: ((1.0 - tokens).max(0.0) / per_sec).ceil().max(1.0) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_empties_and_refills() {
        let t = Table::new(
            Rate {
                burst: 2,
                per_sec: 1.0,
            },
            10,
        );
        let now = Instant::now();
        assert_eq!(t.take(1, now).remaining, 1);
        assert!(t.take(1, now).allowed);
        let refused = t.take(1, now);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 1);
        assert_eq!(refused.reset_secs, 2);
        assert!(t.take(2, now).allowed, "another key has its own bucket");
        assert!(t.take(1, now + Duration::from_secs(1)).allowed);
    }

    #[test]
    fn the_table_stays_under_its_cap() {
        let t = Table::new(
            Rate {
                burst: 5,
                per_sec: 0.001,
            },
            100,
        );
        let now = Instant::now();
        for key in 0..10_000u128 {
            t.take(key, now + Duration::from_micros(key as u64));
        }
        assert!(t.len() <= 100, "{} keys", t.len());
        assert!(t.take(9_999, now + Duration::from_secs(1)).remaining < 4);
    }
}
