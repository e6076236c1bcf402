//! Snapshot tests of the Flowdock JSON shapes: every resource a client reads, as the API
//! answers it, with the values that change from run to run (ids that are random, times,
//! secrets, the server's port) replaced by placeholders. A change to the wire format shows up
//! as a diff of `snapshots/*.snap`, reviewed like code. Both backends compare against the same
//! snapshot, so they also answer the same shape as each other.

use serde_json::{json, Map, Value};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, TestUser};
use crate::oauth::{register, CALLBACK};

backend_tests!(
    people_and_organizations_keep_their_shape,
    flows_keep_their_shape,
    messages_of_every_event_kind_keep_their_shape,
    threads_sources_and_applications_keep_their_shape,
);

/// Keys whose values differ on every run, whatever they hold.
const VOLATILE: &[&str] = &[
    "created_at",
    "updated_at",
    "sent",
    "edited_at",
    "last_activity",
    "flow_token",
    "api_token",
    "client_id",
    "client_secret",
    "email",
    "sha256",
    "join_url",
    "last_post_at",
];

/// The placeholder the test's base URL becomes, so that ports do not show.
const BASE: &str = "http://tributary.test";

/// Replaces what changes between runs: volatile keys, the base URL, the random flow and thread
/// ids (given in `ids`, longest first so that no id is a prefix of another's replacement).
pub(crate) fn stable(v: &Value, base_url: &str, ids: &[(&str, &str)]) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let v = if VOLATILE.contains(&k.as_str()) && !v.is_null() {
                    Value::String(format!("[{k}]"))
                } else {
                    stable(v, base_url, ids)
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| stable(v, base_url, ids)).collect())
        }
        Value::String(s) => {
            let mut s = s.replace(base_url, BASE);
            for (id, name) in ids {
                s = s.replace(id, name);
            }
            Value::String(s)
        }
        other => other.clone(),
    }
}

pub(crate) async fn get(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let res = app
        .http
        .get(app.url(path))
        .basic_auth(&user.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

pub(crate) async fn post(app: &TestApp, path: &str, auth: Option<&str>, body: Value) -> Value {
    let mut req = app
        .http
        .post(app.url(path))
        .header("x-flowdock-wait-for-message", "true")
        .json(&body);
    if let Some(token) = auth {
        req = req.basic_auth(token, Some(""));
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

/// A flow with two members, for the tests below.
async fn acme(app: &TestApp) -> (TestUser, TestUser) {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Main", AccessMode::Organization, &[&ann, &bob])
        .await;
    (ann, bob)
}

/// Ann's application, installed in acme/main as the source "Tracker" with `extra` fields:
/// the application's id, the created source, and its `flow_token`.
async fn tracker(app: &TestApp, ann: &TestUser, extra: Value) -> (i64, Value, String) {
    let dev = register(app, ann, CALLBACK).await;
    let mut body = json!({"name": "Tracker", "application_id": dev.id});
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    let source = post(app, "/flows/acme/main/sources", Some(&ann.token), body).await;
    let flow_token = source["flow_token"].as_str().unwrap().to_owned();
    (dev.id, source, flow_token)
}

async fn people_and_organizations_keep_their_shape(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = acme(&app).await;
    let s = |v: &Value| stable(v, &app.base_url, &[]);
    insta::assert_json_snapshot!("user", s(&get(&app, &ann, "/user").await));
    insta::assert_json_snapshot!(
        "user_by_id",
        s(&get(&app, &ann, &format!("/users/{}", bob.id)).await)
    );
    insta::assert_json_snapshot!(
        "organization",
        s(&get(&app, &ann, "/organizations/acme").await)
    );
    insta::assert_json_snapshot!(
        "organization_users",
        s(&get(&app, &ann, "/organizations/acme/users").await)
    );
}

async fn flows_keep_their_shape(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _bob) = acme(&app).await;
    let flow = get(&app, &ann, "/flows/acme/main").await;
    let flow_id = flow["id"].as_str().unwrap().to_owned();
    let ids = [(flow_id.as_str(), "[flow id]")];
    let s = |v: &Value| stable(v, &app.base_url, &ids);
    insta::assert_json_snapshot!("flow", s(&flow));
    insta::assert_json_snapshot!(
        "flows_with_users",
        s(&get(&app, &ann, "/flows?users=1").await)
    );
    insta::assert_json_snapshot!(
        "flow_users",
        s(&get(&app, &ann, "/flows/acme/main/users").await)
    );
}

async fn messages_of_every_event_kind_keep_their_shape(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _bob) = acme(&app).await;
    let (_dev, _source, flow_token) = tracker(&app, &ann, json!({})).await;
    let path = "/flows/acme/main/messages";
    let chat = post(
        &app,
        path,
        Some(&ann.token),
        json!({"event": "message", "content": "Hello @bob, see #launch", "tags": ["plan"]}),
    )
    .await;
    let comment = post(
        &app,
        &format!("/flows/acme/main/messages/{}/comments", chat["id"]),
        Some(&ann.token),
        json!({"content": "A comment"}),
    )
    .await;
    let status = post(
        &app,
        path,
        Some(&ann.token),
        json!({"event": "status", "content": "Away"}),
    )
    .await;
    let file = post(
        &app,
        path,
        Some(&ann.token),
        json!({"event": "file", "content": {"data": "aGVsbG8=", "content_type": "text/plain", "file_name": "hello.txt"}}),
    )
    .await;
    let thread = json!({
        "title": "Fix the login page",
        "body": "<p>The <b>button</b> is gone</p>",
        "external_url": "https://tracker.example/issues/42",
        "status": {"color": "green", "value": "open"},
        "fields": [{"label": "Assignee", "value": "ann"}],
        "actions": [{"@type": "ViewAction", "name": "Open", "target": {"@type": "EntryPoint", "urlTemplate": "https://tracker.example/issues/42"}}],
    });
    let activity = post(
        &app,
        &format!("/messages?flow_token={flow_token}"),
        None,
        json!({
            "event": "activity", "title": "opened issue #42", "external_thread_id": "issue-42",
            "author": {"name": "Octocat", "avatar": "https://avatars.example/octocat.png"},
            "thread": thread,
        }),
    )
    .await;
    let discussion = post(
        &app,
        &format!("/messages?flow_token={flow_token}"),
        None,
        json!({
            "event": "discussion", "title": "commented", "external_thread_id": "issue-42",
            "body": "Looks <i>fine</i>", "author": {"name": "Octocat"}, "thread": thread,
        }),
    )
    .await;
    let chat_thread = chat["thread_id"].as_str().unwrap().to_owned();
    let inbox_thread = activity["thread_id"].as_str().unwrap().to_owned();
    let file_thread = file["thread_id"].as_str().unwrap().to_owned();
    let flow_id = chat["flow"].as_str().unwrap().to_owned();
    let file_id = file["content"]["path"]
        .as_str()
        .and_then(|p| p.split('/').nth_back(1))
        .unwrap_or("")
        .to_owned();
    let mut ids = vec![
        (chat_thread.as_str(), "[chat thread id]"),
        (inbox_thread.as_str(), "[inbox thread id]"),
        (file_thread.as_str(), "[file thread id]"),
        (flow_id.as_str(), "[flow id]"),
        (file_id.as_str(), "[file id]"),
    ];
    ids.retain(|(id, _)| !id.is_empty());
    ids.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
    let s = |v: &Value| stable(v, &app.base_url, &ids);
    insta::assert_json_snapshot!("message_chat", s(&chat));
    insta::assert_json_snapshot!("message_comment", s(&comment));
    insta::assert_json_snapshot!("message_status", s(&status));
    insta::assert_json_snapshot!("message_file", s(&file));
    insta::assert_json_snapshot!("message_activity", s(&activity));
    insta::assert_json_snapshot!("message_discussion", s(&discussion));
    insta::assert_json_snapshot!(
        "message_list",
        s(&get(&app, &ann, "/flows/acme/main/messages?limit=3").await)
    );
}

async fn threads_sources_and_applications_keep_their_shape(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _bob) = acme(&app).await;
    let extra = json!({"external_url": "https://tracker.example"});
    let (dev, source, flow_token) = tracker(&app, &ann, extra).await;
    let activity = post(
        &app,
        &format!("/messages?flow_token={flow_token}"),
        None,
        json!({
            "event": "activity", "title": "opened issue #7", "external_thread_id": "issue-7",
            "author": {"name": "Octocat"},
            "thread": {"title": "Crash on start", "status": {"color": "red", "value": "bug"}},
        }),
    )
    .await;
    let thread_id = activity["thread_id"].as_str().unwrap().to_owned();
    let flow_id = activity["flow"].as_str().unwrap().to_owned();
    let ids = [
        (thread_id.as_str(), "[thread id]"),
        (flow_id.as_str(), "[flow id]"),
    ];
    let s = |v: &Value| stable(v, &app.base_url, &ids);
    insta::assert_json_snapshot!("source_created", s(&source));
    insta::assert_json_snapshot!(
        "thread",
        s(&get(&app, &ann, &format!("/flows/acme/main/threads/{thread_id}")).await)
    );
    let source_id = source["id"].as_i64().unwrap();
    insta::assert_json_snapshot!(
        "source",
        s(&get(&app, &ann, &format!("/flows/acme/main/sources/{source_id}")).await)
    );
    insta::assert_json_snapshot!(
        "application",
        s(&get(&app, &ann, &format!("/oauth/applications/{dev}")).await)
    );
}
