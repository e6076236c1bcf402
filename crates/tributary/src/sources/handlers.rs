//! The Sources API (flowdock/api-docs docs/sources.md): creating, listing, showing, updating and deleting
//! sources, with a user credential or, for `/sources`, the source's own `flow_token`.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tributary_types::Source;

use super::rotate::Rotator;
use super::view;
use crate::auth::flow_token::{params_or_gone, source_for_token, RemovalReason};
use crate::auth::{AppPrincipal, Principal, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::input::{lenient, BodyRejection, Input, Params, TokenParams};
use crate::state::AppState;
use crate::store::SourceRecord;

const READ_SCOPES: Scopes = Scopes::FLOW.union(Scopes::INTEGRATION);
const READ_NAMES: &str = "`flow` or `integration`";

#[derive(Debug, Deserialize)]
pub struct CreateParams {
    #[serde(default)]
    name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    external_url: Option<String>,
    /// With a user credential (no OAuth token), the application to install: one the caller owns.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    application_id: Option<i64>,
}

/// POST /flows/:org/:flow/sources (also `/integrations`, which the example app uses)
pub async fn create_source(
    State(state): State<AppState>,
    AppPrincipal { principal, app_id }: AppPrincipal,
    Path((org, flow)): Path<(String, String)>,
    Input(p): Input<CreateParams>,
) -> ApiResult<(StatusCode, Json<Source>)> {
    principal.require(Scopes::INTEGRATION, "integration")?;
    let flow = crate::flows::joined(&state.store, principal.user.id, &org, &flow).await?;
    let app_id = match (app_id, p.application_id) {
        (Some(id), _) => id,
        (None, Some(id)) => {
            crate::apps::manage::owned_app(&state.store, principal.user.id, id)
                .await
                .map_err(|_| ApiError::field("application_id", "must name an application you own"))?
                .id
        }
        (None, None) => {
            return Err(ApiError::Forbidden(
                "Creating a source needs an OAuth access token of the application (scope \
                 `integration`), or `application_id` of an application you own"
                    .into(),
            ))
        }
    };
    let (source, token) = super::create_source(
        &state.store,
        &flow,
        app_id,
        Some(principal.user.id),
        &p.name,
        p.external_url,
    )
    .await?;
    let app = state
        .store
        .app_by_id(app_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Application not found".into()))?;
    let mut body = view::source(&state.urls, &source, &app, &flow, Some(&principal.user));
    body.health = Some(super::health::of(&state.store, &source).await?);
    body.flow_token = Some(token);
    Ok((StatusCode::CREATED, Json(body)))
}

/// The caller of `/sources`, which may also be a `flow_token`: the user credential is
/// resolved only when no token is given.
pub struct MaybePrincipal(Result<Principal, ApiError>);

impl FromRequestParts<AppState> for MaybePrincipal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybePrincipal(
            Principal::from_request_parts(parts, state).await,
        ))
    }
}

fn flow_token(params: &Params) -> Option<&str> {
    params.get_str("flow_token").filter(|t| !t.is_empty())
}

/// GET /sources
///
/// With a `flow_token`, only that token's source; with a user credential, the sources of
/// every flow the user has joined.
pub async fn list_sources(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    params: Result<TokenParams, BodyRejection>,
) -> ApiResult<Json<Vec<Source>>> {
    let params = params_or_gone(&state.store, params, None).await?;
    let records: Vec<SourceRecord> = match flow_token(&params) {
        Some(token) => vec![source_for_token(&state.store, token).await?],
        None => {
            let principal = caller.0?;
            principal.require_any(READ_SCOPES, READ_NAMES)?;
            state.store.sources_of_member(principal.user.id).await?
        }
    };
    Ok(Json(view::sources(&state, &records).await?))
}

/// GET /flows/:org/:flow/sources
pub async fn list_flow_sources(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Source>>> {
    principal.require_any(READ_SCOPES, READ_NAMES)?;
    let flow = crate::flows::joined(&state.store, principal.user.id, &org, &flow).await?;
    let records = state.store.sources_in_flow(&flow.id).await?;
    Ok(Json(view::sources(&state, &records).await?))
}

/// GET /flows/:org/:flow/sources/:id
pub async fn show_source(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<Json<Source>> {
    principal.require_any(READ_SCOPES, READ_NAMES)?;
    let flow = crate::flows::joined(&state.store, principal.user.id, &org, &flow).await?;
    let source = super::source_in_flow(&state.store, &flow, &id).await?;
    one(&state, source).await
}

async fn one(state: &AppState, source: SourceRecord) -> ApiResult<Json<Source>> {
    view::sources(state, std::slice::from_ref(&source))
        .await?
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("Source not found".into()))
}

#[derive(Debug, Deserialize)]
pub struct UpdateParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    error_message: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    configuration_url: Option<String>,
}

/// PUT /flows/:org/:flow/sources/:id
pub async fn update_source(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
    Input(p): Input<UpdateParams>,
) -> ApiResult<Json<Source>> {
    principal.require_any(READ_SCOPES, READ_NAMES)?;
    let changes = super::source_changes(p.error_message, p.configuration_url)?;
    let flow = crate::flows::joined(&state.store, principal.user.id, &org, &flow).await?;
    let source = super::source_in_flow(&state.store, &flow, &id).await?;
    let source = state.store.update_source(source.id, changes).await?;
    one(&state, source).await
}

/// PUT /sources, authenticated by the source's `flow_token`
pub async fn update_source_by_token(
    State(state): State<AppState>,
    params: Result<TokenParams, BodyRejection>,
) -> ApiResult<Json<Source>> {
    let params = params_or_gone(&state.store, params, None).await?;
    let token = flow_token(&params)
        .ok_or_else(|| ApiError::Unauthorized("flow_token is required".into()))?;
    let source = source_for_token(&state.store, token).await?;
    let p: UpdateParams = params.parse()?;
    let changes = super::source_changes(p.error_message, p.configuration_url)?;
    let source = state.store.update_source(source.id, changes).await?;
    one(&state, source).await
}

/// DELETE /flows/:org/:flow/sources/:id
///
/// From the next request on, the source's `flow_token` answers 410 Gone.
pub async fn delete_source(
    State(state): State<AppState>,
    principal: Principal,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    principal.require_any(READ_SCOPES, READ_NAMES)?;
    let flow = crate::flows::joined(&state.store, principal.user.id, &org, &flow).await?;
    let source = super::source_in_flow(&state.store, &flow, &id).await?;
    super::remove(&state.store, source.id, RemovalReason::Removed).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct RotateParams {
    /// Seconds the old token keeps working; the server's `--flow-token-grace` by default.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    grace: Option<i64>,
}

/// POST /flows/:org/:flow/sources/:id/rotate, by a member of the flow or with the source's
/// current `flow_token`: answers the source with its new `flow_token`.
pub async fn rotate_source(
    State(state): State<AppState>,
    caller: MaybePrincipal,
    Path((org, flow, id)): Path<(String, String, String)>,
    params: Result<TokenParams, BodyRejection>,
) -> ApiResult<Json<Source>> {
    let params = params_or_gone(&state.store, params, None).await?;
    let principal;
    let who = match flow_token(&params) {
        Some(token) => Rotator::Token(token),
        None => {
            principal = caller.0?;
            Rotator::User(&principal)
        }
    };
    let p: RotateParams = params.parse()?;
    let source = super::rotate::rotate_source(&state, who, (&org, &flow, &id), p.grace).await?;
    Ok(Json(source))
}
