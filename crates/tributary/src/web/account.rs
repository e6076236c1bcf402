//! The account page: who you are, and your API token. Tokens are stored only as hashes, so
//! the page cannot show the current one; regenerating shows the new token once and the old
//! one stops working at once.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::WebError;
use super::views::Avatar;
use super::{html, Nav};
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::input::Params;
use crate::secrets;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    csrf: String,
    name: String,
    nick: String,
    email: String,
    avatar: Avatar,
    new_token: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    new_token: Option<String>,
) -> Result<Response, WebError> {
    let u = &signed.user;
    html(AccountPage {
        nav: Nav::of(&state.store, u, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        name: u.name.clone(),
        nick: u.nick.clone(),
        email: u.email.clone(),
        avatar: Avatar::of(&u.name, None),
        new_token,
    })
}

/// GET /account
pub async fn show_account(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    render(&state, &signed, None).await
}

/// POST /account/api_token
pub async fn regenerate_api_token(
    State(state): State<AppState>,
    signed: SignedIn,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let token = secrets::new_token(16);
    state
        .store
        .set_api_token_hash(signed.user.id, &secrets::hash_token(&token))
        .await?;
    render(&state, &signed, Some(token)).await
}
