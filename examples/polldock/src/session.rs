//! Who is using Polldock: a name is enough to sign in (this is an example app), kept in a
//! session cookie. Pages that need a user send others to `/login` and back.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rand::RngCore;
use serde::Deserialize;

use crate::pages::{escape, page, PageError, PageResult};
use crate::App;

const COOKIE: &str = "polldock_session";

/// 128 random bits, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// The signed-in user, if any.
pub struct MaybeUser(pub Option<(i64, String)>);

impl FromRequestParts<App> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(match session_token(&parts.headers) {
            Some(t) => app.db.session_user(&t)?,
            None => None,
        }))
    }
}

/// The signed-in user; others are sent to sign in and brought back.
pub struct User {
    pub id: i64,
    pub name: String,
}

impl FromRequestParts<App> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, app)
            .await
            .map_err(IntoResponse::into_response)?;
        match user {
            Some((id, name)) => Ok(User { id, name }),
            None => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let q: String = url_encode(back);
                Err(Redirect::to(&format!("/login?return_to={q}")).into_response())
            }
        }
    }
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    return_to: Option<String>,
}

/// GET /login
pub async fn show_login(Query(q): Query<LoginQuery>) -> Response {
    let back = q.return_to.unwrap_or_else(|| "/".into());
    page(
        "Sign in",
        None,
        &format!(
            "<h1>Sign in to Polldock</h1><form method=\"post\" action=\"/login\">\
             <label>Your name <input name=\"name\" id=\"name\" required></label>\
             <input type=\"hidden\" name=\"return_to\" value=\"{}\">\
             <button type=\"submit\" id=\"sign-in\">Sign in</button></form>",
            escape(&back)
        ),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    #[serde(default)]
    return_to: Option<String>,
}

/// POST /login
pub async fn login(State(app): State<App>, Form(f): Form<LoginForm>) -> PageResult {
    let name = f.name.trim();
    if name.is_empty() {
        return Err(PageError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "A name is required",
        ));
    }
    let user = app.db.user_named(name)?;
    let token = random_token();
    app.db.create_session(&token, user)?;
    // Only paths on this site: the login form must not become an open redirect.
    let back = f
        .return_to
        .filter(|r| r.starts_with('/') && !r.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    if let Ok(v) = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax").parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}
