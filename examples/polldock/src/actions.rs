//! Voting from the flow: each open poll's thread carries one "Vote: <option>" UpdateAction.
//! Tributary sends the click here, signed with Polldock's client secret; the SDK verifies the
//! `FLOWDOCK-TOKEN` and names the Flowdock user. A Flowdock user Polldock does not know yet
//! gets the 401 challenge, whose link leads to the pairing page: the user signs in to
//! Polldock, and Polldock checks through OAuth that they are the Flowdock user the signed
//! claim names before pairing the two accounts (flowdock/api-docs docs/how-to-create-bidirectional-integrations.md).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;
use tributary_sdk::actions::{
    authentication_challenge, claim_token, verify_action_request, verify_claim,
};
use tributary_sdk::Client;

use crate::db::OAuthRequest;
use crate::pages::{escape, page, PageError, PageResult};
use crate::session::{url_encode, User};
use crate::App;

/// How long a pairing link works.
const CLAIM_TTL: Duration = Duration::from_secs(15 * 60);

/// POST /flowdock/polls/:id/vote/:option (an UpdateAction)
pub async fn vote_from_flow(
    State(app): State<App>,
    Path((poll, option)): Path<(i64, i64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Tributary reaches the vote URLs at Polldock's public URL: tokens sent anywhere else
    // (to another integration of the same application) are refused here.
    let flowdock_user =
        match verify_action_request(&headers, &body, &app.client_secret, &app.public_url) {
            Ok(id) => id,
            Err(e) => {
                return (StatusCode::FORBIDDEN, Json(json!({"error": e.to_string()})))
                    .into_response()
            }
        };
    let user = match app.db.paired_user(flowdock_user) {
        Ok(Some(user)) => user,
        Ok(None) => {
            let claim = claim_token(flowdock_user, app.claim_secret.as_bytes(), CLAIM_TTL);
            let url = format!("{}/pair?claim={}", app.public_url, url_encode(&claim));
            return authentication_challenge(&url).into_response();
        }
        Err(e) => return PageError::from(e).into_response(),
    };
    match crate::polls::cast_vote(&app, poll, user, option).await {
        Ok(true) => (StatusCode::OK, Json(json!({}))).into_response(),
        Ok(false) => (
            StatusCode::CONFLICT,
            Json(json!({"error": "The poll is closed or has no such option"})),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct ClaimQuery {
    claim: String,
}

fn flowdock_user(app: &App, claim: &str) -> Result<i64, PageError> {
    verify_claim(claim, app.claim_secret.as_bytes()).map_err(|e| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            format!("This pairing link does not work ({e}); click the action in the flow again"),
        )
    })
}

/// GET /pair?claim=: where the challenge's link leads.
pub async fn show_pairing(
    State(app): State<App>,
    user: User,
    Query(q): Query<ClaimQuery>,
) -> PageResult {
    let id = flowdock_user(&app, &q.claim)?;
    Ok(page(
        "Pair your accounts",
        Some(&user.name),
        &format!(
            "<h1>Vote from your flow</h1>\
             <p>Pair Flowdock user <code id=\"flowdock-user\">{id}</code> with your Polldock account \
             <strong>{}</strong>, so that votes you make in the flow count as yours. Tributary will \
             ask you to confirm who you are.</p>\
             <form method=\"post\" action=\"/pair\"><input type=\"hidden\" name=\"claim\" value=\"{}\">\
             <button type=\"submit\" id=\"pair\">Pair accounts</button></form>",
            escape(&user.name),
            escape(&q.claim)
        ),
    ))
}

/// POST /pair: proves through OAuth that the signed-in Tributary user is the claim's.
pub async fn start_pairing(
    State(app): State<App>,
    user: User,
    Form(q): Form<ClaimQuery>,
) -> PageResult {
    let claimed = flowdock_user(&app, &q.claim)?;
    let request = app.oauth.authorize(&["profile"]);
    app.db.save_oauth_request(
        &request.state,
        &OAuthRequest {
            verifier: request.pkce_verifier.clone(),
            purpose: "pair".into(),
            user_id: user.id,
            flow_id: None,
            claim_user: Some(claimed),
        },
        None,
    )?;
    Ok(Redirect::to(&request.url).into_response())
}

/// The OAuth callback of a pairing: pairs when the authorized user is the claimed one.
pub async fn finish_pairing(
    app: &App,
    user: &User,
    api: &Client,
    claimed: Option<i64>,
) -> PageResult {
    let me = api.users().me().await?;
    if Some(me.id) != claimed {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "You are signed in to Tributary as someone else than the user who clicked the action",
        ));
    }
    app.db.pair(me.id, user.id)?;
    Ok(page(
        "Paired",
        Some(&user.name),
        &format!(
            "<h1 id=\"paired\">Paired</h1><p>Votes {} makes in the flow now count as {}'s. Go back \
             to the flow and click the vote again.</p>",
            escape(&me.name),
            escape(&user.name)
        ),
    ))
}
