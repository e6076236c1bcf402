//! The OAuth consent page: `GET /oauth/authorize` shows what the application asks for,
//! `POST /oauth/authorize` records the user's decision and sends the browser back to the
//! application. The protocol rules live in `oauth::authorize`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::{page, WebError};
use super::{html, Nav};
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::auth::Scopes;
use crate::input::Params;
use crate::oauth::authorize::{self, AuthRequest, AuthorizeParams, Refusal};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    nav: Nav,
    csrf: String,
    app_name: String,
    icon_url: Option<String>,
    scopes: Vec<(&'static str, &'static str)>,
    flow_name: Option<String>,
    redirect_host: String,
    hidden: Vec<(&'static str, String)>,
}

fn refused(r: Refusal) -> Response {
    match r {
        Refusal::Page(message) => page(StatusCode::BAD_REQUEST, &message),
        Refusal::Redirect(url) => Redirect::to(&url).into_response(),
    }
}

/// The request's parameters as hidden form fields, so the decision repeats it exactly.
fn hidden_fields(p: &AuthorizeParams) -> Vec<(&'static str, String)> {
    [
        ("client_id", &p.client_id),
        ("redirect_uri", &p.redirect_uri),
        ("response_type", &p.response_type),
        ("scope", &p.scope),
        ("state", &p.state),
        ("code_challenge", &p.code_challenge),
        ("code_challenge_method", &p.code_challenge_method),
        ("flow", &p.flow),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect()
}

/// GET /oauth/authorize
pub async fn show_consent(
    State(state): State<AppState>,
    signed: SignedIn,
    params: Params,
) -> Result<Response, WebError> {
    let params: AuthorizeParams = params.parse()?;
    let req: AuthRequest = match authorize::validate(&state.store, params).await? {
        Ok(req) => req,
        Err(r) => return Ok(refused(r)),
    };
    // The target flow is shown only to a user who can see it.
    let flow_name = match req.params.flow.as_deref().filter(|f| !f.is_empty()) {
        Some(id) => crate::flows::visible_flow_by_id(&state.store, signed.user.id, id)
            .await
            .ok()
            .map(|f| format!("{} / {}", f.flow.org.name, f.flow.name)),
        None => None,
    };
    let redirect_host = url::Url::parse(&req.redirect_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "this application (out of band)".into());
    html(ConsentPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        app_name: req.app.name.clone(),
        icon_url: req.app.icon_url.clone(),
        scopes: Scopes::NAMED
            .iter()
            .filter(|(s, _, _)| req.scopes.contains(*s))
            .map(|(_, name, words)| (*name, *words))
            .collect(),
        flow_name,
        redirect_host,
        hidden: hidden_fields(&req.params),
    })
}

/// POST /oauth/authorize
pub async fn decide_consent(
    State(state): State<AppState>,
    signed: SignedIn,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let approved = params.get_str("decision") == Some("approve");
    let params: AuthorizeParams = params.parse()?;
    let req = match authorize::validate(&state.store, params).await? {
        Ok(req) => req,
        Err(r) => return Ok(refused(r)),
    };
    if !approved {
        return Ok(refused(authorize::deny(&req)));
    }
    let location = authorize::approve(&state.store, &state.urls, &req, signed.user.id).await?;
    Ok(Redirect::to(&location).into_response())
}

#[derive(Template)]
#[template(path = "oob_code.html")]
struct OobPage {
    nav: Nav,
    code: String,
}

/// GET /oauth/authorize/:code, where out-of-band clients read the code (as on Flowdock).
pub async fn show_oob_code(Path(code): Path<String>) -> Result<Response, WebError> {
    html(OobPage {
        nav: Nav::anonymous(),
        code,
    })
}
