//! The HTTP client: base URL, credentials, and the JSON round trip with typed errors.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tributary_types::ErrorBody;

use crate::error::Error;
use crate::resources::{Flows, Organizations, Users};
use crate::retry::{self, Retry};

/// How requests authenticate.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// No credentials: only public endpoints answer.
    None,
    /// A personal API token, sent as the Basic username.
    ApiToken(String),
    /// Email and password, sent as Basic auth.
    Password {
        /// The user's email address.
        email: String,
        /// The user's password.
        password: String,
    },
    /// An OAuth 2.0 access token.
    Bearer(String),
}

/// The REST API as one user sees it: a base URL and credentials. Cheap to clone (the
/// connection pool is shared); each resource is reached through a method such as
/// [`Client::flows`].
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    credentials: Credentials,
    retry: Retry,
}

impl Client {
    /// A client for the server at `base_url` (for example `http://127.0.0.1:8080`).
    pub fn new(base_url: impl Into<String>) -> Client {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Client {
            http,
            base: base_url.into().trim_end_matches('/').to_owned(),
            credentials: Credentials::None,
            retry: Retry::NONE,
        }
    }

    /// Retries requests answered 429 as `policy` says (by default they are not retried).
    pub fn with_retry(self, policy: Retry) -> Client {
        Client {
            retry: policy,
            ..self
        }
    }

    /// Authenticates with a personal API token (sent as the Basic username).
    pub fn with_api_token(self, token: impl Into<String>) -> Client {
        Client {
            credentials: Credentials::ApiToken(token.into()),
            ..self
        }
    }

    /// Authenticates with an email address and password (Basic auth).
    pub fn with_password(self, email: impl Into<String>, password: impl Into<String>) -> Client {
        Client {
            credentials: Credentials::Password {
                email: email.into(),
                password: password.into(),
            },
            ..self
        }
    }

    /// Authenticates with an OAuth 2.0 access token (`Authorization: Bearer`).
    pub fn with_bearer(self, token: impl Into<String>) -> Client {
        Client {
            credentials: Credentials::Bearer(token.into()),
            ..self
        }
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Flows: list, find, create, update, and their users.
    pub fn flows(&self) -> Flows<'_> {
        Flows { client: self }
    }

    /// Organizations the user belongs to, and their users.
    pub fn organizations(&self) -> Organizations<'_> {
        Organizations { client: self }
    }

    /// Users: the caller, the users the caller can see, and one user by id.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }

    /// OAuth applications the user has registered.
    pub fn applications(&self) -> crate::Applications<'_> {
        crate::Applications { client: self }
    }

    /// Sources (integrations): those the caller can see, and those of a flow.
    pub fn sources(&self) -> crate::Sources<'_> {
        crate::Sources { client: self }
    }

    /// A flow's messages as a user: list (with filters and search), get, post, comment,
    /// edit and delete.
    pub fn messages(&self) -> crate::Messages<'_> {
        crate::Messages { client: self }
    }

    /// A flow's threads and the messages in each.
    pub fn threads(&self) -> crate::Threads<'_> {
        crate::Threads { client: self }
    }

    /// File uploads and downloads in a flow.
    pub fn files(&self) -> crate::Files<'_> {
        crate::Files { client: self }
    }

    /// A request to `path` (relative to the base URL) with the client's credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_url(method, &format!("{}{}", self.base, path))
    }

    /// A request to an absolute `url` the API handed out (a `links` href, say), with the
    /// client's credentials.
    pub fn request_url(&self, method: Method, url: &str) -> RequestBuilder {
        let req = self.http.request(method, url);
        match &self.credentials {
            Credentials::None => req,
            Credentials::ApiToken(t) => req.basic_auth(t, Some("")),
            Credentials::Password { email, password } => req.basic_auth(email, Some(password)),
            Credentials::Bearer(t) => req.bearer_auth(t),
        }
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        decode(retry::send(&self.retry, self.request(Method::GET, path)).await?).await
    }

    /// Sends `body` as JSON with `req`'s method and URL, retrying 429 as configured.
    pub(crate) async fn send_json_to<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        req: RequestBuilder,
        body: &B,
    ) -> Result<T, Error> {
        decode(retry::send(&self.retry, req.json(body)).await?).await
    }

    pub(crate) async fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, Error> {
        decode(retry::send(&self.retry, self.request(method, path).json(body)).await?).await
    }
}

/// Turns an answer into `T`, or into the typed error its status and body describe.
pub(crate) async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, Error> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let bytes = response.bytes().await?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()));
    }
    let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or(ErrorBody {
        message: String::from_utf8_lossy(&bytes).into_owned(),
        errors: Default::default(),
        reason: None,
    });
    Err(match status {
        StatusCode::UNAUTHORIZED => Error::Unauthorized {
            message: body.message,
        },
        StatusCode::FORBIDDEN => Error::Forbidden {
            message: body.message,
        },
        StatusCode::NOT_FOUND => Error::NotFound {
            message: body.message,
        },
        StatusCode::BAD_REQUEST if !body.errors.is_empty() => Error::Validation {
            message: body.message,
            errors: body.errors,
        },
        StatusCode::GONE => Error::SourceGone {
            reason: body.reason.unwrap_or_else(|| "removed".into()),
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited { retry_after },
        _ => Error::Api {
            status: status.as_u16(),
            message: body.message,
        },
    })
}
