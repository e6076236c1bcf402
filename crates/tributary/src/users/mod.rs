//! Users: the account resource (`/user`, `/users`) and account creation.

use axum::extract::{Path, State};
use axum::Json;
use tributary_types::User;

use crate::auth::{Principal, Scopes};
use crate::error::{err, ApiError, ApiResult};
use crate::secrets;
use crate::state::{AppState, Urls};
use crate::store::{DynStore, NewUser, UserRecord};
use axum::routing::get;
use axum::Router;

pub mod profile;

/// `/user` and `/users`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/user",
            get(show_current_user).put(profile::update_current_user),
        )
        .route("/users", get(list_users))
        .route(
            "/users/{id}",
            get(show_user).put(profile::update_user_by_id),
        )
}

pub fn view(urls: &Urls, u: &UserRecord) -> User {
    User {
        id: u.id,
        email: u.email.clone(),
        name: u.name.clone(),
        nick: u.nick.clone(),
        avatar: if u.avatar.is_empty() {
            urls.avatar(u.id)
        } else {
            u.avatar.clone()
        },
        website: u.website.clone(),
        admin: None,
        in_flow: None,
        disabled: None,
    }
}

/// A new account, before validation.
#[derive(Debug, Clone, Default)]
pub struct CreateUser {
    pub email: String,
    pub name: String,
    pub nick: String,
    pub password: Option<String>,
}

/// Creates an account and returns it with its API token, which is not stored and cannot be
/// shown again.
pub async fn create_user(store: &DynStore, input: CreateUser) -> ApiResult<(UserRecord, String)> {
    let mut errors = crate::error::FieldErrors::new();
    let email = input.email.trim().to_owned();
    check_email(&mut errors, &email);
    check_name(&mut errors, &input.name);
    check_nick(&mut errors, &input.nick);
    if matches!(&input.password, Some(p) if p.len() < 8) {
        err(&mut errors, "password", "must be at least 8 characters");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let password_hash = match input.password {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || secrets::hash_password(&p))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let token = secrets::new_token(16);
    let user = store
        .create_user(NewUser {
            email,
            name: input.name.trim().to_owned(),
            nick: input.nick.trim().to_owned(),
            avatar: String::new(),
            website: None,
            password_hash,
            api_token_hash: secrets::hash_token(&token),
        })
        .await?;
    Ok((user, token))
}

/// The longest name, nick and email an account may have, in characters.
const MAX_NAME: usize = 100;
const MAX_NICK: usize = 50;
const MAX_EMAIL: usize = 254;

fn check_email(errors: &mut crate::error::FieldErrors, email: &str) {
    if !looks_like_email(email) || email.chars().count() > MAX_EMAIL {
        err(errors, "email", "must be an email address");
    }
}

fn check_name(errors: &mut crate::error::FieldErrors, name: &str) {
    if name.trim().is_empty() {
        err(errors, "name", "is required");
    } else if name.trim().chars().count() > MAX_NAME {
        err(
            errors,
            "name",
            format!("is too long (the limit is {MAX_NAME} characters)"),
        );
    }
}

fn check_nick(errors: &mut crate::error::FieldErrors, nick: &str) {
    let nick = nick.trim();
    if nick.is_empty() || nick.contains(char::is_whitespace) {
        err(errors, "nick", "is required and may not contain spaces");
    } else if nick.chars().count() > MAX_NICK {
        err(
            errors,
            "nick",
            format!("is too long (the limit is {MAX_NICK} characters)"),
        );
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// 403 unless the credential may read its owner's own profile ([`Scopes::OWN_PROFILE`]).
pub fn may_see_self(principal: &Principal) -> ApiResult<()> {
    principal.require_any(
        Scopes::OWN_PROFILE,
        "`profile`, `flow`, `private` or `manage`",
    )
}

/// 403 unless the credential may read other people and their emails ([`Scopes::PEOPLE`]):
/// every resource that lists co-members checks this first.
pub fn may_see_people(principal: &Principal) -> ApiResult<()> {
    principal.require_any(Scopes::PEOPLE, "`flow` or `manage`")
}

/// GET /user
pub async fn show_current_user(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<User>> {
    may_see_self(&principal)?;
    Ok(Json(view(&state.urls, &principal.user)))
}

/// GET /users
pub async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<User>>> {
    may_see_people(&principal)?;
    let users = state.store.users_visible_to(principal.user.id).await?;
    Ok(Json(users.iter().map(|u| view(&state.urls, u)).collect()))
}

/// GET /users/:id
pub async fn show_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<Json<User>> {
    let not_found = || ApiError::NotFound("User not found".into());
    let id = id.parse::<i64>().ok();
    if id == Some(principal.user.id) {
        may_see_self(&principal)?;
        return Ok(Json(view(&state.urls, &principal.user)));
    }
    may_see_people(&principal)?;
    let id = id.ok_or_else(not_found)?;
    if !state
        .store
        .share_organization(principal.user.id, id)
        .await?
    {
        return Err(not_found());
    }
    let user = state.store.user_by_id(id).await?.ok_or_else(not_found)?;
    Ok(Json(view(&state.urls, &user)))
}
