//! One JSON request and its answer, for the member-management tests: the status and the body
//! (`null` when there is none), a list of requests and their statuses, OAuth tokens with
//! chosen scopes, and the end of a stream.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tributary::auth::Scopes;

use crate::helpers::{Settings, TestApp, TestUser};
use crate::oauth::{register, CALLBACK};
use crate::stream_reader::StreamReader;

/// `method path` with `token` as Basic auth (or Bearer, when it is an OAuth token) and
/// `body` as JSON.
pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.http.request(method, app.url(path));
    req = match token.strip_prefix("Bearer ") {
        Some(bearer) => req.bearer_auth(bearer),
        None => req.basic_auth(token, Some("")),
    };
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value = match text.is_empty() {
        true => Value::Null,
        false => serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON: {text}")),
    };
    (status, value)
}

/// `"Bearer <access token>"` of `user` with only `scopes`, for [`call`].
pub(crate) async fn scoped(app: &TestApp, user: &TestUser, scopes: Scopes) -> String {
    let dev = register(app, user, CALLBACK).await;
    let family = tributary::secrets::new_token(8);
    let (row, issued) = tributary::oauth::mint(dev.id, user.id, scopes, &family);
    app.store.create_oauth_token(row).await.unwrap();
    format!("Bearer {}", issued.access_token)
}

/// One request of [`steps`]: method, path, token, body, and the status it must answer.
/// The flow of `team` (Ann and Bob are its members).
pub(crate) const MAIN: &str = "/flows/acme/main";

pub(crate) type Step<'a> = (Method, String, &'a str, Option<Value>, u16);

/// Sends each step in turn and checks its status, naming the step that failed.
pub(crate) async fn steps(app: &TestApp, steps: Vec<Step<'_>>) {
    for (i, (method, path, token, body, want)) in steps.into_iter().enumerate() {
        let (status, answer) = call(app, method.clone(), &path, token, body).await;
        assert_eq!(status, want, "step {i}: {method} {path}: {answer}");
    }
}

/// Reads a JSON stream up to its `stream-end` event, which must come within 5 s.
pub(crate) async fn stream_end(stream: &mut StreamReader) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.next_json().await {
                Some(v) if v["event"] == "stream-end" => return v,
                Some(_) => continue,
                None => panic!("the stream closed without a stream-end event"),
            }
        }
    })
    .await
    .expect("the stream ends within a few keep-alives")
}

/// A server whose stream sweeper runs every 200 ms, so that a removal ends streams quickly.
pub(crate) fn fast_sweeps() -> Settings {
    Settings {
        keepalive: Duration::from_millis(200),
        ..Settings::default()
    }
}
