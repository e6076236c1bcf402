//! One developer application's page: its credentials, the secret rotation, the flow dropdown
//! that generates the setup URI ("Start setup process"), and the source generation tool that
//! shows a test `flow_token` once.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::developer::{app_page, own_app};
use super::error::WebError;
use super::manage::PostedForm;
use super::{html, Nav};
use crate::apps::manage::rotate_secret as rotate;
use crate::auth::session::SignedIn;
use crate::input::Params;
use crate::sources::setup::setup_url;
use crate::state::AppState;
use crate::store::{AppRecord, FlowForUser};

pub struct FlowChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

pub struct NewSource {
    pub name: String,
    pub flow_label: String,
    pub flow_token: String,
}

#[derive(Template)]
#[template(path = "app_show.html")]
struct ShowPage {
    nav: Nav,
    csrf: String,
    app: AppRecord,
    flows: Vec<FlowChoice>,
    /// The generated setup URI for the selected flow.
    setup: Option<(String, String)>,
    new_source: Option<NewSource>,
    error: Option<String>,
}

fn label(f: &FlowForUser) -> String {
    format!("{} / {}", f.flow.org.name, f.flow.name)
}

async fn render(
    state: &AppState,
    signed: &SignedIn,
    app: AppRecord,
    selected: Option<&str>,
    new_source: Option<NewSource>,
    error: Option<String>,
) -> Result<Response, WebError> {
    let flows = state.store.flows_for_user(signed.user.id, false).await?;
    let setup = match (selected, &app.setup_uri) {
        (Some(id), Some(template)) => flows.iter().find(|f| f.flow.id == id).map(|f| {
            let flow_url = state
                .urls
                .flow(&f.flow.org.parameterized_name, &f.flow.parameterized_name);
            (label(f), setup_url(template, &f.flow.id, &flow_url))
        }),
        _ => None,
    };
    html(ShowPage {
        nav: Nav::of(&state.store, &signed.user, &signed.browser).await?,
        csrf: signed.browser.csrf_token(),
        app,
        flows: flows
            .iter()
            .map(|f| FlowChoice {
                id: f.flow.id.clone(),
                label: label(f),
                selected: Some(f.flow.id.as_str()) == selected,
            })
            .collect(),
        setup,
        new_source,
        error,
    })
}

/// GET /developer/applications/:id (`?flow=` generates the setup URI for that flow)
pub async fn show_application(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    let app = own_app(&state, &signed, &id).await?;
    render(&state, &signed, app, params.get_str("flow"), None, None).await
}

/// POST /developer/applications/:id/secret
pub async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PostedForm { signed, .. }: PostedForm,
) -> Result<Response, WebError> {
    let app = own_app(&state, &signed, &id).await?;
    rotate(&state.store, &app).await?;
    Ok(app_page(app.id))
}

/// POST /developer/applications/:id/sources: the source generation tool. The answer is the
/// page itself, showing the new `flow_token` this once.
pub async fn create_test_source(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PostedForm { signed, params }: PostedForm,
) -> Result<Response, WebError> {
    let app = own_app(&state, &signed, &id).await?;
    let flow_id = params.get_str("flow").unwrap_or_default();
    let name = params.get_str("name").unwrap_or_default();
    let flow = crate::flows::visible_flow_by_id(&state.store, signed.user.id, flow_id)
        .await?
        .flow;
    match crate::sources::create_source(
        &state.store,
        &flow,
        app.id,
        Some(signed.user.id),
        name,
        None,
    )
    .await
    {
        Ok((source, token)) => {
            let shown = NewSource {
                name: source.name,
                flow_label: format!("{} / {}", flow.org.name, flow.name),
                flow_token: token,
            };
            render(&state, &signed, app, None, Some(shown), None).await
        }
        Err(crate::error::ApiError::Validation(_)) => {
            let message = "Give the source a name.".to_owned();
            render(&state, &signed, app, None, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
