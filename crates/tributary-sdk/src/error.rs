//! The SDK's error type: one variant per answer an integration handles differently.

use std::collections::BTreeMap;
use std::time::Duration;

/// Everything a call can fail with. The answers an integration handles differently have a
/// variant each; any other error status is [`Error::Api`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 401: the credential is missing or wrong.
    #[error("unauthorized: {message}")]
    Unauthorized {
        /// The server's `message`.
        message: String,
    },
    /// 403: the credential is valid but may not do this.
    #[error("forbidden: {message}")]
    Forbidden {
        /// The server's `message`.
        message: String,
    },
    /// 404: the resource does not exist, or the caller may not see it.
    #[error("not found: {message}")]
    NotFound {
        /// The server's `message`.
        message: String,
    },
    /// 400 with field errors.
    #[error("validation error: {errors:?}")]
    Validation {
        /// The server's `message`.
        message: String,
        /// What is wrong with each field, by field name.
        errors: BTreeMap<String, Vec<String>>,
    },
    /// 410: the source behind a `flow_token` was removed, or the token was replaced by a
    /// rotation whose grace is over; stop posting with it.
    #[error("source gone: {reason}")]
    SourceGone {
        /// Why the token no longer works: `removed`, `flow_deleted`, `app_deleted`, `revoked`,
        /// or `rotated` (the source lives on with a new token).
        reason: String,
    },
    /// 429: slow down.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited {
        /// How long the server asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// The OAuth token endpoint refused (RFC 6749 §5.2): `invalid_grant`, `invalid_client`, ...
    #[error("OAuth error {error}: {}", description.as_deref().unwrap_or(""))]
    OAuth {
        /// The RFC 6749 error code.
        error: String,
        /// The server's `error_description`, when it sent one.
        description: Option<String>,
    },
    /// Any other error status.
    #[error("HTTP {status}: {message}")]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The server's `message`, or the body as text when it had none.
        message: String,
    },
    /// The request did not complete.
    #[error("transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// The answer was not what the API promises.
    #[error("unexpected response: {0}")]
    Decode(String),
}

impl Error {
    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::Validation { .. } => Some(400),
            Error::SourceGone { .. } => Some(410),
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. } => Some(*status),
            Error::Transport(_) | Error::Decode(_) | Error::OAuth { .. } => None,
        }
    }
}
