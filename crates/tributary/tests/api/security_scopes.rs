//! Issue 15, point 6: every endpoint checks the OAuth scopes of docs/compatibility.md's
//! table. The test walks one table of (method, path, body, scopes): a token without any of
//! the row's scopes gets 403 with a message naming them, a token with only one of them does
//! not, and neither does an API token (which carries every scope). Adding an endpoint means
//! adding a row here and in the docs.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, TestUser};
use crate::oauth::{register, token_request, CALLBACK};

backend_tests!(
    every_endpoint_checks_its_scopes,
    a_profile_token_sees_no_co_members_email,
);

/// Every scope of flowdock/api-docs docs/authentication.md.
const SCOPES: [&str; 6] = [
    "flow",
    "private",
    "manage",
    "profile",
    "offline_access",
    "integration",
];

const OWN_PROFILE: &[&str] = &["profile", "flow", "private", "manage"];
const PEOPLE: &[&str] = &["flow", "manage"];
const FLOW: &[&str] = &["flow"];
const MANAGE: &[&str] = &["manage"];
const FLOW_OR_INTEGRATION: &[&str] = &["flow", "integration"];

/// One endpoint and the scopes of which a token needs at least one.
struct Row {
    method: Method,
    path: String,
    body: Option<Value>,
    scopes: &'static [&'static str],
}

fn row(method: Method, path: &str, scopes: &'static [&'static str]) -> Row {
    Row {
        method,
        path: path.to_owned(),
        body: None,
        scopes,
    }
}

fn with_body(method: Method, path: &str, body: Value, scopes: &'static [&'static str]) -> Row {
    Row {
        body: Some(body),
        ..row(method, path, scopes)
    }
}

/// What the table's paths point at.
struct World {
    app: TestApp,
    ann: TestUser,
    bob: TestUser,
    flow_id: String,
    message_id: i64,
    source_id: i64,
    app_id: i64,
    client: (String, String),
    /// No redirects followed: the setup and configure routes redirect to the integration.
    http: reqwest::Client,
    tokens: HashMap<String, String>,
}

impl World {
    /// Ann, admin of Acme and member of its flow Main with Bob; one message and one source
    /// there; an application marked for the password grant, which mints the tokens.
    async fn new(b: Backend) -> World {
        let app = TestApp::spawn(b).await;
        let (ann, bob, _org, flow) = app.ann_and_bob_in_main().await;
        let dev = register(&app, &ann, CALLBACK).await;
        let (source, _) = crate::messaging::source(&app, &flow, &dev, "Polls").await;
        let res = app
            .http
            .post(app.url("/flows/acme/main/messages"))
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"event": "message", "content": "hello"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let message: Value = res.json().await.unwrap();
        World {
            ann,
            bob,
            flow_id: flow.id,
            message_id: message["id"].as_i64().unwrap(),
            source_id: source.id,
            app_id: dev.id,
            client: (dev.client_id, dev.client_secret),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            tokens: HashMap::new(),
            app,
        }
    }

    /// The endpoint × scope table of docs/compatibility.md ("Security review (issue 15):
    /// passwords and scopes"), with paths that exist where existence matters.
    fn table(&self) -> Vec<Row> {
        use Method as M;
        let (flow_id, message, source) = (&self.flow_id, self.message_id, self.source_id);
        let (ann, bob, app_id) = (self.ann.id, self.bob.id, self.app_id);
        let main = "/flows/acme/main";
        vec![
            // Users and organizations.
            row(M::GET, "/user", OWN_PROFILE),
            row(M::GET, &format!("/users/{ann}"), OWN_PROFILE),
            row(M::GET, "/users", PEOPLE),
            row(M::GET, &format!("/users/{bob}"), PEOPLE),
            row(M::GET, "/organizations", PEOPLE),
            row(M::GET, "/organizations/acme", PEOPLE),
            row(M::GET, "/organizations/acme/users", PEOPLE),
            // Flows.
            row(M::GET, "/flows", FLOW),
            row(M::GET, "/flows?users=1", FLOW),
            row(M::GET, "/flows/all", FLOW),
            row(
                M::GET,
                &format!("/flows/find?id={flow_id}"),
                FLOW_OR_INTEGRATION,
            ),
            row(M::GET, main, FLOW_OR_INTEGRATION),
            row(M::GET, &format!("{main}/users"), FLOW),
            with_body(M::POST, "/flows/acme", json!({}), MANAGE),
            with_body(M::PUT, main, json!({"open": true}), FLOW),
            with_body(M::PUT, main, json!({"name": "Main"}), MANAGE),
            // Messages, comments and threads.
            row(M::GET, &format!("{main}/messages"), FLOW),
            row(M::GET, &format!("/messages?flow={flow_id}"), FLOW),
            with_body(M::POST, &format!("{main}/messages"), json!({}), FLOW),
            with_body(M::POST, "/messages", json!({}), FLOW),
            row(M::GET, &format!("{main}/messages/{message}"), FLOW),
            with_body(
                M::PUT,
                &format!("{main}/messages/{message}"),
                json!({}),
                FLOW,
            ),
            row(M::DELETE, &format!("{main}/messages/999999"), FLOW),
            with_body(
                M::POST,
                &format!("{main}/messages/{message}/comments"),
                json!({}),
                FLOW,
            ),
            with_body(M::POST, "/comments", json!({}), FLOW),
            row(M::GET, &format!("{main}/threads"), FLOW),
            row(M::GET, &format!("{main}/threads/nope"), FLOW),
            row(M::GET, &format!("{main}/threads/nope/messages"), FLOW),
            with_body(
                M::POST,
                &format!("{main}/threads/nope/messages"),
                json!({}),
                FLOW,
            ),
            row(M::POST, &format!("{main}/threads/nope/actions/0"), FLOW),
            // Files and streams.
            row(M::GET, &format!("/files/{flow_id}/nope/a.txt"), FLOW),
            row(M::GET, &format!("/stream{main}"), FLOW),
            row(M::GET, "/stream/flows?filter=acme/main", FLOW),
            row(M::GET, "/stream/flows?user=1", &["private"]),
            row(M::GET, "/stream?user=1", &["private"]),
            row(M::GET, &format!("/stream/private/{bob}"), &["private"]),
            // Private conversations and messages (issue 17).
            row(M::GET, "/private", &["private"]),
            row(M::GET, &format!("/private/{bob}"), &["private"]),
            with_body(M::PUT, &format!("/private/{bob}"), json!({}), &["private"]),
            row(M::GET, &format!("/private/{bob}/messages"), &["private"]),
            with_body(
                M::POST,
                &format!("/private/{bob}/messages"),
                json!({}),
                &["private"],
            ),
            row(
                M::GET,
                &format!("/private/{bob}/messages/999999"),
                &["private"],
            ),
            with_body(
                M::PUT,
                &format!("/private/{bob}/messages/999999"),
                json!({}),
                &["private"],
            ),
            row(
                M::DELETE,
                &format!("/private/{bob}/messages/999999"),
                &["private"],
            ),
            row(M::GET, "/files/private-1-2/nope/a.txt", &["private"]),
            // Sources and integrations.
            row(M::GET, "/sources", FLOW_OR_INTEGRATION),
            row(M::GET, &format!("{main}/sources"), FLOW_OR_INTEGRATION),
            row(M::GET, &format!("{main}/integrations"), FLOW_OR_INTEGRATION),
            // With a user credential, `application_id` names the application.
            with_body(
                M::POST,
                &format!("{main}/sources"),
                json!({"application_id": app_id}),
                &["integration"],
            ),
            row(
                M::GET,
                &format!("{main}/sources/{source}"),
                FLOW_OR_INTEGRATION,
            ),
            // flowdock/api-docs docs/sources.md's spelling of the same resource.
            row(
                M::GET,
                &format!("{main}/source/{source}"),
                FLOW_OR_INTEGRATION,
            ),
            with_body(
                M::PUT,
                &format!("{main}/sources/{source}"),
                json!({}),
                FLOW_OR_INTEGRATION,
            ),
            row(
                M::DELETE,
                &format!("{main}/sources/999999"),
                FLOW_OR_INTEGRATION,
            ),
            row(
                M::GET,
                &format!("{main}/sources/{source}/configure"),
                FLOW_OR_INTEGRATION,
            ),
            row(
                M::GET,
                &format!("{main}/integrations/new?app={app_id}"),
                FLOW_OR_INTEGRATION,
            ),
            row(
                M::GET,
                &format!("{main}/sources/{source}/action_attempts"),
                PEOPLE,
            ),
            // Developer applications.
            row(M::GET, "/oauth/applications", MANAGE),
            with_body(M::POST, "/oauth/applications", json!({}), MANAGE),
        ]
    }

    /// An access token with exactly `scopes`, through the password grant (one per set).
    async fn token(&mut self, scopes: &[&str]) -> String {
        let list = scopes.join(" ");
        if let Some(t) = self.tokens.get(&list) {
            return t.clone();
        }
        let (status, body) = token_request(
            &self.app,
            &[
                ("grant_type", "password"),
                ("client_id", &self.client.0),
                ("client_secret", &self.client.1),
                ("username", &self.ann.email),
                ("password", &self.ann.password),
                ("scope", &list),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], list.as_str());
        let token = body["access_token"].as_str().unwrap().to_owned();
        self.tokens.insert(list, token.clone());
        token
    }

    /// Sends the row's request; the response is dropped at once, which ends a stream.
    async fn send(&self, r: &Row, auth: Auth<'_>) -> (u16, Value) {
        let mut req = self.http.request(r.method.clone(), self.app.url(&r.path));
        req = match auth {
            Auth::Bearer(token) => req.bearer_auth(token),
            Auth::ApiToken(token) => req.basic_auth(token, Some("")),
        };
        if let Some(body) = &r.body {
            req = req.json(body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let streaming = r.path.starts_with("/stream") && status == 200;
        let body = if streaming {
            Value::Null
        } else {
            res.json().await.unwrap_or(Value::Null)
        };
        (status, body)
    }
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Bearer(&'a str),
    ApiToken(&'a str),
}

async fn every_endpoint_checks_its_scopes(b: Backend) {
    let mut w = World::new(b).await;
    let mut failures = Vec::new();
    for r in w.table() {
        let what = format!("{} {} (needs {})", r.method, r.path, r.scopes.join(" or "));
        // Every other scope is not enough.
        let others: Vec<&str> = SCOPES
            .iter()
            .copied()
            .filter(|s| !r.scopes.contains(s))
            .collect();
        let token = w.token(&others).await;
        let (status, body) = w.send(&r, Auth::Bearer(&token)).await;
        let message = body["message"].as_str().unwrap_or("");
        if status != 403 || !r.scopes.iter().all(|s| message.contains(s)) {
            failures.push(format!(
                "{what} with `{}`: {status} {body}",
                others.join(" ")
            ));
        }
        // Any one of them is.
        for scope in r.scopes {
            let token = w.token(&[scope]).await;
            let (status, body) = w.send(&r, Auth::Bearer(&token)).await;
            if matches!(status, 401 | 403 | 500) {
                failures.push(format!("{what} with `{scope}`: {status} {body}"));
            }
        }
        // API tokens carry every scope.
        let api_token = w.ann.token.clone();
        let (status, body) = w.send(&r, Auth::ApiToken(&api_token)).await;
        if matches!(status, 401 | 403 | 500) {
            failures.push(format!("{what} with the API token: {status} {body}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn a_profile_token_sees_no_co_members_email(b: Backend) {
    let mut w = World::new(b).await;
    let bob_email = w.bob.email.clone();
    // `profile` shows the caller's own profile, email included.
    let profile = w.token(&["profile"]).await;
    let me = row(Method::GET, "/user", OWN_PROFILE);
    let (status, body) = w.send(&me, Auth::Bearer(&profile)).await;
    assert_eq!(
        (status, body["email"].as_str()),
        (200, Some(w.ann.email.as_str()))
    );
    // `profile integration` (what the example integration asks for) finds the flow it adds a
    // source to, but not who is in it.
    let integration = w.token(&["profile", "integration"]).await;
    let find = row(Method::GET, &format!("/flows/find?id={}", w.flow_id), &[]);
    let (status, body) = w.send(&find, Auth::Bearer(&integration)).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.to_string().contains(&bob_email), "{body}");
    assert_eq!(body["links"]["messages"]["methods"], json!([]), "{body}");
    assert_eq!(body["links"]["sources"]["methods"], json!(["GET", "POST"]));
    // With `flow` the members come along, as Flowdock shows them.
    let flow = w.token(&["flow"]).await;
    let (status, body) = w.send(&find, Auth::Bearer(&flow)).await;
    assert_eq!(status, 200);
    assert!(body.to_string().contains(&bob_email), "{body}");
}
