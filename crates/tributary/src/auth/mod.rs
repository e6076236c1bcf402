//! Credentials to a principal.
//!
//! A request proves who it is with one [`Credential`]; [`authenticate`] resolves it to a
//! [`Principal`] with the scopes that credential grants. Handlers take `Principal` as an
//! extractor. OAuth bearer tokens and `flow_token`s resolve through the same function, so new
//! credential kinds need no change in handlers. A request with no credential at all may
//! also be a signed-in page's event stream (see `session::stream_principal`).

use std::sync::{Arc, OnceLock};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use crate::error::ApiError;
use crate::secrets;
use crate::state::{AppState, Grant};
use crate::store::UserRecord;

mod access_token;
pub mod flow_token;
pub mod poster;
mod scopes;
pub mod session;

pub use scopes::Scopes;

/// What a request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Basic auth with the API token as the username; the password is ignored.
    ApiToken(String),
    /// Basic auth with an email address and a password.
    Password { email: String, password: String },
    /// `Authorization: Bearer` or `?access_token=`.
    Bearer(String),
}

/// An authenticated user and what it may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRecord,
    pub scopes: Scopes,
    /// How the user proved itself, so that an open stream can be re-checked later.
    pub grant: Grant,
}

impl Principal {
    /// 403 unless the credential carries at least one of `scopes`; `names` lists them for
    /// the message.
    pub fn require_any(&self, scopes: Scopes, names: &str) -> Result<(), ApiError> {
        if self.scopes.intersects(scopes) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "This request needs one of the OAuth scopes {names}"
            )))
        }
    }

    /// 403 unless the credential carries `scope`.
    pub fn require(&self, scope: Scopes, name: &str) -> Result<(), ApiError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "This request needs the OAuth scope `{name}`"
            )))
        }
    }
}

/// Reads the credential from the headers or the `access_token` query parameter.
pub fn credential(headers: &HeaderMap, query: Option<&str>) -> Option<Credential> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (user, password) = decoded.split_once(':').unwrap_or((&decoded, ""));
            // API tokens are hex, so an `@` can only mean an email address.
            return Some(if user.contains('@') {
                Credential::Password {
                    email: user.to_owned(),
                    password: password.to_owned(),
                }
            } else {
                Credential::ApiToken(user.to_owned())
            });
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(Credential::Bearer(rest.trim().to_owned()));
        }
    }
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| Credential::Bearer(v.into_owned()))
}

/// Resolves a credential to a principal, or 401.
pub async fn authenticate(
    state: &AppState,
    credential: Option<Credential>,
) -> Result<Principal, ApiError> {
    authenticate_with_app(state, credential)
        .await
        .map(|(principal, _)| principal)
}

/// Like [`authenticate`], and also names the OAuth application an access token was issued
/// to (`None` for API tokens and passwords). Creating a source needs it.
pub async fn authenticate_with_app(
    state: &AppState,
    credential: Option<Credential>,
) -> Result<(Principal, Option<i64>), ApiError> {
    let invalid = || ApiError::Unauthorized("Invalid credentials".into());
    let mut scopes = Scopes::ALL;
    let mut app_id = None;
    let grant;
    let user = match credential {
        None => return Err(ApiError::Unauthorized("Authentication required".into())),
        Some(Credential::ApiToken(token)) => {
            let hash = secrets::hash_token(&token);
            let user = state.store.user_by_api_token_hash(&hash).await?;
            grant = Grant::ApiToken(hash);
            user.ok_or_else(invalid)?
        }
        Some(Credential::Password { email, password }) => {
            let user = session::verify_password(state, &email, &password)
                .await?
                .ok_or_else(invalid)?;
            grant = Grant::Password(user.password_hash.clone().unwrap_or_default());
            user
        }
        Some(Credential::Bearer(token)) => {
            let (user, record) = access_token::access_token_user(&state.store, &token).await?;
            grant = Grant::AccessToken(secrets::hash_token(&token));
            scopes = Scopes::from_bits(record.scopes);
            app_id = Some(record.app_id);
            user
        }
    };
    if user.disabled {
        return Err(ApiError::Unauthorized("This account is disabled".into()));
    }
    Ok((
        Principal {
            user,
            scopes,
            grant,
        },
        app_id,
    ))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = credential(&parts.headers, parts.uri.query());
        let principal = match credential {
            None => match session::stream_principal(parts, state).await? {
                Some(p) => p,
                None => authenticate(state, None).await?,
            },
            some => authenticate(state, some).await?,
        };
        CallerSlot::fill(parts, principal.user.id);
        Ok(principal)
    }
}

/// Where the auth extractor leaves the caller's id for [`flowdock_user_header`].
#[derive(Clone, Default)]
pub struct CallerSlot(Arc<OnceLock<i64>>);

impl CallerSlot {
    /// Records the caller for handlers that authenticate without the `Principal` extractor
    /// (those that accept a `flow_token` in the body as well).
    pub fn record(&self, user_id: i64) {
        let _ = self.0.set(user_id);
    }

    /// Records the caller in the request's slot, when the middleware gave it one.
    fn fill(parts: &Parts, user_id: i64) {
        if let Some(slot) = parts.extensions.get::<CallerSlot>() {
            slot.record(user_id);
        }
    }
}

/// Adds `Flowdock-User: <id>` to every response whose request authenticated, errors included.
pub async fn flowdock_user_header(mut req: Request<axum::body::Body>, next: Next) -> Response {
    let slot = CallerSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut response = next.run(req).await;
    if let Some(id) = slot.0.get() {
        response
            .headers_mut()
            .insert("flowdock-user", HeaderValue::from(*id));
    }
    response
}

/// A [`Principal`] and the OAuth application its access token belongs to, for the few
/// handlers that act on behalf of an application.
#[derive(Debug, Clone)]
pub struct AppPrincipal {
    pub principal: Principal,
    pub app_id: Option<i64>,
}

impl FromRequestParts<AppState> for AppPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let credential = credential(&parts.headers, parts.uri.query());
        let (principal, app_id) = authenticate_with_app(state, credential).await?;
        CallerSlot::fill(parts, principal.user.id);
        Ok(AppPrincipal { principal, app_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        );
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        h
    }

    #[test]
    fn reads_every_credential_form() {
        assert_eq!(
            credential(&basic("abc:undefined"), None),
            Some(Credential::ApiToken("abc".into()))
        );
        assert_eq!(
            credential(&basic("abc:"), None),
            Some(Credential::ApiToken("abc".into()))
        );
        assert_eq!(
            credential(&basic("abc"), None),
            Some(Credential::ApiToken("abc".into()))
        );
        assert_eq!(
            credential(&basic("a@b.c:pw:with:colons"), None),
            Some(Credential::Password {
                email: "a@b.c".into(),
                password: "pw:with:colons".into()
            })
        );
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer tok".parse().unwrap());
        assert_eq!(credential(&h, None), Some(Credential::Bearer("tok".into())));
        assert_eq!(
            credential(&HeaderMap::new(), Some("x=1&access_token=q%2B")),
            Some(Credential::Bearer("q+".into()))
        );
        assert_eq!(credential(&HeaderMap::new(), Some("x=1")), None);
    }
}
