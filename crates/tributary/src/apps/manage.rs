//! Changing applications after creation: editing, rotating the secret, publishing.

use super::check_uri;
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

fn blank_to_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl AppForm {
    /// Trims, turns blanks into `None`, and checks every URI.
    pub fn validated(self) -> ApiResult<AppForm> {
        let form = AppForm {
            name: self.name.trim().to_owned(),
            icon_url: blank_to_none(self.icon_url),
            redirect_uri: self.redirect_uri.trim().to_owned(),
            setup_uri: blank_to_none(self.setup_uri),
            configuration_uri: blank_to_none(self.configuration_uri),
        };
        if form.name.is_empty() {
            return Err(ApiError::field("name", "is required"));
        }
        check_uri("redirect_uri", &form.redirect_uri, true)?;
        for (field, value) in [
            ("icon_url", &form.icon_url),
            ("setup_uri", &form.setup_uri),
            ("configuration_uri", &form.configuration_uri),
        ] {
            if let Some(v) = value {
                check_uri(field, v, false)?;
            }
        }
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
