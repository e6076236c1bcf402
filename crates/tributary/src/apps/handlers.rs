//! The applications JSON API: `GET`/`POST /oauth/applications`, `GET /oauth/applications/:id`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use tributary_types::Application;

use super::{view, CreateApp};
use crate::auth::{Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::input::{lenient, Params};
use crate::state::AppState;

/// GET /oauth/applications
pub async fn list_applications(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<Application>>> {
    principal.require(Scopes::MANAGE, "manage")?;
    let apps = state.store.apps_of_owner(principal.user.id).await?;
    Ok(Json(
        apps.iter().map(|a| view::owned(&state.urls, a)).collect(),
    ))
}

#[derive(Debug, Deserialize)]
struct CreateParams {
    #[serde(default)]
    name: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    icon_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    setup_uri: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    configuration_uri: Option<String>,
}

/// POST /oauth/applications
///
/// Takes the fields at the top level or nested under `application` (Flowdock's scripts sent
/// `{"application": {...}}`). Answers 201 with the client id and secret.
pub async fn create_application(
    State(state): State<AppState>,
    principal: Principal,
    params: Params,
) -> ApiResult<(StatusCode, Json<Application>)> {
    principal.require(Scopes::MANAGE, "manage")?;
    let params = match params.0.get("application") {
        Some(Value::Object(inner)) => Params(inner.clone()),
        _ => params,
    };
    let p: CreateParams = params.parse()?;
    let form = super::manage::AppForm {
        name: p.name,
        icon_url: p.icon_url,
        redirect_uri: p.redirect_uri,
        setup_uri: p.setup_uri,
        configuration_uri: p.configuration_uri,
    }
    .validated()?;
    let app = super::create_app(
        &state.store,
        CreateApp {
            owner_email: principal.user.email.clone(),
            name: form.name,
            icon_url: form.icon_url,
            redirect_uri: form.redirect_uri,
            setup_uri: form.setup_uri,
            configuration_uri: form.configuration_uri,
            published: false,
            password_grant: false,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view::owned(&state.urls, &app))))
}

/// GET /oauth/applications/:id
///
/// The owner sees the client secret; anyone else signed in sees the public part that
/// sources link to, once the application is published.
pub async fn show_application(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<Application>> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound("Application not found".into()))?;
    let app = super::visible_app(&state.store, principal.user.id, id).await?;
    if app.owner_id == principal.user.id && principal.scopes.contains(Scopes::MANAGE) {
        Ok(Json(view::owned(&state.urls, &app)))
    } else {
        Ok(Json(view::public(&state.urls, &app)))
    }
}
