//! Changing applications after creation: editing, rotating the secret, publishing.

use super::normalise_uris;
use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::store::{AppChanges, AppRecord, DynStore};

/// The editable fields, as the form and the API send them. Empty optional fields clear.
#[derive(Debug, Clone, Default)]
pub struct AppForm {
    pub name: String,
    pub icon_url: Option<String>,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
}

impl AppForm {
    /// Trims the name, turns blank URIs into `None`, and checks and normalises every URI.
    pub fn validated(self) -> ApiResult<AppForm> {
        // URIs are not trimmed here: a line break around one is refused, not dropped.
        let mut form = AppForm {
            name: self.name.trim().to_owned(),
            ..self
        };
        if form.name.is_empty() {
            return Err(ApiError::field("name", "is required"));
        }
        normalise_uris(
            &mut form.redirect_uri,
            &mut form.icon_url,
            &mut form.setup_uri,
            &mut form.configuration_uri,
        )?;
        Ok(form)
    }
}

/// The application, when `user_id` owns it; 404 otherwise, so ids of others' applications
/// reveal nothing.
pub async fn owned_app(store: &DynStore, user_id: i64, id: i64) -> ApiResult<AppRecord> {
    store
        .app_by_id(id)
        .await?
        .filter(|a| a.owner_id == user_id)
        .ok_or_else(|| ApiError::NotFound("Application not found".into()))
}

pub async fn update_app(store: &DynStore, app: &AppRecord, form: AppForm) -> ApiResult<AppRecord> {
    let form = form.validated()?;
    Ok(store
        .update_app(
            app.id,
            AppChanges {
                name: Some(form.name),
                icon_url: Some(form.icon_url),
                redirect_uri: Some(form.redirect_uri),
                setup_uri: Some(form.setup_uri),
                configuration_uri: Some(form.configuration_uri),
                ..AppChanges::default()
            },
        )
        .await?)
}

/// A new client secret; the old one stops working at once.
pub async fn rotate_secret(store: &DynStore, app: &AppRecord) -> ApiResult<AppRecord> {
    Ok(store
        .update_app(
            app.id,
            AppChanges {
                client_secret: Some(secrets::new_token(32)),
                ..AppChanges::default()
            },
        )
        .await?)
}

/// Lists the application in the public directory, or takes it off.
pub async fn set_published(store: &DynStore, id: i64, published: bool) -> ApiResult<AppRecord> {
    Ok(store
        .update_app(
            id,
            AppChanges {
                published: Some(published),
                ..AppChanges::default()
            },
        )
        .await?)
}

/// Allows the application the OAuth password grant, or takes it back (admins only: the CLI).
pub async fn set_password_grant(store: &DynStore, id: i64, allowed: bool) -> ApiResult<AppRecord> {
    Ok(store
        .update_app(
            id,
            AppChanges {
                password_grant: Some(allowed),
                ..AppChanges::default()
            },
        )
        .await?)
}
