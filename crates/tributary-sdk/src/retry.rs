//! Retrying requests that were answered 429 Too Many Requests, when the caller asks for it.
//!
//! Off by default: a caller that has not opted in sees [`crate::Error::RateLimited`] at
//! once, with the server's `Retry-After`. With a [`Retry`] policy the request is sent again
//! after `Retry-After` (or an exponential backoff when the server names no delay), capped at
//! `max_delay`, up to `max_retries` times.

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};

/// How requests answered 429 are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Retries after the first attempt; 0 never retries.
    pub max_retries: u32,
    /// The first backoff when the server sends no `Retry-After`; each retry doubles it.
    pub base_delay: Duration,
    /// No single wait is longer than this.
    pub max_delay: Duration,
}

impl Retry {
    /// Never retry: 429 becomes [`crate::Error::RateLimited`].
    pub const NONE: Retry = Retry {
        max_retries: 0,
        base_delay: Duration::from_millis(0),
        max_delay: Duration::from_millis(0),
    };

    /// Up to `max_retries` retries, backing off from half a second to at most a minute.
    pub fn backoff(max_retries: u32) -> Retry {
        Retry {
            max_retries,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }

    /// How long to wait before retry number `attempt` (0-based).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self
            .base_delay
            .checked_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
            .unwrap_or(self.max_delay);
        retry_after.unwrap_or(backoff).min(self.max_delay)
    }
}

impl Default for Retry {
    fn default() -> Retry {
        Retry::NONE
    }
}

/// The `Retry-After` of an answer, in seconds (the form rate limiters send).
pub(crate) fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Sends `request`, retrying 429 answers as `policy` says. A request whose body cannot be
/// cloned (a stream) is sent once.
pub(crate) async fn send(policy: &Retry, request: RequestBuilder) -> reqwest::Result<Response> {
    let mut attempt = 0;
    loop {
        let Some(this) = request.try_clone() else {
            return request.send().await;
        };
        let response = this.send().await?;
        if response.status() != StatusCode::TOO_MANY_REQUESTS || attempt >= policy.max_retries {
            return Ok(response);
        }
        let wait = policy.delay(attempt, retry_after(&response));
        drop(response);
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_and_honours_retry_after() {
        let p = Retry::backoff(5);
        assert_eq!(p.delay(0, None), Duration::from_millis(500));
        assert_eq!(p.delay(2, None), Duration::from_secs(2));
        assert_eq!(p.delay(30, None), Duration::from_secs(60));
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3600))),
            Duration::from_secs(60)
        );
    }
}
