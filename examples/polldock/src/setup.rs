//! The integration guide, steps 2 to 4, and integration configuration:
//!
//! 1. `GET /flowdock/setup?flow=&flow_url=`: Tributary sends the user here from Inbox
//!    Settings. The user signs in to Polldock, then goes to authorize it (OAuth with `state`
//!    and PKCE, through the SDK).
//! 2. `GET /auth/flowdock/callback`: the code is exchanged, the flow is found
//!    (`GET /flows/find`), and a confirmation screen names it.
//! 3. `POST /flowdock/confirm`: the source is created through the flow's `links.sources`,
//!    and its `flow_token` and id are stored at once.
//! 4. `GET /flowdock/configure?integration_id=&flow=`: Tributary's Configure button; the
//!    user chooses which events are posted.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use serde::Deserialize;
use tributary_sdk::types::CreateSource;
use tributary_sdk::Client;

use crate::db::{self, OAuthRequest};
use crate::pages::{escape, page, PageError, PageResult};
use crate::session::{random_token, MaybeUser, User};
use crate::App;

/// GET /integrations: the flows Polldock posts to.
pub async fn list_integrations(State(app): State<App>, MaybeUser(user): MaybeUser) -> PageResult {
    let mut b = String::from("<h1>Flows</h1><ul id=\"integrations\">");
    for i in app.db.integrations()? {
        b.push_str(&format!(
            "<li data-source=\"{}\"><a href=\"{}\">{}</a> as \u{201c}{}\u{201d}{}</li>",
            i.source_id,
            escape(&i.flow_web_url),
            escape(&i.flow_name),
            escape(&i.name),
            match &i.error {
                Some(e) => format!(" · <em>{}</em>", escape(e)),
                None => String::new(),
            }
        ));
    }
    b.push_str("</ul><p>Add Polldock to a flow from the flow's Inbox Settings.</p>");
    Ok(page("Flows", user.as_ref().map(|u| u.1.as_str()), &b))
}

#[derive(Deserialize)]
pub struct SetupQuery {
    flow: String,
    #[serde(default)]
    flow_url: Option<String>,
}

/// GET /flowdock/setup?flow=:id&flow_url=:url
pub async fn start_setup(
    State(app): State<App>,
    user: User,
    Query(q): Query<SetupQuery>,
) -> PageResult {
    // `flow` names the flow the consent page should show.
    let request = app
        .oauth
        .authorize_with(&["flow", "integration"], &[("flow", q.flow.as_str())]);
    app.db.save_oauth_request(
        &request.state,
        &OAuthRequest {
            verifier: request.pkce_verifier.clone(),
            purpose: "setup".into(),
            user_id: user.id,
            flow_id: Some(q.flow.clone()),
            claim_user: None,
        },
        q.flow_url.as_deref(),
    )?;
    Ok(Redirect::to(&request.url).into_response())
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// GET /auth/flowdock/callback: finishes an authorization started by the setup or the
/// pairing page.
pub async fn callback(
    State(app): State<App>,
    user: User,
    Query(q): Query<CallbackQuery>,
) -> PageResult {
    let state = q.state.unwrap_or_default();
    // Looking the state up (and removing it) is the check: only states Polldock issued, once.
    let request = app
        .db
        .take_oauth_request(&state)?
        .filter(|r| r.user_id == user.id)
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, "Unknown or reused state"))?;
    if let Some(e) = q.error {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            format!("Tributary did not authorize Polldock: {e}"),
        ));
    }
    let code = q
        .code
        .ok_or_else(|| PageError::new(StatusCode::BAD_REQUEST, "No code"))?;
    let tokens = app.oauth.exchange_code(&code, &request.verifier).await?;
    let api = app.oauth.client(&tokens);
    if request.purpose == "pair" {
        return crate::actions::finish_pairing(&app, &user, &api, request.claim_user).await;
    }
    let flow_id = request.flow_id.unwrap_or_default();
    let flow = api.flows().find(&flow_id).await?;
    let pending = random_token();
    app.db
        .save_pending_setup(&pending, user.id, &tokens.access_token, &flow.id)?;
    // The guide: "display a confirmation screen for the user when creating the source".
    Ok(page(
        "Add Polldock to the flow",
        Some(&user.name),
        &format!(
            "<h1>Add Polldock to <span id=\"flow-name\">{}</span>?</h1>\
             <p>Organization: {}. Polls and votes will appear in the flow's team inbox.</p>\
             <form method=\"post\" action=\"/flowdock/confirm\">\
             <input type=\"hidden\" name=\"pending\" value=\"{}\">\
             <label>Name of this integration <input name=\"name\" id=\"source-name\" value=\"Polldock polls\"></label>\
             <button type=\"submit\" id=\"confirm\">Add to flow</button></form>",
            escape(&flow.name),
            escape(&flow.organization.name),
            escape(&pending)
        ),
    ))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    pending: String,
    #[serde(default)]
    name: String,
}

/// POST /flowdock/confirm
pub async fn confirm(State(app): State<App>, user: User, Form(f): Form<ConfirmForm>) -> PageResult {
    let (token, flow_id) = app
        .db
        .pending_setup(&f.pending, user.id)?
        .ok_or_else(PageError::not_found)?;
    let api = Client::new(&app.tributary_url).with_bearer(&token);
    let flow = api.flows().find(&flow_id).await?;
    let name = match f.name.trim() {
        "" => "Polldock polls",
        n => n,
    };
    let source = api
        .sources()
        .create_in(
            &flow,
            &CreateSource {
                name: name.to_owned(),
                external_url: Some(format!("{}/", app.public_url)),
            },
        )
        .await?;
    // The token is shown this once: store it before anything else can fail.
    let flow_token = source
        .flow_token
        .clone()
        .ok_or_else(|| PageError::new(StatusCode::BAD_GATEWAY, "No flow_token in the answer"))?;
    app.db.finish_setup(
        &f.pending,
        &db::Integration {
            id: 0,
            source_id: source.id,
            flow_id: flow.id.clone(),
            flow_name: flow.name.clone(),
            flow_web_url: flow.web_url.clone(),
            flow_token,
            name: source.name.clone(),
            post_created: true,
            post_votes: true,
            post_closed: true,
            post_comments: true,
            failures: 0,
            error: None,
        },
        user.id,
    )?;
    Ok(page(
        "Polldock added",
        Some(&user.name),
        &format!(
            "<h1 id=\"added\">Polldock now posts to {}</h1><p><a id=\"back-to-flow\" href=\"{}\">Back to the flow</a> · \
             <a href=\"/\">Create a poll</a></p>",
            escape(&flow.name),
            escape(&flow.web_url)
        ),
    ))
}

#[derive(Deserialize)]
pub struct ConfigureQuery {
    integration_id: i64,
    flow: String,
}

fn checkbox(name: &str, label: &str, on: bool) -> String {
    format!(
        "<p><label><input type=\"checkbox\" name=\"{name}\" id=\"{name}\" value=\"1\"{}> {label}</label></p>",
        if on { " checked" } else { "" }
    )
}

/// GET /flowdock/configure?integration_id=:source&flow=:flow
pub async fn show_configuration(
    State(app): State<App>,
    user: User,
    Query(q): Query<ConfigureQuery>,
) -> PageResult {
    let i = app
        .db
        .integration_for(q.integration_id, &q.flow)?
        .ok_or_else(PageError::not_found)?;
    Ok(page(
        "Configure Polldock",
        Some(&user.name),
        &format!(
            "<h1>Polldock in {}</h1>\
             <p>Integration <code id=\"integration-id\">{}</code> in flow <code id=\"flow-id\">{}</code></p>\
             <form method=\"post\" action=\"/flowdock/configure?integration_id={}&amp;flow={}\">\
             {}{}{}{}<button type=\"submit\" id=\"save\">Save</button></form>",
            escape(&i.flow_name),
            i.source_id,
            escape(&i.flow_id),
            i.source_id,
            crate::session::url_encode(&i.flow_id),
            checkbox("post_created", "New polls", i.post_created),
            checkbox("post_votes", "Votes", i.post_votes),
            checkbox("post_closed", "Closed polls", i.post_closed),
            checkbox("post_comments", "Comments", i.post_comments),
        ),
    ))
}

#[derive(Deserialize)]
pub struct ConfigureForm {
    #[serde(default)]
    post_created: Option<String>,
    #[serde(default)]
    post_votes: Option<String>,
    #[serde(default)]
    post_closed: Option<String>,
    #[serde(default)]
    post_comments: Option<String>,
}

/// POST /flowdock/configure?integration_id=:source&flow=:flow
pub async fn save_configuration(
    State(app): State<App>,
    user: User,
    Query(q): Query<ConfigureQuery>,
    Form(f): Form<ConfigureForm>,
) -> PageResult {
    let i = app
        .db
        .integration_for(q.integration_id, &q.flow)?
        .ok_or_else(PageError::not_found)?;
    app.db.configure(
        i.id,
        f.post_created.is_some(),
        f.post_votes.is_some(),
        f.post_closed.is_some(),
        f.post_comments.is_some(),
    )?;
    let _ = user;
    Ok(Redirect::to(&format!(
        "/flowdock/configure?integration_id={}&flow={}",
        i.source_id,
        crate::session::url_encode(&i.flow_id)
    ))
    .into_response())
}
