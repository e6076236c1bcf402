//! The admin page: site administrators publish and unpublish applications.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::developer::parse_id;
use super::error::WebError;
use super::{html, Nav};
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::error::ApiError;
use crate::input::Params;
use crate::state::AppState;
use crate::store::AppRecord;

#[derive(Template)]
#[template(path = "admin_apps.html")]
struct AdminPage {
    nav: Nav,
    csrf: String,
    apps: Vec<AppRecord>,
}

/// Site admins only; to anyone else the page does not exist.
async fn require_admin(state: &AppState, signed: &SignedIn) -> Result<(), WebError> {
    if state.store.user_is_admin(signed.user.id).await? {
        Ok(())
    } else {
        Err(WebError::Api(ApiError::NotFound("Not found".into())))
    }
}

/// GET /admin/applications
pub async fn list_all_applications(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    require_admin(&state, &signed).await?;
    html(AdminPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        apps: state.store.list_apps(false).await?,
    })
}

/// POST /admin/applications/:id/publish (`published=true|false`)
pub async fn publish_application(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    require_admin(&state, &signed).await?;
    let id = parse_id(&id)?;
    let published = params.get_str("published") != Some("false");
    crate::apps::manage::set_published(&state.store, id, published).await?;
    Ok(Redirect::to("/admin/applications").into_response())
}
