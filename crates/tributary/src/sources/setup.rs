//! Step 2 and "Integration configuration": expanding an application's setup and
//! configuration URIs, and the two browser redirects that use them.

use axum::extract::{Path, State};
use axum::response::Redirect;

use crate::auth::session::PageOrApiUser;
use crate::error::{ApiError, ApiResult};
use crate::oauth::authorize::with_query;
use crate::state::AppState;

fn encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// The setup URI for one flow: `{flow_id}` and `{flow_url}` are expanded; a template with
/// neither gets `flow=<id>&flow_url=<url>` appended.
pub fn setup_url(template: &str, flow_id: &str, flow_url: &str) -> String {
    if template.contains("{flow_id}") || template.contains("{flow_url}") {
        template
            .replace("{flow_id}", &encode(flow_id))
            .replace("{flow_url}", &encode(flow_url))
    } else {
        with_query(template, &[("flow", flow_id), ("flow_url", flow_url)])
    }
}

/// The configuration URI for one source: `{source_id}` and `{source_url}` are expanded, and
/// `integration_id` and `flow` are always added (flowdock/api-docs docs/production-integrations.md).
pub fn configuration_url(
    template: &str,
    source_id: i64,
    source_url: &str,
    flow_id: &str,
) -> String {
    let id = source_id.to_string();
    let expanded = template
        .replace("{source_id}", &id)
        .replace("{source_url}", &encode(source_url));
    with_query(&expanded, &[("integration_id", &id), ("flow", flow_id)])
}

/// GET /flows/:org/:flow/sources/:id/configure
///
/// Sends the browser to where the source is configured: the `configuration_url` the
/// integration set on the source, else the application's configuration URI.
pub async fn configure_source(
    State(state): State<AppState>,
    user: PageOrApiUser,
    Path((org, flow, id)): Path<(String, String, String)>,
) -> ApiResult<Redirect> {
    let flow = crate::flows::joined(&state.store, user.0.id, &org, &flow).await?;
    let source = super::source_in_flow(&state.store, &flow, &id).await?;
    if let Some(url) = &source.configuration_url {
        return Ok(Redirect::to(url));
    }
    let app = state
        .store
        .app_by_id(source.app_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Application not found".into()))?;
    let template = app.configuration_uri.ok_or_else(|| {
        ApiError::NotFound("This integration's application has no configuration URI".into())
    })?;
    let flow_url = state
        .urls
        .flow(&flow.org.parameterized_name, &flow.parameterized_name);
    let source_url = format!("{flow_url}/sources/{}", source.id);
    Ok(Redirect::to(&configuration_url(
        &template,
        source.id,
        &source_url,
        &flow.id,
    )))
}

/// GET /flows/:org/:flow/integrations/new?app=:id
///
/// Starts adding an application to the flow: redirects to its setup URI. The application
/// must be published, or be the caller's own (developers test before publishing).
pub async fn start_setup(
    State(state): State<AppState>,
    user: PageOrApiUser,
    Path((org, flow)): Path<(String, String)>,
    params: crate::input::Params,
) -> ApiResult<Redirect> {
    let flow = crate::flows::joined(&state.store, user.0.id, &org, &flow).await?;
    let not_found = || ApiError::NotFound("Application not found".into());
    let app_id: i64 = params
        .get_str("app")
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| ApiError::field("app", "must be an application id"))?;
    let app = state
        .store
        .app_by_id(app_id)
        .await?
        .filter(|a| a.published || a.owner_id == user.0.id)
        .ok_or_else(not_found)?;
    let template = app
        .setup_uri
        .ok_or_else(|| ApiError::NotFound("This application has no setup URI".into()))?;
    let flow_url = state
        .urls
        .flow(&flow.org.parameterized_name, &flow.parameterized_name);
    Ok(Redirect::to(&setup_url(&template, &flow.id, &flow_url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_placeholders_expand_or_parameters_are_added() {
        assert_eq!(
            setup_url(
                "https://app.example/flowdock/setup?flow={flow_id}&flow_url={flow_url}",
                "abc-1",
                "https://t.example/flows/acme/main"
            ),
            "https://app.example/flowdock/setup?flow=abc-1&flow_url=https%3A%2F%2Ft.example%2Fflows%2Facme%2Fmain"
        );
        assert_eq!(
            setup_url(
                "https://app.example/setup",
                "abc-1",
                "https://t.example/flows/a/b"
            ),
            "https://app.example/setup?flow=abc-1&flow_url=https%3A%2F%2Ft.example%2Fflows%2Fa%2Fb"
        );
    }

    #[test]
    fn configuration_always_names_the_integration_and_flow() {
        assert_eq!(
            configuration_url(
                "https://app.example/flowdock/configure?source={source_id}&source_url={source_url}",
                7,
                "https://t.example/flows/a/b/sources/7",
                "f-1"
            ),
            "https://app.example/flowdock/configure?source=7&source_url=https%3A%2F%2Ft.example%2Fflows%2Fa%2Fb%2Fsources%2F7&integration_id=7&flow=f-1"
        );
        assert_eq!(
            configuration_url("https://app.example/configure", 7, "u", "f-1"),
            "https://app.example/configure?integration_id=7&flow=f-1"
        );
    }
}
