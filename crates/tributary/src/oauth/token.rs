//! `POST /oauth/token`: the `authorization_code`, `refresh_token` and `password` grants.
//!
//! Requests may be form-encoded or JSON. The answer is form-encoded unless the client sends
//! `Accept: application/json`, as Flowdock's was (flowdock/api-docs docs/authentication.md); errors are always
//! JSON, as RFC 6749 §5.2 requires.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::client::authenticate_client;
use super::error::OAuthError;
use super::{mint, pkce, IssuedTokens};
use crate::auth::Scopes;
use crate::error::ApiError;
use crate::input::Params;
use crate::secrets;
use crate::state::AppState;
use crate::store::{now_millis, AppRecord, UserRecord};

/// POST /oauth/token
pub async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Params, ApiError>,
) -> Response {
    let json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    match grant(&state, &headers, params).await {
        Ok(issued) => render(&issued, json),
        Err(e) => e.into_response(),
    }
}

async fn grant(
    state: &AppState,
    headers: &HeaderMap,
    params: Result<Params, ApiError>,
) -> Result<IssuedTokens, OAuthError> {
    let params = params?;
    let grant_type = params
        .get_str("grant_type")
        .filter(|g| !g.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?
        .to_owned();
    let app = authenticate_client(&state.store, headers, &params).await?;
    match grant_type.as_str() {
        "authorization_code" => code_grant(state, &app, &params).await,
        "refresh_token" => refresh_grant(state, &app, &params).await,
        "password" => password_grant(state, &app, &params).await,
        other => Err(OAuthError::unsupported_grant_type(format!(
            "grant_type `{other}` is not supported; use authorization_code, refresh_token or password"
        ))),
    }
}

fn required<'a>(params: &'a Params, name: &str) -> Result<&'a str, OAuthError> {
    params
        .get_str(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
}

async fn live_user(state: &AppState, id: i64) -> Result<UserRecord, OAuthError> {
    state
        .store
        .user_by_id(id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("The user of this grant is disabled"))
}

async fn code_grant(
    state: &AppState,
    app: &AppRecord,
    params: &Params,
) -> Result<IssuedTokens, OAuthError> {
    let hash = secrets::hash_token(required(params, "code")?);
    let code = state
        .store
        .oauth_code_by_hash(&hash)
        .await?
        .filter(|c| c.app_id == app.id)
        .ok_or_else(|| OAuthError::invalid_grant("Unknown authorization code"))?;
    // Every token from this code shares the code's hash as its family.
    let (row, issued) = mint(app.id, code.user_id, Scopes::from_bits(code.scopes), &hash);
    if code.used_at.is_some() {
        state.store.redeem_oauth_code(&hash, row).await?;
        return Err(OAuthError::invalid_grant(
            "This authorization code was already used; every token issued from it is now revoked",
        ));
    }
    if code.expires_at <= now_millis() {
        return Err(OAuthError::invalid_grant(
            "This authorization code has expired",
        ));
    }
    let given = params.get_str("redirect_uri").filter(|r| !r.is_empty());
    let redirect_ok = match (&code.redirect_uri, given) {
        (Some(expected), Some(given)) => expected == given,
        (Some(_), None) => false,
        (None, Some(given)) => crate::urls::same_redirect_uri(given, &app.redirect_uri),
        (None, None) => true,
    };
    if !redirect_ok {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the one of the authorization request",
        ));
    }
    match (&code.code_challenge, params.get_str("code_verifier")) {
        (Some(challenge), Some(verifier)) if pkce::verify_s256(verifier, challenge) => {}
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ))
        }
        (Some(_), None) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier is required: the authorization request sent a code_challenge",
            ))
        }
        // RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
        (None, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier was sent but the authorization request had no code_challenge",
            ))
        }
        (None, None) => {}
    }
    live_user(state, code.user_id).await?;
    state
        .store
        .redeem_oauth_code(&hash, row)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("This authorization code was already used"))?;
    Ok(issued)
}

async fn refresh_grant(
    state: &AppState,
    app: &AppRecord,
    params: &Params,
) -> Result<IssuedTokens, OAuthError> {
    let hash = secrets::hash_token(required(params, "refresh_token")?);
    let old = state
        .store
        .oauth_token_by_refresh_hash(&hash)
        .await?
        .filter(|t| t.app_id == app.id)
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "Unknown refresh token (refresh tokens are issued only with the offline_access scope)",
            )
        })?;
    let granted = Scopes::from_bits(old.scopes);
    let scopes = match params.get_str("scope").filter(|s| !s.trim().is_empty()) {
        Some(list) => {
            let asked = Scopes::parse(list).map_err(OAuthError::invalid_scope)?;
            if !granted.contains(asked) {
                return Err(OAuthError::invalid_scope(
                    "A refresh may not add scopes the user did not grant",
                ));
            }
            asked
        }
        None => granted,
    };
    let (row, issued) = mint(app.id, old.user_id, scopes, &old.family);
    match old.revoke_reason.as_deref() {
        None => {}
        // A rotated token coming back means two parties hold it: revoke the whole family.
        Some("rotated") => {
            state.store.rotate_oauth_token(old.id, row).await?;
            return Err(OAuthError::invalid_grant(
                "This refresh token was already used; every token of its grant is now revoked",
            ));
        }
        Some(_) => return Err(OAuthError::invalid_grant("This refresh token was revoked")),
    }
    live_user(state, old.user_id).await?;
    state
        .store
        .rotate_oauth_token(old.id, row)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("This refresh token was already used"))?;
    Ok(issued)
}

async fn password_grant(
    state: &AppState,
    app: &AppRecord,
    params: &Params,
) -> Result<IssuedTokens, OAuthError> {
    // RFC 9700 §2.4: the password grant must not be used, except by the trusted tools an
    // operator marked (`tributary admin app create --password-grant`).
    if !app.password_grant {
        return Err(OAuthError::unauthorized_client(
            "This application may not use the password grant; an administrator allows it with \
             `tributary admin app password-grant`",
        ));
    }
    let email = required(params, "username")?;
    let password = required(params, "password")?;
    let scopes = Scopes::parse(params.get_str("scope").unwrap_or_default())
        .map_err(OAuthError::invalid_scope)?;
    let user = crate::auth::session::verify_password(state, email, password)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| OAuthError::invalid_grant("Invalid email or password"))?;
    let (row, issued) = mint(app.id, user.id, scopes, &secrets::new_token(16));
    state.store.create_oauth_token(row).await?;
    Ok(issued)
}

fn render(issued: &IssuedTokens, json: bool) -> Response {
    let scope = issued.scopes.to_list();
    let mut response = if json {
        let mut body = json!({
            "access_token": issued.access_token,
            "token_type": "bearer",
            "expires_in": issued.expires_in,
            "scope": scope,
        });
        if let Some(refresh) = &issued.refresh_token {
            body["refresh_token"] = json!(refresh);
        }
        Json(body).into_response()
    } else {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("access_token", &issued.access_token)
            .append_pair("token_type", "bearer")
            .append_pair("expires_in", &issued.expires_in.to_string())
            .append_pair("scope", &scope);
        if let Some(refresh) = &issued.refresh_token {
            form.append_pair("refresh_token", refresh);
        }
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )],
            form.finish(),
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
