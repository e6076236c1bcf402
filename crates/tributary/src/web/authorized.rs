//! "Authorized applications": the OAuth grants a user has given, and revoking them.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::{html, Nav};
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::auth::Scopes;
use crate::error::ApiError;
use crate::input::Params;
use crate::state::AppState;

pub struct Grant {
    pub app_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub scopes: Vec<&'static str>,
    pub since: String,
    pub tokens: usize,
}

#[derive(Template)]
#[template(path = "authorized.html")]
struct AuthorizedPage {
    nav: Nav,
    csrf: String,
    grants: Vec<Grant>,
}

/// GET /account/authorized_applications
pub async fn list_authorizations(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    let tokens = state
        .store
        .live_oauth_tokens_of_user(signed.user.id)
        .await?;
    // One line per application: the union of what its live tokens may do.
    let mut by_app: BTreeMap<i64, (Scopes, i64, usize)> = BTreeMap::new();
    for t in &tokens {
        let e = by_app
            .entry(t.app_id)
            .or_insert((Scopes::from_bits(0), t.created_at, 0));
        e.0 = e.0 | Scopes::from_bits(t.scopes);
        e.1 = e.1.min(t.created_at);
        e.2 += 1;
    }
    let mut grants = Vec::with_capacity(by_app.len());
    for (app_id, (scopes, since, count)) in by_app {
        let Some(app) = state.store.app_by_id(app_id).await? else {
            continue;
        };
        grants.push(Grant {
            app_id,
            name: app.name,
            icon_url: app.icon_url,
            scopes: Scopes::NAMED
                .iter()
                .filter(|(s, _, _)| scopes.contains(*s))
                .map(|(_, _, words)| *words)
                .collect(),
            since: crate::sources::view::iso_millis(since)[..10].to_owned(),
            tokens: count,
        });
    }
    html(AuthorizedPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        grants,
    })
}

/// POST /account/authorized_applications/:app_id/revoke
pub async fn revoke_authorization(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(app_id): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let app_id: i64 = app_id
        .parse()
        .map_err(|_| WebError::Api(ApiError::NotFound("Application not found".into())))?;
    state
        .store
        .revoke_oauth_grant(signed.user.id, app_id)
        .await?;
    Ok(Redirect::to("/account/authorized_applications").into_response())
}
