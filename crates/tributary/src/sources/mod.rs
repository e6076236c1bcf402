//! Sources: one application installed into one flow, holding the secret `flow_token`.

pub mod handlers;
pub mod health;
pub mod rotate;
pub mod setup;
pub mod view;

use crate::auth::flow_token::RemovalReason;
use crate::auth::poster::Poster;
use crate::error::{ApiError, ApiResult};
use crate::messages::MessageInput;
use crate::secrets;
use crate::state::AppState;
use crate::store::{AppRecord, DynStore, FlowRecord, NewSource, SourceRecord};
use axum::routing::{get, post};
use axum::Router;

/// The Sources API, and the browser redirects that set an integration up.
pub fn routes() -> Router<AppState> {
    let one_source = get(handlers::show_source)
        .put(handlers::update_source)
        .delete(handlers::delete_source);
    let flow_sources = get(handlers::list_flow_sources).post(handlers::create_source);
    Router::new()
        .route(
            "/sources",
            get(handlers::list_sources).put(handlers::update_source_by_token),
        )
        .route("/flows/{org}/{flow}/sources", flow_sources.clone())
        // The example integration posts to `/integrations`.
        .route("/flows/{org}/{flow}/integrations", flow_sources)
        .route("/flows/{org}/{flow}/sources/{id}", one_source.clone())
        // Flowdock's sources documentation spells the single source `/source/:id`.
        .route("/flows/{org}/{flow}/source/{id}", one_source)
        .route(
            "/flows/{org}/{flow}/sources/{id}/rotate",
            post(handlers::rotate_source),
        )
        .route(
            "/flows/{org}/{flow}/sources/{id}/configure",
            get(setup::configure_source),
        )
        .route(
            "/flows/{org}/{flow}/integrations/new",
            get(setup::start_setup),
        )
}

/// Creates a source and returns it with its `flow_token`. Only the token's hash is stored, so
/// this is the one moment the token exists in the clear.
pub async fn create_source(
    store: &DynStore,
    flow: &FlowRecord,
    app_id: i64,
    creator_id: Option<i64>,
    name: &str,
    external_url: Option<String>,
) -> ApiResult<(SourceRecord, String)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::field("name", "is required"));
    }
    let external_url = crate::urls::optional_web_url("external_url", external_url)?;
    // Installing needs membership, whichever path a user comes by (the API, the developer
    // pages' test source tool); only an operator's command names no user.
    if let Some(user_id) = creator_id {
        if store.flow_membership(&flow.id, user_id).await?.is_none() {
            return Err(ApiError::Forbidden(
                "Join the flow before adding integrations to it".into(),
            ));
        }
    }
    let app = store
        .app_by_id(app_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Application {app_id} not found")))?;
    let token = secrets::new_token(16);
    let source = store
        .create_source(NewSource {
            flow_id: flow.id.clone(),
            app_id,
            creator_id,
            name: name.to_owned(),
            external_url,
            flow_token_hash: secrets::hash_token(&token),
        })
        .await?;
    // The source exists and its token is about to be shown for the only time: a failed
    // announcement must not turn that into an error, so it is logged instead.
    if let Err(e) = announce(store, flow, &source, app).await {
        tracing::warn!(source.id = source.id, error = %e, "sources.announce_failed");
    }
    Ok((source, token))
}

/// Posts the "new integration" item to the flow's team inbox, as the source itself, so the
/// flow sees which application was added, under what name, and by whom.
async fn announce(
    store: &DynStore,
    flow: &FlowRecord,
    source: &SourceRecord,
    app: AppRecord,
) -> ApiResult<()> {
    let creator = match source.creator_id {
        Some(id) => store.user_by_id(id).await?.map(|u| u.name),
        None => None,
    };
    let who = creator.as_deref().unwrap_or("An administrator");
    let title = format!("New integration: {} ({})", app.name, source.name);
    let body = format!(
        "{} added {} to this flow as \u{201c}{}\u{201d}.",
        escape(who),
        escape(&app.name),
        escape(&source.name)
    );
    let poster = Poster::Source {
        source: Box::new(source.clone()),
        app: Box::new(app),
        flow: Box::new(flow.clone()),
    };
    let input = MessageInput::inbox_item(&title, Some(&body), who);
    crate::messages::post_message(store, &poster, flow, input).await?;
    Ok(())
}

/// Names are plain text; the inbox body is HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Removes source `id` for `reason`: from the next request on, its `flow_token` answers 410
/// Gone with the reason.
pub async fn remove(store: &DynStore, id: i64, reason: RemovalReason) -> ApiResult<SourceRecord> {
    Ok(store.remove_source(id, reason.as_str()).await?)
}

/// [`remove`], with the reason by its name, as an operator types it
/// (`tributary admin source delete --reason`): an unknown name is a field error.
pub async fn remove_source(store: &DynStore, id: i64, reason: &str) -> ApiResult<SourceRecord> {
    remove(store, id, reason.parse()?).await
}

/// Longest `error_message` a source may carry, in characters.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 1000;

/// A live source of `flow`, or 404.
pub async fn source_in_flow(
    store: &DynStore,
    flow: &FlowRecord,
    id: &str,
) -> ApiResult<SourceRecord> {
    let not_found = || ApiError::NotFound("Source not found".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    store
        .source_by_id(id)
        .await?
        .filter(|s| s.flow_id == flow.id && s.removed_at.is_none())
        .ok_or_else(not_found)
}

/// The changes of a `PUT`: an absent field stays, an empty string clears it.
pub fn source_changes(
    error_message: Option<String>,
    configuration_url: Option<String>,
) -> ApiResult<crate::store::SourceChanges> {
    let error_message = match error_message {
        None => None,
        Some(m) if m.trim().is_empty() => Some(None),
        Some(m) => {
            let chars = m.chars().count();
            if chars > MAX_ERROR_MESSAGE_CHARS {
                return Err(ApiError::field(
                    "error_message",
                    format!(
                        "is too long ({chars} characters, the limit is {MAX_ERROR_MESSAGE_CHARS})"
                    ),
                ));
            }
            Some(Some(m))
        }
    };
    let configuration_url = match configuration_url {
        None => None,
        Some(u) => Some(crate::urls::optional_web_url("configuration_url", Some(u))?),
    };
    Ok(crate::store::SourceChanges {
        error_message,
        configuration_url,
    })
}
