//! Browser sessions and CSRF protection: the credential of the web pages (and of a page's
//! event stream and action buttons).
//!
//! The session cookie holds a random token; only its SHA-256 is stored. Every browser also
//! gets a random CSRF seed cookie on its first page. A form's CSRF token is the SHA-256 of
//! the seed and the session token together ("signed double submit"): a cross-site page can
//! neither read the cookies nor, without the session token, compute the token, even if it
//! manages to plant a seed cookie. Both cookies are HttpOnly and SameSite=Lax, and Secure
//! when the public URL is https.
//!
//! The extractors here turn a browser away with a [`PageRefusal`]; the web pages render it
//! (as HTML, in `web::error`), so this module needs nothing from them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{authenticate, credential, Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::state::{AppState, Grant};
use crate::store::{now_millis, DynStore, UserRecord};

pub const SESSION_COOKIE: &str = "tributary_session";
pub const CSRF_COOKIE: &str = "tributary_csrf";
/// Sessions last two weeks; logging out ends one at once.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// Why a page turned the browser away.
#[derive(Debug)]
pub enum PageRefusal {
    /// Not signed in: log in, then come back to `return_to`.
    SignIn { return_to: String },
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The session could not be read.
    Failed(ApiError),
}

impl From<ApiError> for PageRefusal {
    fn from(e: ApiError) -> Self {
        PageRefusal::Failed(e)
    }
}

impl PageRefusal {
    /// Log in, then come back to the page that was asked for.
    fn sign_in(parts: &Parts) -> PageRefusal {
        PageRefusal::SignIn {
            return_to: parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        }
    }
}

/// A CSRF seed minted by the page middleware for a browser that had none; the extractor
/// reads it so that the very first page already carries a valid token.
#[derive(Clone, Debug)]
pub struct FreshSeed(pub String);

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value. `max_age` of 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// What the browser's cookies say.
#[derive(Clone, Debug)]
pub struct Browser {
    seed: String,
    pub session: Option<String>,
    pub secure: bool,
}

impl Browser {
    /// The token every form of this browser must send back.
    pub fn csrf_token(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"tributary-csrf\0");
        h.update(self.seed.as_bytes());
        h.update(b"\0");
        h.update(self.session.as_deref().unwrap_or_default().as_bytes());
        hex::encode(h.finalize())
    }

    /// 403 unless `given` is this browser's token.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), PageRefusal> {
        let expected = self.csrf_token();
        match given {
            Some(g) if bool::from(g.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
            _ => Err(PageRefusal::Csrf),
        }
    }

    /// The signed-in user, when the session cookie names a live session.
    pub async fn user(&self, store: &DynStore) -> ApiResult<Option<UserRecord>> {
        let Some(token) = &self.session else {
            return Ok(None);
        };
        Ok(store
            .web_session_user(&secrets::hash_token(token))
            .await?
            .filter(|u| !u.disabled))
    }

    /// The signed-in user as a principal with every scope: a session is the user's own
    /// browser. Its grant is the session, so logging out ends the streams it opened.
    pub async fn principal(&self, store: &DynStore) -> ApiResult<Option<Principal>> {
        let (Some(token), Some(user)) = (&self.session, self.user(store).await?) else {
            return Ok(None);
        };
        Ok(Some(Principal {
            user,
            scopes: Scopes::ALL,
            grant: Grant::session(token),
        }))
    }
}

impl FromRequestParts<AppState> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let seed = cookie(&parts.headers, CSRF_COOKIE)
            .or_else(|| parts.extensions.get::<FreshSeed>().map(|s| s.0.clone()))
            .unwrap_or_default();
        Ok(Browser {
            seed,
            session: cookie(&parts.headers, SESSION_COOKIE),
            secure: state.urls.base().starts_with("https://"),
        })
    }
}

/// A page's signed-in user; anyone else is sent to the login page and brought back after.
pub struct SignedIn {
    pub user: UserRecord,
    pub browser: Browser,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageRefusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Ok(browser) = Browser::from_request_parts(parts, state).await;
        match browser.user(&state.store).await? {
            Some(user) => Ok(SignedIn { user, browser }),
            None => Err(PageRefusal::sign_in(parts)),
        }
    }
}

/// The user behind a browser redirect such as "Configure" or "Add integration": the session
/// cookie when there is one, else an API credential. A browser with neither is sent to log in.
pub struct PageOrApiUser(pub UserRecord);

impl FromRequestParts<AppState> for PageOrApiUser {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        let Ok(browser) = Browser::from_request_parts(parts, state).await;
        let found = browser
            .user(&state.store)
            .await
            .map_err(IntoResponse::into_response)?;
        if let Some(user) = found {
            return Ok(PageOrApiUser(user));
        }
        match credential(&parts.headers, parts.uri.query()) {
            None => Err(PageRefusal::sign_in(parts).into_response()),
            Some(c) => {
                let principal = authenticate(state, Some(c))
                    .await
                    .map_err(IntoResponse::into_response)?;
                principal
                    .require_any(
                        Scopes::FLOW | Scopes::INTEGRATION,
                        "`flow` or `integration`",
                    )
                    .map_err(IntoResponse::into_response)?;
                Ok(PageOrApiUser(principal.user))
            }
        }
    }
}

/// Whether a request may be authenticated by the browser's session cookie: only a page's
/// `EventSource` (a `GET` that accepts `text/event-stream`), so the pages can follow
/// `/stream/flows/:org/:flow` while the REST API keeps requiring an API credential. It is
/// read-only, so the cookie never changes anything without a CSRF token; when the browser
/// says where the request came from (`Sec-Fetch-Site`), it must be this site's own page; and
/// the cookie is SameSite=Lax and no response carries CORS headers, so other sites can
/// neither send it along nor read the answer.
fn may_read_stream(parts: &Parts) -> bool {
    let event_stream = parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let same_site = match parts.headers.get("sec-fetch-site") {
        None => true,
        Some(v) => v.as_bytes() == b"same-origin",
    };
    parts.method == axum::http::Method::GET && event_stream && same_site
}

/// The signed-in browser's user, for requests that carry no API credential at all: only a
/// page's event stream (see [`may_read_stream`]).
pub(super) async fn stream_principal(
    parts: &mut Parts,
    state: &AppState,
) -> ApiResult<Option<Principal>> {
    if !may_read_stream(parts) {
        return Ok(None);
    }
    let Ok(browser) = Browser::from_request_parts(parts, state).await;
    browser.principal(&state.store).await
}

/// Starts a session for `user_id` and returns its `Set-Cookie`.
pub async fn start(store: &DynStore, user_id: i64, secure: bool) -> ApiResult<HeaderValue> {
    let token = secrets::new_token(32);
    store
        .create_web_session(
            &secrets::hash_token(&token),
            user_id,
            now_millis() + SESSION_TTL_MS,
        )
        .await?;
    Ok(set_cookie(
        SESSION_COOKIE,
        &token,
        SESSION_TTL_MS / 1000,
        secure,
    ))
}

/// Ends the browser's session and returns the `Set-Cookie` that forgets it.
pub async fn end(store: &DynStore, browser: &Browser) -> ApiResult<HeaderValue> {
    if let Some(token) = &browser.session {
        store
            .delete_web_session(&secrets::hash_token(token))
            .await?;
    }
    Ok(set_cookie(SESSION_COOKIE, "", 0, browser.secure))
}

/// Checks an email and password the way every login does ([`crate::state::Passwords`]):
/// a disabled account signs in with nothing.
pub async fn check_password(
    state: &AppState,
    email: &str,
    password: &str,
) -> ApiResult<Option<UserRecord>> {
    let user = verify_password(state, email, password).await?;
    Ok(user.filter(|u| !u.disabled))
}

/// The account whose password `password` is, disabled or not, within the limits on failed
/// checks per account and per address (issue 18): 429 once either is spent.
pub async fn verify_password(
    state: &AppState,
    email: &str,
    password: &str,
) -> ApiResult<Option<UserRecord>> {
    state.limits.before_password(email)?;
    let user = state.store.user_by_email(email).await?;
    let user = state.passwords.check(user, password).await?;
    if user.is_none() {
        state.limits.password_failed(email);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_bind_seed_and_session() {
        let b = |seed: &str, session: Option<&str>| Browser {
            seed: seed.into(),
            session: session.map(str::to_owned),
            secure: false,
        };
        let anon = b("s1", None);
        assert!(anon.check_csrf(Some(&anon.csrf_token())).is_ok());
        assert!(anon.check_csrf(None).is_err());
        assert_ne!(anon.csrf_token(), b("s1", Some("x")).csrf_token());
        assert_ne!(anon.csrf_token(), b("s2", None).csrf_token());
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; tributary_csrf=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, SESSION_COOKIE), None);
    }
}
