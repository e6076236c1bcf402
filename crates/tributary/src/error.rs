//! The API's one error type. Every failure a client can see becomes an [`ApiError`], and every
//! `ApiError` answers with JSON of the shape `{"message": ..., "errors": {...}}`.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tributary_types::ErrorBody;

use crate::store::{BoxError, StoreError};

pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Validation error")]
    Validation(FieldErrors),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Gone { message: String, reason: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422: understood but refused, e.g. an idempotency key reused with another request.
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 503: too busy right now; the client may retry after `retry_after` seconds.
    #[error("{message}")]
    Unavailable { message: String, retry_after: u64 },
    /// 429: over a rate limit (issue 18); `retry_after` seconds until the next token.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// The cause is logged (with its own causes, through `source()`), never sent: it may
    /// hold SQL or paths. Build one from a message with [`ApiError::internal`].
    #[error("Internal server error")]
    Internal(#[source] BoxError),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A 500 whose cause is `detail`: a message, or any error (whose causes it keeps).
    pub fn internal(detail: impl Into<BoxError>) -> ApiError {
        ApiError::Internal(detail.into())
    }

    /// A validation error on one field.
    pub fn field(field: &str, reason: impl Into<String>) -> ApiError {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![reason.into()]);
        ApiError::Validation(errors)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            message: self.to_string(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => BTreeMap::new(),
            },
            reason: match self {
                ApiError::Gone { reason, .. } => Some(reason.clone()),
                _ => None,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} is already taken")),
            StoreError::NotFound(what) => {
                ApiError::NotFound(format!("{} not found", capitalise(what)))
            }
            StoreError::Forbidden(why) => ApiError::Forbidden(why.to_owned()),
            // The store's error stays in the chain: `database error: <the driver's error>`.
            e @ StoreError::Backend(_) => ApiError::Internal(Box::new(e)),
        }
    }
}

/// An error and its causes, outermost first, joined with `: ` (`database error: disk I/O
/// error`). For the operator's eyes (logs, the CLI), never a client's.
pub fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = match &self {
            // Issue 18 names the 429's body with its `errors` present, if empty.
            ApiError::TooManyRequests { message, .. } => (
                self.status(),
                Json(serde_json::json!({"message": message, "errors": {}})),
            )
                .into_response(),
            _ => (self.status(), Json(self.body())).into_response(),
        };
        match &self {
            ApiError::Unauthorized(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Flowdock\""),
                );
            }
            ApiError::Unavailable { retry_after, .. }
            | ApiError::TooManyRequests { retry_after, .. } => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        // Logged once, with its cause chain, by the request log (trace.rs); never sent.
        Failure::attach(&mut response, self);
        response
    }
}

/// Adds `reason` to the errors of `field`, after any it already has: clients read them in
/// the order the checks found them.
pub fn err(errors: &mut FieldErrors, field: &str, reason: impl Into<String>) {
    errors
        .entry(field.to_owned())
        .or_default()
        .push(reason.into());
}

/// Whether `s` is at most `max` characters long; when not, says so under `field`.
pub fn limited(errors: &mut FieldErrors, field: &str, s: &str, max: usize) -> bool {
    let n = s.chars().count();
    if n > max {
        err(
            errors,
            field,
            format!("is too long ({n} characters, the limit is {max})"),
        );
        false
    } else {
        true
    }
}

/// The error behind a 5xx answer. Whoever builds the answer attaches it
/// ([`Failure::attach`]); the request log writes it with its cause chain.
#[derive(Clone)]
pub struct Failure(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Failure {
    /// Puts `error` in the response's extensions when the response is a 5xx (other answers
    /// are not logged, so they do not pay for the allocation).
    pub fn attach<B>(
        response: &mut axum::http::Response<B>,
        error: impl std::error::Error + Send + Sync + 'static,
    ) {
        if response.status().is_server_error() {
            response.extensions_mut().insert(Failure::new(error));
        }
    }

    /// For an error type that decides on 5xx before it builds its answer: it inserts the
    /// `Failure` into its response's extensions itself.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure(std::sync::Arc::new(error))
    }
}

impl Failure {
    /// The error and its causes, for the request log.
    pub fn chain(&self) -> String {
        cause_chain(&*self.0)
    }
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Failure({})", self.chain())
    }
}
