//! OAuth errors in the RFC 6749 §5.2 shape: `{"error": "invalid_grant", "error_description"}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::error::ApiError;
use crate::error::Failure;
use crate::store::StoreError;

#[derive(Debug)]
pub struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Seconds for `Retry-After`, on `temporarily_unavailable`.
    pub retry_after: Option<u64>,
    /// The error behind a `server_error`, for the request log (trace.rs) to log once.
    pub cause: Option<Failure>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after: None,
            cause: None,
        }
    }

    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }

    /// 401: the client failed to authenticate (RFC 6749 §5.2).
    pub fn invalid_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }

    pub fn invalid_scope(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }

    /// The client is authenticated but may not use this grant (RFC 6749 §5.2).
    pub fn unauthorized_client(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unauthorized_client", d)
    }

    pub fn unsupported_grant_type(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }

    fn server_error(cause: impl std::error::Error + Send + Sync + 'static) -> OAuthError {
        OAuthError {
            cause: Some(Failure::new(cause)),
            ..OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Internal server error",
            )
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::server_error(e)
    }
}

/// Input errors (a bad body) become `invalid_request`; anything else is a server error.
impl From<ApiError> for OAuthError {
    fn from(e: ApiError) -> Self {
        match e {
            e @ ApiError::Internal(_) => OAuthError::server_error(e),
            ApiError::Unavailable {
                message,
                retry_after,
            } => OAuthError {
                retry_after: Some(retry_after),
                ..OAuthError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    message,
                )
            },
            // Too many password guesses (issue 18): the same 429 and `Retry-After` as the API.
            ApiError::TooManyRequests {
                message,
                retry_after,
            } => OAuthError {
                retry_after: Some(retry_after),
                ..OAuthError::new(StatusCode::TOO_MANY_REQUESTS, "slow_down", message)
            },
            other => OAuthError::new(other.status(), "invalid_request", other.to_string()),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Tributary OAuth\""),
            );
        }
        if let Some(cause) = self.cause {
            response.extensions_mut().insert(cause);
        }
        response
    }
}
