//! Rate limits (issue 18): token buckets in this node's memory, per credential, per client IP
//! for requests without one, for `/oauth/token`, and, stricter, for failed password checks per
//! account and per IP. On PostgreSQL each node keeps its own buckets, so a client spread
//! over `n` nodes gets up to `n` times the limit; that is accepted (documented).
//!
//! The middleware that applies the first three is the `limits` module's; the password buckets
//! are charged where every password is checked (`auth::session::verify_password`), which reads
//! the client's address from [`client_ip`].

mod bucket;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

pub use bucket::{Quota, Rate, Table};

use crate::error::{ApiError, ApiResult};

/// Requests a second a credential may make, sustained.
pub const DEFAULT_PER_SECOND: f64 = 50.0;
/// The burst a credential (or an address without one) may make at once.
pub const DEFAULT_BURST: u32 = 500;
/// Requests a second from one address without a credential, sustained.
pub const DEFAULT_IP_PER_SECOND: f64 = 20.0;
/// `POST /oauth/token` a minute from one address.
pub const DEFAULT_OAUTH_TOKEN_PER_MINUTE: u32 = 60;
/// Failed password checks a minute for one account.
pub const DEFAULT_PASSWORD_PER_MINUTE: u32 = 10;
/// Failed password checks a minute from one address.
pub const DEFAULT_PASSWORD_IP_PER_MINUTE: u32 = 30;
/// Keys one table tracks at most.
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// The limits, as the configuration gives them.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitSettings {
    /// `false` turns every limit off (`--rate-limits false`).
    pub enabled: bool,
    pub per_credential: Rate,
    pub per_ip: Rate,
    pub oauth_token: Rate,
    pub password_account: Rate,
    pub password_ip: Rate,
    pub max_keys: usize,
}

impl Default for LimitSettings {
    fn default() -> LimitSettings {
        LimitSettings {
            enabled: true,
            per_credential: Rate {
                burst: DEFAULT_BURST,
                per_sec: DEFAULT_PER_SECOND,
            },
            per_ip: Rate {
                burst: DEFAULT_BURST,
                per_sec: DEFAULT_IP_PER_SECOND,
            },
            oauth_token: Rate::per_minute(DEFAULT_OAUTH_TOKEN_PER_MINUTE),
            password_account: Rate::per_minute(DEFAULT_PASSWORD_PER_MINUTE),
            password_ip: Rate::per_minute(DEFAULT_PASSWORD_IP_PER_MINUTE),
            max_keys: DEFAULT_MAX_KEYS,
        }
    }
}

/// Every bucket table of a server.
#[derive(Clone)]
pub struct RateLimits(Arc<Inner>);

struct Inner {
    enabled: bool,
    credential: Table,
    ip: Table,
    oauth_token: Table,
    password_account: Table,
    password_ip: Table,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits::new(&LimitSettings::default())
    }
}

impl RateLimits {
    pub fn new(s: &LimitSettings) -> RateLimits {
        let table = |rate| Table::new(rate, s.max_keys);
        RateLimits(Arc::new(Inner {
            enabled: s.enabled,
            credential: table(s.per_credential),
            ip: table(s.per_ip),
            oauth_token: table(s.oauth_token),
            password_account: table(s.password_account),
            password_ip: table(s.password_ip),
        }))
    }

    pub fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Requests that present a credential, by its hash.
    pub fn credential(&self) -> &Table {
        &self.0.credential
    }

    /// Requests without a credential, by address.
    pub fn ip(&self) -> &Table {
        &self.0.ip
    }

    /// `POST /oauth/token`, by address.
    pub fn oauth_token(&self) -> &Table {
        &self.0.oauth_token
    }

    /// 429 when `email`'s account or the client's address has failed too many password
    /// checks lately; checked before the password is, so a throttled guess costs no argon2.
    pub fn before_password(&self, email: &str) -> ApiResult<()> {
        if !self.0.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let account = self.0.password_account.peek(account_key(email), now);
        let ip = client_ip().map(|ip| self.0.password_ip.peek(ip_key(ip), now));
        for quota in std::iter::once(account).chain(ip) {
            if !quota.allowed {
                return Err(too_many(quota.retry_after_secs, "password attempts"));
            }
        }
        Ok(())
    }

    /// Counts a failed password check against the account and the client's address. Only
    /// failures count, so an integration signing in with a password on every request is
    /// held to the credential's limit, not to this one.
    pub fn password_failed(&self, email: &str) {
        if !self.0.enabled {
            return;
        }
        let now = Instant::now();
        self.0.password_account.take(account_key(email), now);
        if let Some(ip) = client_ip() {
            self.0.password_ip.take(ip_key(ip), now);
        }
    }
}

/// The 429 of a limit: `Retry-After` says when a token is back.
pub fn too_many(retry_after: u64, what: &str) -> ApiError {
    ApiError::TooManyRequests {
        message: format!("Too many {what}; try again in {retry_after} seconds"),
        retry_after,
    }
}

/// A table key for `value` of `kind`: a hash, so no table holds a secret.
pub fn key(kind: &str, value: &str) -> u128 {
    let digest = Sha256::new()
        .chain_update(kind.as_bytes())
        .chain_update([0u8])
        .chain_update(value.as_bytes())
        .finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

pub fn ip_key(ip: IpAddr) -> u128 {
    key("ip", &ip.to_string())
}

fn account_key(email: &str) -> u128 {
    key("account", &email.trim().to_lowercase())
}

tokio::task_local! {
    /// The address of the client whose request this task serves, set by the limits
    /// middleware so that password checks deep in `auth` can key on it without every caller
    /// passing it down.
    static CLIENT_IP: IpAddr;
}

/// Runs `f` as serving a request from `ip`.
pub async fn with_client_ip<F: std::future::Future>(ip: Option<IpAddr>, f: F) -> F::Output {
    match ip {
        Some(ip) => CLIENT_IP.scope(ip, f).await,
        None => f.await,
    }
}

/// The address of the client being served, when the middleware knows it.
pub fn client_ip() -> Option<IpAddr> {
    CLIENT_IP.try_with(|ip| *ip).ok()
}
