//! Developer applications, step 1 of the integration guide: list, create and edit.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::error::WebError;
use super::manage::PostedForm;
use super::{html, Nav};
use crate::apps::manage::{owned_app, AppForm};
use crate::apps::CreateApp;
use crate::auth::session::{SignedIn, CSRF_FIELD};
use crate::error::{ApiError, ApiResult};
use crate::input::Params;
use crate::state::AppState;
use crate::store::AppRecord;

#[derive(Template)]
#[template(path = "apps_list.html")]
struct ListPage {
    nav: Nav,
    apps: Vec<AppRecord>,
}

/// GET /developer/applications
pub async fn list_applications(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    html(ListPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        apps: state.store.apps_of_owner(signed.user.id).await?,
    })
}

/// The new/edit form, refilled with what was sent when it failed validation.
#[derive(Template)]
#[template(path = "app_form.html")]
struct FormPage {
    nav: Nav,
    csrf: String,
    /// `None` for a new application.
    id: Option<i64>,
    name: String,
    icon_url: String,
    redirect_uri: String,
    setup_uri: String,
    configuration_uri: String,
    error: Option<String>,
}

impl FormPage {
    fn filled(
        nav: Nav,
        csrf: String,
        id: Option<i64>,
        f: &AppForm,
        error: Option<String>,
    ) -> FormPage {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        FormPage {
            nav,
            csrf,
            id,
            name: f.name.clone(),
            icon_url: opt(&f.icon_url),
            redirect_uri: f.redirect_uri.clone(),
            setup_uri: opt(&f.setup_uri),
            configuration_uri: opt(&f.configuration_uri),
            error,
        }
    }
}

fn form_of(params: &Params) -> AppForm {
    let text = |k: &str| params.get_str(k).unwrap_or_default().to_owned();
    let opt = |k: &str| params.get_str(k).map(str::to_owned);
    AppForm {
        name: text("name"),
        icon_url: opt("icon_url"),
        redirect_uri: text("redirect_uri"),
        setup_uri: opt("setup_uri"),
        configuration_uri: opt("configuration_uri"),
    }
}

/// A validation error as one line for the form.
fn explain(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Validation(errors) => Some(
            errors
                .iter()
                .map(|(field, reasons)| format!("{field} {}", reasons.join(", ")))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => None,
    }
}

/// Re-renders the form with the validation error, or passes other errors on.
async fn form_error(
    state: &AppState,
    signed: &SignedIn,
    id: Option<i64>,
    form: &AppForm,
    e: ApiError,
) -> Result<Response, WebError> {
    let Some(message) = explain(&e) else {
        return Err(e.into());
    };
    let nav = Nav::of(&state.store, &signed.user, &signed.browser).await?;
    let mut response = html(FormPage::filled(
        nav,
        signed.browser.csrf_token(),
        id,
        form,
        Some(message),
    ))?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}

/// GET /developer/applications/new
pub async fn new_application(
    State(state): State<AppState>,
    signed: SignedIn,
) -> Result<Response, WebError> {
    let nav = Nav::of(&state.store, &signed.user, &signed.browser).await?;
    html(FormPage::filled(
        nav,
        signed.browser.csrf_token(),
        None,
        &AppForm::default(),
        None,
    ))
}

/// POST /developer/applications
pub async fn create_application(
    State(state): State<AppState>,
    signed: SignedIn,
    params: Params,
) -> Result<Response, WebError> {
    signed.browser.check_csrf(params.get_str(CSRF_FIELD))?;
    let form = form_of(&params);
    let created: ApiResult<AppRecord> = async {
        let f = form.clone().validated()?;
        crate::apps::create_app(
            &state.store,
            CreateApp {
                owner_email: signed.user.email.clone(),
                name: f.name,
                icon_url: f.icon_url,
                redirect_uri: f.redirect_uri,
                setup_uri: f.setup_uri,
                configuration_uri: f.configuration_uri,
                published: false,
                password_grant: false,
            },
        )
        .await
    }
    .await;
    match created {
        Ok(app) => Ok(app_page(app.id)),
        Err(e) => form_error(&state, &signed, None, &form, e).await,
    }
}

pub(super) fn parse_id(id: &str) -> Result<i64, WebError> {
    id.parse()
        .map_err(|_| WebError::Api(ApiError::NotFound("Application not found".into())))
}

/// The signed-in developer's own application `:id`.
pub(super) async fn own_app(
    state: &AppState,
    signed: &SignedIn,
    id: &str,
) -> Result<AppRecord, WebError> {
    Ok(owned_app(&state.store, signed.user.id, parse_id(id)?).await?)
}

/// Where a change to an application lands: its page.
pub(super) fn app_page(id: i64) -> Response {
    Redirect::to(&format!("/developer/applications/{id}")).into_response()
}

/// GET /developer/applications/:id/edit
pub async fn edit_application(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let app = own_app(&state, &signed, &id).await?;
    let form = AppForm {
        name: app.name,
        icon_url: app.icon_url,
        redirect_uri: app.redirect_uri,
        setup_uri: app.setup_uri,
        configuration_uri: app.configuration_uri,
    };
    let nav = Nav::of(&state.store, &signed.user, &signed.browser).await?;
    html(FormPage::filled(
        nav,
        signed.browser.csrf_token(),
        Some(app.id),
        &form,
        None,
    ))
}

/// POST /developer/applications/:id
pub async fn update_application(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PostedForm { signed, params }: PostedForm,
) -> Result<Response, WebError> {
    let app = own_app(&state, &signed, &id).await?;
    let form = form_of(&params);
    match crate::apps::manage::update_app(&state.store, &app, form.clone()).await {
        Ok(app) => Ok(app_page(app.id)),
        Err(e) => form_error(&state, &signed, Some(app.id), &form, e).await,
    }
}
