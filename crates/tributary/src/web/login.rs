//! Logging in and out with email and password.

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::{html, Nav};
use crate::auth::session::{self, Browser, CSRF_FIELD};
use crate::input::Params;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    csrf: String,
    return_to: String,
    email: String,
    error: Option<String>,
}

/// GET /login
pub async fn show_login(
    State(state): State<AppState>,
    browser: Browser,
    params: Params,
) -> Result<Response, WebError> {
    let return_to = safe_return_to(params.get_str("return_to"));
    if browser.user(&state.store).await?.is_some() {
        return Ok(Redirect::to(&return_to).into_response());
    }
    html(LoginPage {
        nav: Nav::anonymous(),
        csrf: browser.csrf_token(),
        return_to,
        email: String::new(),
        error: None,
    })
}

/// POST /login
pub async fn create_session(
    State(state): State<AppState>,
    browser: Browser,
    params: Params,
) -> Result<Response, WebError> {
    browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let return_to = safe_return_to(params.get_str("return_to"));
    let email = params
        .get_str("email")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let password = params.get_str("password").unwrap_or_default();
    match session::check_password(&state, &email, password).await? {
        Some(user) => {
            let cookie = session::start(&state.store, user.id, browser.secure).await?;
            let mut response = Redirect::to(&return_to).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        None => {
            let mut response = html(LoginPage {
                nav: Nav::anonymous(),
                csrf: browser.csrf_token(),
                return_to,
                email,
                error: Some("Wrong email or password.".into()),
            })?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

/// POST /logout
pub async fn delete_session(
    State(state): State<AppState>,
    browser: Browser,
    params: Params,
) -> Result<Response, WebError> {
    browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let cookie = session::end(&state.store, &browser).await?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Where a login may send the browser: only a path on this site, never `//host` or an
/// absolute URL, so the login page cannot be used as an open redirect.
pub fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(|c| c.is_control()) =>
        {
            p.to_owned()
        }
        _ => "/developer/applications".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_this_site() {
        assert_eq!(
            safe_return_to(Some("/oauth/authorize?x=1")),
            "/oauth/authorize?x=1"
        );
        assert_eq!(
            safe_return_to(Some("//evil.example")),
            "/developer/applications"
        );
        assert_eq!(
            safe_return_to(Some("https://evil.example")),
            "/developer/applications"
        );
        assert_eq!(
            safe_return_to(Some("/\\evil.example")),
            "/developer/applications"
        );
        assert_eq!(safe_return_to(None), "/developer/applications");
    }
}
