//! One's own profile: `PUT /user`, and `PUT /users/:id` with one's own id as
//! flowdock/api-docs docs/users.md documents it. The same checks as at sign-up, and an email
//! already taken is a 409 whatever its case.

use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use tributary_types::User;

use super::{check_email, check_name, check_nick};
use crate::auth::{Principal, Scopes};
use crate::error::{err, ApiError, ApiResult, FieldErrors};
use crate::input::{lenient, Input};
use crate::state::AppState;
use crate::store::{DynStore, UserChanges, UserRecord};

/// The longest avatar or website URL.
const MAX_URL: usize = 2000;

/// A profile change as sent: absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProfileInput {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub nick: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// An empty string goes back to the generated avatar.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub avatar: Option<String>,
    /// An empty string removes the website.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub website: Option<String>,
}

/// `""` or an `http(s)` URL without spaces: what a page may link to or load.
fn check_url(errors: &mut FieldErrors, field: &str, url: &str) {
    let ok = url.is_empty()
        || ((url.starts_with("https://") || url.starts_with("http://"))
            && url.chars().count() <= MAX_URL
            && !url.contains(char::is_whitespace));
    if !ok {
        err(errors, field, "must be an http or https URL");
    }
}

fn changes(input: ProfileInput) -> ApiResult<UserChanges> {
    let mut errors = FieldErrors::new();
    let trim = |s: Option<String>| s.map(|s| s.trim().to_owned());
    let (name, nick, email) = (trim(input.name), trim(input.nick), trim(input.email));
    let (avatar, website) = (trim(input.avatar), trim(input.website));
    if let Some(name) = &name {
        check_name(&mut errors, name);
    }
    if let Some(nick) = &nick {
        check_nick(&mut errors, nick);
    }
    if let Some(email) = &email {
        check_email(&mut errors, email);
    }
    if let Some(avatar) = &avatar {
        check_url(&mut errors, "avatar", avatar);
    }
    if let Some(website) = &website {
        check_url(&mut errors, "website", website);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(UserChanges {
        name,
        nick,
        email,
        avatar,
        website: website.map(|w| Some(w).filter(|w| !w.is_empty())),
    })
}

/// Changes the caller's own profile and returns it.
pub async fn update_profile(
    store: &DynStore,
    principal: &Principal,
    input: ProfileInput,
) -> ApiResult<UserRecord> {
    // docs/authentication.md: `profile` is the user's profile.
    principal.require(Scopes::PROFILE, "profile")?;
    let changes = changes(input)?;
    if let Some(email) = &changes.email {
        // SQLite compares emails without case in its index, PostgreSQL through lower(): one
        // answer on both, whoever holds the address.
        if let Some(other) = store.user_by_email(email).await? {
            if other.id != principal.user.id {
                return Err(ApiError::Conflict("email is already taken".into()));
            }
        }
    }
    Ok(store.update_user(principal.user.id, changes).await?)
}

/// PUT /user
pub async fn update_current_user(
    State(state): State<AppState>,
    principal: Principal,
    Input(input): Input<ProfileInput>,
) -> ApiResult<Json<User>> {
    let user = update_profile(&state.store, &principal, input).await?;
    Ok(Json(super::view(&state.urls, &user)))
}

/// PUT /users/:id: one's own id only; docs/users.md answers `200 {}`.
pub async fn update_user_by_id(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Input(input): Input<ProfileInput>,
) -> ApiResult<Json<serde_json::Value>> {
    principal.require(Scopes::PROFILE, "profile")?;
    if id.parse::<i64>().ok() != Some(principal.user.id) {
        return Err(ApiError::Forbidden(
            "Only your own profile can be changed".into(),
        ));
    }
    update_profile(&state.store, &principal, input).await?;
    Ok(Json(serde_json::json!({})))
}
