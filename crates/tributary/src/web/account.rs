//! The account page: who you are and changing it, your organizations, and your API token.
//! Tokens are stored only as hashes, so the page cannot show the current one; regenerating
//! shows the new token once and the old one stops working at once.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::manage::{refused, ManageForm};
use super::views::Avatar;
use super::{html, Nav};
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::input::Params;
use crate::secrets;
use crate::state::AppState;
use crate::users::profile::{update_profile, ProfileInput};

/// One of the user's organizations, linking to its page.
pub struct OrgLink {
    pub name: String,
    pub path: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    csrf: String,
    name: String,
    nick: String,
    email: String,
    website: String,
    avatar: Avatar,
    orgs: Vec<OrgLink>,
    new_token: Option<String>,
    saved: bool,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    new_token: Option<String>,
    saved: bool,
    error: Option<String>,
) -> Result<Response, WebError> {
    let u = &signed.user;
    let orgs = state
        .store
        .orgs_of_user(u.id)
        .await?
        .into_iter()
        .map(|o| OrgLink {
            path: format!("/manage/{}", o.parameterized_name),
            name: o.name,
        })
        .collect();
    html(AccountPage {
        nav: Nav::of(&state.store, u, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        name: u.name.clone(),
        nick: u.nick.clone(),
        email: u.email.clone(),
        website: u.website.clone().unwrap_or_default(),
        avatar: Avatar::of(&u.name, None),
        orgs,
        new_token,
        saved,
        error,
    })
}

/// GET /account
pub async fn show_account(
    State(state): State<AppState>,
    signed: SignedIn,
    params: Params,
) -> Result<Response, WebError> {
    let saved = params.get_str("saved").is_some();
    render(&state, &signed, None, saved, None).await
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
    render(&state, &signed, Some(token), false, None).await
}

/// POST /account/profile: the same change as `PUT /user`; a refused one shows why.
pub async fn update_account_profile(
    State(state): State<AppState>,
    ManageForm(signed, params, principal): ManageForm,
) -> Result<Response, WebError> {
    let field = |k: &str| params.get_str(k).map(str::to_owned);
    let input = ProfileInput {
        name: field("name"),
        nick: field("nick"),
        email: field("email"),
        avatar: None,
        website: field("website"),
    };
    match update_profile(&state.store, &principal, input).await {
        Ok(_) => Ok(Redirect::to("/account?saved=1").into_response()),
        Err(e) => refused(e, |m| render(&state, &signed, None, false, Some(m))).await,
    }
}
