//! Developer applications: the OAuth clients that integrations register.

pub mod handlers;
pub mod manage;
pub mod view;

use crate::error::{ApiError, ApiResult};
use crate::secrets;
use crate::store::{AppRecord, DynStore, NewApp};

#[derive(Debug, Clone, Default)]
pub struct CreateApp {
    pub owner_email: String,
    pub name: String,
    pub icon_url: Option<String>,
    pub redirect_uri: String,
    pub setup_uri: Option<String>,
    pub configuration_uri: Option<String>,
    pub published: bool,
}

/// Checks that `value` is an absolute http(s) URL, or `urn:ietf:wg:oauth:2.0:oob` where the
/// OAuth out-of-band flow allows it.
pub(crate) fn check_uri(field: &str, value: &str, allow_oob: bool) -> ApiResult<()> {
    if allow_oob && value == "urn:ietf:wg:oauth:2.0:oob" {
        return Ok(());
    }
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
        _ => Err(ApiError::field(
            field,
            "must be an absolute http or https URL",
        )),
    }
}

pub async fn create_app(store: &DynStore, input: CreateApp) -> ApiResult<AppRecord> {
    if input.name.trim().is_empty() {
        return Err(ApiError::field("name", "is required"));
    }
    check_uri("redirect_uri", &input.redirect_uri, true)?;
    for (field, value) in [
        ("setup_uri", &input.setup_uri),
        ("configuration_uri", &input.configuration_uri),
        ("icon_url", &input.icon_url),
    ] {
        if let Some(v) = value {
            check_uri(field, v, false)?;
        }
    }
    let owner = store
        .user_by_email(&input.owner_email)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                "owner",
                format!("no user has the email {}", input.owner_email),
            )
        })?;
    Ok(store
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
        .await?)
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
