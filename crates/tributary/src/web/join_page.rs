//! The landing page of an invitation link (`/invite/<token>`) and of a flow's join link
//! (`/invitations/<token>-<flow>`): signed in, one button joins the flow; signed out, a
//! sign-up form (name, nick, email, password) creates the account, signs it in and joins.
//! Joining is a POST with the page's CSRF token, never the GET itself, so that no other site
//! can make a signed-in browser join a flow by linking to it.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::shell::flow_path;
use super::{html, Nav};
use crate::auth::session::{self, Browser, CSRF_FIELD};
use crate::error::ApiError;
use crate::input::Params;
use crate::invitations::accept::{self, Opened};
use crate::state::AppState;
use crate::users::CreateUser;

/// Which link was opened.
enum Link {
    Invitation(String),
    Join(String),
}

impl Link {
    /// The page's own path, where its forms post.
    fn path(&self) -> String {
        match self {
            Link::Invitation(token) => format!("/invite/{token}"),
            Link::Join(key) => format!("/invitations/{key}"),
        }
    }

    async fn open(&self, state: &AppState) -> Result<Opened, WebError> {
        Ok(match self {
            Link::Invitation(token) => accept::open_invitation(state, token).await?,
            Link::Join(key) => accept::open_join_link(state, key).await?,
        })
    }
}

#[derive(Template)]
#[template(path = "join.html")]
struct JoinPage {
    nav: Nav,
    csrf: String,
    action: String,
    flow_name: String,
    org_name: String,
    invited: bool,
    signed_in: bool,
    login: String,
    name: String,
    nick: String,
    email: String,
    errors: Vec<String>,
}

async fn render(
    state: &AppState,
    browser: &Browser,
    link: &Link,
    opened: &Opened,
    form: Option<(&Params, Vec<String>)>,
) -> Result<Response, WebError> {
    let user = browser.user(&state.store).await?;
    let nav = match &user {
        Some(u) => Nav::of(&state.store, u, browser).await?,
        None => Nav::anonymous(),
    };
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("return_to", &link.path());
    let field = |k: &str| {
        form.as_ref()
            .and_then(|(p, _)| p.get_str(k))
            .unwrap_or_default()
            .to_owned()
    };
    let invited_email = opened.invitation.as_ref().map(|i| i.email.clone());
    html(JoinPage {
        nav,
        csrf: browser.csrf_token(),
        action: link.path(),
        flow_name: opened.flow.name.clone(),
        org_name: opened.flow.org.name.clone(),
        invited: opened.invitation.is_some(),
        signed_in: user.is_some(),
        login: format!("/login?{}", q.finish()),
        name: field("name"),
        nick: field("nick"),
        email: match form {
            Some(_) => field("email"),
            None => invited_email.unwrap_or_default(),
        },
        errors: form.map(|(_, e)| e).unwrap_or_default(),
    })
}

async fn show(state: AppState, browser: Browser, link: Link) -> Result<Response, WebError> {
    let opened = link.open(&state).await?;
    render(&state, &browser, &link, &opened, None).await
}

/// Signed in: joins and opens the flow. Signed out: signs up first, from the form's fields.
async fn join(
    state: AppState,
    browser: Browser,
    link: Link,
    params: Params,
) -> Result<Response, WebError> {
    browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let opened = link.open(&state).await?;
    let target = flow_path(&opened.flow);
    if let Some(user) = browser.user(&state.store).await? {
        accept::accept(&state, &opened, &user).await?;
        return Ok(Redirect::to(&target).into_response());
    }
    let input = CreateUser {
        email: params.get_str("email").unwrap_or_default().to_owned(),
        name: params.get_str("name").unwrap_or_default().to_owned(),
        nick: params.get_str("nick").unwrap_or_default().to_owned(),
        password: params.get_str("password").map(str::to_owned),
    };
    match accept::sign_up(&state, &opened, input).await {
        Ok(user) => {
            let cookie = session::start(&state.store, user.id, browser.secure).await?;
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(response)
        }
        Err(e @ (ApiError::Validation(_) | ApiError::Conflict(_))) => {
            let errors = match &e {
                ApiError::Validation(fields) => fields
                    .iter()
                    .map(|(f, r)| format!("{} {}", label(f), r.join(", ")))
                    .collect(),
                _ => vec!["An account with this email already exists: log in instead.".into()],
            };
            let mut response =
                render(&state, &browser, &link, &opened, Some((&params, errors))).await?;
            *response.status_mut() = e.status();
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

fn label(field: &str) -> &str {
    match field {
        "name" => "Name",
        "nick" => "Nick",
        "email" => "Email",
        "password" => "Password",
        other => other,
    }
}

/// GET /invite/:token
pub async fn show_invitation_link(
    State(state): State<AppState>,
    browser: Browser,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    show(state, browser, Link::Invitation(token)).await
}

/// POST /invite/:token
pub async fn accept_invitation_link(
    State(state): State<AppState>,
    browser: Browser,
    Path(token): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    join(state, browser, Link::Invitation(token), params).await
}

/// GET /invitations/:key (a flow's `join_url`)
pub async fn show_join_link(
    State(state): State<AppState>,
    browser: Browser,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    show(state, browser, Link::Join(key)).await
}

/// POST /invitations/:key
pub async fn accept_join_link(
    State(state): State<AppState>,
    browser: Browser,
    Path(key): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    join(state, browser, Link::Join(key), params).await
}
