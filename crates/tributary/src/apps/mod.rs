//! Developer applications: the OAuth clients that integrations register.

pub mod handlers;
pub mod manage;
pub mod view;

use crate::error::{ApiError, ApiResult, FieldErrors};
use crate::state::AppState;
use crate::store::{AppRecord, DynStore, NewApp};
use crate::{secrets, urls};
use axum::routing::get;
use axum::Router;

/// `/oauth/applications`: the caller's applications, and creating one.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/oauth/applications",
            get(handlers::list_applications).post(handlers::create_application),
        )
        .route("/oauth/applications/{id}", get(handlers::show_application))
}

#[derive(Debug, Clone, Default)]
pub struct CreateApp {
    pub owner_email: String,
    pub name: String,
    pub icon_url: Option<String>,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
    pub published: bool,
    /// Allow the OAuth password grant: only for trusted tools, and only an admin sets it.
    pub password_grant: bool,
}

/// The placeholders an application's setup and configuration URIs may hold
/// (`sources::setup` expands them).
const SETUP_PLACEHOLDERS: &[&str] = &["flow_id", "flow_url"];
const CONFIGURATION_PLACEHOLDERS: &[&str] = &["source_id", "source_url"];

/// Checks every URI of an application and replaces each with its normalised form; blank
/// optional ones become `None`. The API, the developer pages and the CLI all come here.
pub(crate) fn normalise_uris(
    redirect_uri: &mut String,
    icon_url: &mut Option<String>,
    setup_uri: &mut Option<String>,
    configuration_uri: &mut Option<String>,
) -> ApiResult<()> {
    let mut errors = FieldErrors::new();
    let redirect = urls::check_redirect(&mut errors, "redirect_uri", redirect_uri);
    *icon_url = urls::check_optional(&mut errors, "icon_url", icon_url.take(), &[]);
    *setup_uri = urls::check_optional(
        &mut errors,
        "setup_uri",
        setup_uri.take(),
        SETUP_PLACEHOLDERS,
    );
    *configuration_uri = urls::check_optional(
        &mut errors,
        "configuration_uri",
        configuration_uri.take(),
        CONFIGURATION_PLACEHOLDERS,
    );
    match redirect {
        Some(r) if errors.is_empty() => {
            *redirect_uri = r;
            Ok(())
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

pub async fn create_app(store: &DynStore, mut input: CreateApp) -> ApiResult<AppRecord> {
    if input.name.trim().is_empty() {
        return Err(ApiError::field("name", "is required"));
    }
    normalise_uris(
        &mut input.redirect_uri,
        &mut input.icon_url,
        &mut input.setup_uri,
        &mut input.configuration_uri,
    )?;
    let owner = store
        .user_by_email(&input.owner_email)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "owner",
                format!("no user has the email {}", input.owner_email),
            )
        })?;
    let app = store
        .create_app(NewApp {
            owner_id: owner.id,
            name: input.name.trim().to_owned(),
            icon_url: input.icon_url,
            client_id: secrets::new_token(16),
            client_secret: secrets::new_token(32),
            redirect_uri: input.redirect_uri,
            setup_uri: input.setup_uri,
            configuration_uri: input.configuration_uri,
            published: input.published,
        })
        .await?;
    // A second write: every application starts without the grant, so if this one fails the
    // application is only less capable than asked, never more.
    if input.password_grant {
        return manage::set_password_grant(store, app.id, true).await;
    }
    Ok(app)
}

/// An application as `user_id` may see it: its owner always, anyone else once it is
/// published. Otherwise 404, so the ids of unpublished applications reveal nothing.
pub async fn visible_app(store: &DynStore, user_id: i64, id: i64) -> ApiResult<AppRecord> {
    store
        .app_by_id(id)
        .await?
        .filter(|a| a.published || a.owner_id == user_id)
        .ok_or_else(|| ApiError::NotFound("Application not found".into()))
}
