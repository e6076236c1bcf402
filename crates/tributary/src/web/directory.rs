//! The public directory of published applications (Flowdock's "Integrations" page).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::error::WebError;
use super::{html, Nav};
use crate::auth::session::Browser;
use crate::state::AppState;
use crate::store::AppRecord;

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    nav: Nav,
    apps: Vec<AppRecord>,
}

/// GET /integrations
pub async fn list_published(
    State(state): State<AppState>,
    browser: Browser,
) -> Result<Response, WebError> {
    let nav = match browser.user(&state.store).await? {
        Some(user) => Nav::of(&state.store, &user, &browser).await?,
        None => Nav::anonymous(),
    };
    html(DirectoryPage {
        nav,
        apps: state.store.list_apps(true).await?,
    })
}
