//! Thread actions (issue 9): an UpdateAction click sends the action plus `agent` to the
//! integration, signed with the application's client secret; the answer becomes success, an
//! authentication link or an error; every attempt is logged for the organization's admins;
//! private targets need the operator's permission. The integration side is a small axum app
//! on loopback that verifies requests with the SDK, as an integration author would.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tributary::store::AppRecord;
use tributary_sdk::actions::{authentication_challenge, verify_action_request};
use tributary_sdk::thread::{Action, Activity, Author, StatusColor, Thread};
use tributary_sdk::Integration;

use crate::backend_tests;
use crate::browser::{csrf, Browser};
use crate::helpers::{Backend, TestApp, TestUser};
use crate::oauth::{register, CALLBACK};

backend_tests!(
    an_update_action_sends_the_signed_request_and_maps_the_answer,
    attempts_are_logged_for_admins_only,
    browser_sessions_need_the_csrf_token,
);

/// One request the integration received.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    path: String,
    /// The user id the SDK verified from FLOWDOCK-TOKEN, or its error.
    verified: Result<i64, String>,
    body: Value,
}

#[derive(Clone)]
struct Integrator {
    secret: String,
    /// Its own origin, which the token's `aud` must name.
    origin: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

async fn receive(
    State(it): State<Integrator>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let verified =
        verify_action_request(&headers, &body, &it.secret, &it.origin).map_err(|e| e.to_string());
    it.seen.lock().unwrap().push(Received {
        path: uri.path().to_owned(),
        verified: verified.clone(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    if verified.is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    match uri.path() {
        "/ok" => (StatusCode::OK, "{}").into_response(),
        "/pair" => {
            authentication_challenge("http://integrator.example/pair?claim=abc").into_response()
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
    }
}

/// An integration listening on loopback; returns its base URL and what it received.
async fn integrator(secret: &str) -> (String, Arc<Mutex<Vec<Received>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Integrator {
        secret: secret.to_owned(),
        origin: base.clone(),
        seen: seen.clone(),
    };
    let router = Router::new()
        .route("/{*path}", post(receive))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, seen)
}

pub(crate) struct Setup {
    pub app: TestApp,
    pub ann: TestUser,
    pub dev: AppRecord,
    pub source_id: i64,
    pub integration: Integration,
    pub thread_id: String,
    pub target: String,
    pub seen: Arc<Mutex<Vec<Received>>>,
}

/// Ann's flow with an integration whose thread has a ViewAction and four UpdateActions:
/// `/ok` (200), `/pair` (401 challenge), `/fail` (500) and a closed port.
pub(crate) async fn setup(app: TestApp) -> Setup {
    let (ann, _, flow) = app.ann_in_main().await;
    let dev = register(&app, &ann, CALLBACK).await;
    let (source, token) =
        tributary::sources::create_source(&app.store, &flow, dev.id, Some(ann.id), "Polls", None)
            .await
            .unwrap();
    let (target, seen) = integrator(&dev.client_secret).await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let thread = Thread::new("Lunch?")
        .status(StatusColor::Green, "open")
        .action(Action::view("Open", "http://integrator.example/polls/1"))
        .action(Action::update("Vote: Pizza", format!("{target}/ok")))
        .action(Action::update("Vote: Sushi", format!("{target}/pair")))
        .action(Action::update("Close", format!("{target}/fail")))
        .action(Action::update("Gone", format!("http://{closed}/x")));
    let integration = Integration::new(&app.base_url, &token);
    let posted = integration
        .post_activity_and_wait(&Activity::new(
            "polls:1",
            Author::new("Polldock"),
            "created a poll",
            thread,
        ))
        .await
        .unwrap();
    Setup {
        ann,
        dev,
        source_id: source.id,
        integration,
        thread_id: posted.thread_id.unwrap(),
        target,
        seen,
        app,
    }
}

pub(crate) async fn click(s: &Setup, user: &TestUser, index: &str) -> (u16, Value) {
    let res = s
        .app
        .http
        .post(s.app.url(&format!(
            "/flows/acme/main/threads/{}/actions/{index}",
            s.thread_id
        )))
        .basic_auth(&user.token, Some(""))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn an_update_action_sends_the_signed_request_and_maps_the_answer(b: Backend) {
    let s = setup(TestApp::spawn(b).await).await;

    let (status, result) = click(&s, &s.ann, "1").await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["outcome"], "success");
    assert_eq!(result["status"], 200);
    let received = s.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(received.path, "/ok");
    assert_eq!(
        received.verified,
        Ok(s.ann.id),
        "the SDK verifies the token"
    );
    let me = s.ann.client.users().me().await.unwrap();
    assert_eq!(
        received.body,
        json!({
            "@type": "UpdateAction",
            "name": "Vote: Pizza",
            "target": {"@type": "EntryPoint", "urlTemplate": format!("{}/ok", s.target), "httpMethod": "POST"},
            "agent": {"@type": "Person", "name": me.name, "image": me.avatar},
        })
    );

    let (status, result) = click(&s, &s.ann, "2").await;
    assert_eq!(status, 200);
    assert_eq!(result["outcome"], "authenticate");
    assert_eq!(result["status"], 401);
    assert_eq!(
        result["authenticate_url"],
        "http://integrator.example/pair?claim=abc"
    );

    let (_, result) = click(&s, &s.ann, "3").await;
    assert_eq!(result["outcome"], "error");
    assert_eq!(result["status"], 500);
    assert!(
        result["message"].as_str().unwrap().contains("500"),
        "{result}"
    );

    let (_, result) = click(&s, &s.ann, "4").await;
    assert_eq!(result["outcome"], "error");
    assert_eq!(result["status"], Value::Null, "nobody answered");

    // A ViewAction is a link, and an index past the end is no action.
    assert_eq!(click(&s, &s.ann, "0").await.0, 400);
    assert_eq!(click(&s, &s.ann, "5").await.0, 404);
    assert_eq!(click(&s, &s.ann, "x").await.0, 404);
    assert_eq!(
        s.seen.lock().unwrap().len(),
        3,
        "closed port and refusals send nothing"
    );
}

async fn attempts_are_logged_for_admins_only(b: Backend) {
    let s = setup(TestApp::spawn(b).await).await;
    let bob = s.app.user("bob").await;
    let org = s.app.store.org_by_name("acme").await.unwrap().unwrap();
    s.app.join_org(&org, &bob, false).await;
    let flow = s
        .app
        .store
        .flow_by_name("acme", "main")
        .await
        .unwrap()
        .unwrap();
    s.app
        .store
        .set_flow_member(&flow.id, bob.id, true)
        .await
        .unwrap();

    click(&s, &bob, "1").await;
    click(&s, &s.ann, "2").await;
    click(&s, &s.ann, "3").await;

    let path = format!("/flows/acme/main/sources/{}/action_attempts", s.source_id);
    let res = s
        .app
        .http
        .get(s.app.url(&path))
        .basic_auth(&s.ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let attempts: Vec<Value> = res.json().await.unwrap();
    let summary: Vec<(Value, Value, Value, Value)> = attempts
        .iter()
        .map(|a| {
            (
                a["action_name"].clone(),
                a["status"].clone(),
                a["outcome"].clone(),
                a["user"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!("Close"), json!(500), json!("error"), json!(s.ann.id)),
            (
                json!("Vote: Sushi"),
                json!(401),
                json!("authenticate"),
                json!(s.ann.id)
            ),
            (
                json!("Vote: Pizza"),
                json!(200),
                json!("success"),
                json!(bob.id)
            ),
        ],
        "newest first"
    );
    for a in &attempts {
        assert!(a["latency_ms"].as_i64().unwrap() >= 0);
        assert!(a["attempted_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(a["thread_id"], json!(s.thread_id));
        assert_eq!(a["method"], "POST");
    }
    assert_eq!(attempts[0]["url"], format!("{}/fail", s.target));

    // Bob is a member, not an admin; strangers do not see the flow at all.
    let status = |token: String| {
        let app = &s.app;
        let path = path.clone();
        async move {
            app.http
                .get(app.url(&path))
                .basic_auth(token, Some(""))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(bob.token.clone()).await, 403);
    let eve = s.app.user("eve").await;
    assert_eq!(status(eve.token.clone()).await, 404);
    // The log outlives the source.
    tributary::sources::remove_source(&s.app.store, s.source_id, "removed")
        .await
        .unwrap();
    assert_eq!(status(s.ann.token.clone()).await, 200);
}

async fn browser_sessions_need_the_csrf_token(b: Backend) {
    let s = setup(TestApp::spawn(b).await).await;
    let browser = Browser::new(&s.app);
    browser.login(&s.ann).await;
    let url = format!("/flows/acme/main/threads/{}/actions/1", s.thread_id);
    let res = browser.post(&url, &[]).await;
    assert_eq!(res.status(), 403, "the session alone is not enough");
    let res = browser.post(&url, &[("csrf_token", "forged")]).await;
    assert_eq!(res.status(), 403);

    let token = csrf(&browser.page("/developer/applications").await);
    let res = browser.post(&url, &[("csrf_token", &token)]).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["outcome"], "success");
    // Scripts send the token in a header.
    let res = browser
        .http
        .post(s.app.url(&url))
        .header("X-CSRF-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // No session and no credential.
    let res = s.app.http.post(s.app.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(s.seen.lock().unwrap().len(), 2);
}
