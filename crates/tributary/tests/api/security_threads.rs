//! Security review, issue 15 point 1: only a thread's owner changes its state.
//!
//! An integration's thread carries UpdateActions whose requests the server signs with the
//! integration's client secret. If anyone else could rewrite the thread, a teammate's click
//! would send that signature to the rewriter's URL. So: a member's `thread` object is ignored
//! (the message itself is kept), another source's `flow_token` may not post into the thread
//! at all (403), the owning source still updates it, and each action token names the origin
//! it was sent to (`aud`) so that a token captured at one URL is refused by another
//! integration.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use serde_json::{json, Value};
use tokio::task::JoinSet;
use tributary_sdk::actions::{verify_action_request, ActionError, TOKEN_HEADER};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{send, source, Answer, Room};

backend_tests!(
    a_members_thread_object_leaves_the_integration_thread_alone,
    another_sources_flow_token_cannot_post_into_the_thread,
    a_refused_post_fails_alone_in_its_group,
    the_owning_source_still_updates_its_thread,
    action_tokens_name_the_origin_they_were_sent_to,
);

/// A thread's contents: a status, one field of votes and one UpdateAction to `target`.
fn thread_with(
    title: &str,
    body: &str,
    url: &str,
    (color, value): (&str, &str),
    votes: &str,
    target: &str,
) -> Value {
    json!({
        "title": title,
        "body": body,
        "external_url": url,
        "status": {"color": color, "value": value},
        "fields": [{"label": "Votes", "value": votes}],
        "actions": [{"@type": "UpdateAction", "name": "Vote: Pizza",
                     "target": {"@type": "EntryPoint", "urlTemplate": target, "httpMethod": "POST"}}]
    })
}

/// The integration's thread: an UpdateAction to its own endpoint, a title, a status.
fn owned_item(target: &str) -> Value {
    let thread = thread_with(
        "Lunch?",
        "<p>Pick one</p>",
        "https://polls.example/1",
        ("green", "open"),
        "0",
        target,
    );
    json!({
        "event": "activity",
        "author": {"name": "polls"},
        "title": "created a poll",
        "external_thread_id": "poll:1",
        "thread": thread
    })
}

/// What an attacker would put in the thread.
fn rewrite() -> Value {
    thread_with(
        "Lunch? (rewritten)",
        "<p>owned</p>",
        "https://attacker.example/",
        ("red", "hijacked"),
        "999",
        "https://attacker.example/steal",
    )
}

/// The thread's state as `GET .../threads/:id` shows it.
async fn thread(r: &Room, tid: &str) -> Value {
    let t = r.get(&r.ann, &r.path(&format!("/threads/{tid}"))).await;
    assert_eq!(t.status, 200, "{}", t.text);
    t.json
}

/// The parts of a thread an owner sets.
fn state(t: &Value) -> Value {
    json!({
        "title": t["title"], "body": t["body"], "external_url": t["external_url"],
        "status": t["status"], "fields": t["fields"], "actions": t["actions"],
        "source": t["source"]["id"],
    })
}

async fn a_members_thread_object_leaves_the_integration_thread_alone(b: Backend) {
    let r = Room::new(b).await;
    let item = r.token_post(owned_item("https://polls.example/vote")).await;
    assert_eq!(item.status, 200, "{}", item.text);
    let tid = item.json["thread_id"].as_str().unwrap().to_owned();
    let before = state(&thread(&r, &tid).await);

    // Every way a member names the thread: the flow's messages with `thread_id`, the
    // thread's own path, `POST /messages` with `flow`, and a comment on the item.
    let posts = [
        (
            r.path("/messages"),
            json!({"event": "message", "content": "x", "thread_id": tid, "thread": rewrite()}),
        ),
        (
            r.path(&format!("/threads/{tid}/messages")),
            json!({"event": "message", "content": "y", "thread": rewrite()}),
        ),
        (
            "/messages".to_owned(),
            json!({"event": "message", "content": "z", "flow": r.flow.id, "thread_id": tid, "thread": rewrite()}),
        ),
        (
            r.path(&format!("/messages/{}/comments", item.json["id"])),
            json!({"event": "comment", "content": "c", "thread": rewrite()}),
        ),
    ];
    for (path, body) in posts {
        let a = r.user_post(&r.bob, &path, body).await;
        assert_eq!(a.status, 201, "{path}: the message is accepted: {}", a.text);
        assert_eq!(a.json["thread_id"], tid.as_str(), "{path}");
        assert_eq!(
            state(&a.json["thread"]),
            before,
            "{path}: the answer shows the owner's state"
        );
    }
    let after = thread(&r, &tid).await;
    assert_eq!(state(&after), before, "the thread is as its source left it");
    assert_eq!(after["internal_comments"], 4, "the messages were counted");

    // A member's own new chat thread has no owning source either: its `thread` object is
    // ignored too, so a chat thread can never carry actions or look like an integration's.
    let own = r
        .user_post(
            &r.bob,
            &r.path("/messages"),
            json!({"event": "message", "content": "new", "thread": rewrite()}),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.json["thread"]["title"], Value::Null);
    assert_eq!(own.json["thread"]["actions"], json!([]));
}

/// POST `body` with `token` through each path an integration may use; returns the answers.
async fn post_everywhere(r: &Room, token: &str, tid: &str, body: &Value) -> Vec<(String, Answer)> {
    let mut with_token = body.clone();
    with_token["flow_token"] = json!(token);
    let mut answers = Vec::new();
    for path in [
        "/messages".to_owned(),
        r.path("/messages"),
        r.path(&format!("/threads/{tid}/messages")),
    ] {
        let a = send(r.app.http.post(r.app.url(&path)).json(&with_token)).await;
        answers.push((path.clone(), a));
        // The token in the query, as some clients send it.
        let url = format!("{}?flow_token={token}", r.app.url(&path));
        let a = send(
            r.app
                .http
                .post(url)
                .header("X-flowdock-wait-for-message", "1")
                .json(body),
        )
        .await;
        answers.push((format!("{path}?flow_token"), a));
    }
    answers
}

async fn another_sources_flow_token_cannot_post_into_the_thread(b: Backend) {
    let r = Room::new(b).await;
    let item = r.token_post(owned_item("https://polls.example/vote")).await;
    let tid = item.json["thread_id"].as_str().unwrap().to_owned();
    let before = thread(&r, &tid).await;
    let count_before = r.messages("").await.len();

    let (_, other) = source(&r.app, &r.flow, &r.hook, "acme/intruder").await;
    let activity = json!({"event": "activity", "title": "t", "author": {"name": "x"},
                          "thread_id": tid, "thread": rewrite()});
    let chat = json!({"event": "message", "content": "hi", "external_user_name": "x",
                      "thread_id": tid});
    for body in [activity, chat] {
        for (path, a) in post_everywhere(&r, &other, &tid, &body).await {
            assert_eq!(a.status, 403, "{path} {body}: {}", a.text);
            let message = a.json["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("another source"),
                "{path}: a clear JSON error: {}",
                a.text
            );
        }
    }
    assert_eq!(thread(&r, &tid).await, before, "nothing changed");
    assert_eq!(r.messages("").await.len(), count_before, "nothing stored");

    // The thread's own source is still welcome on every path.
    let own = json!({"event": "message", "content": "ok", "external_user_name": "bot",
                     "thread_id": tid});
    for (path, a) in post_everywhere(&r, &r.token, &tid, &own).await {
        assert!(a.status.is_success(), "{path}: the owner posts: {}", a.text);
    }
}

async fn a_refused_post_fails_alone_in_its_group(b: Backend) {
    let r = Room::new(b).await;
    let item = r.token_post(owned_item("https://polls.example/vote")).await;
    let tid = item.json["thread_id"].as_str().unwrap().to_owned();
    let (_, other) = source(&r.app, &r.flow, &r.hook, "acme/intruder").await;

    // Posts that arrive together are committed together; the refused one must not take the
    // others down with it.
    const POSTS: usize = 60;
    const BAD: usize = POSTS / 2;
    let mut posts = JoinSet::new();
    for i in 0..POSTS {
        let body = if i == BAD {
            json!({"flow_token": other, "event": "activity", "title": "bad",
                   "author": {"name": "x"}, "thread_id": tid, "thread": rewrite()})
        } else {
            json!({"flow_token": r.token, "event": "activity", "title": format!("post {i}"),
                   "author": {"name": "bot"}, "thread_id": tid,
                   "thread": {"fields": [{"label": "Votes", "value": i.to_string()}]}})
        };
        let req = r.app.http.post(r.app.url("/messages")).json(&body);
        posts.spawn(async move { (i, req.send().await.expect("request").status()) });
    }
    while let Some(done) = posts.join_next().await {
        let (i, status) = done.unwrap();
        let want = if i == BAD { 403 } else { 202 };
        assert_eq!(status.as_u16(), want, "post {i}");
    }
    let t = thread(&r, &tid).await;
    assert_eq!(
        t["activities"], POSTS as i64,
        "the first item and every good post"
    );
    assert_eq!(t["title"], "Lunch?");
    assert_ne!(t["fields"][0]["value"], "999");
}

async fn the_owning_source_still_updates_its_thread(b: Backend) {
    let r = Room::new(b).await;
    let item = r.token_post(owned_item("https://polls.example/vote")).await;
    let tid = item.json["thread_id"].as_str().unwrap().to_owned();

    // By `thread_id` on `/messages`.
    let a = r
        .token_post(
            json!({"event": "activity", "title": "closed", "author": {"name": "polls"},
                           "thread_id": tid,
                           "thread": {"status": {"color": "grey", "value": "closed"}}}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["thread"]["status"]["value"], "closed");
    // By its path, and by `external_thread_id`.
    let mut body = json!({"event": "activity", "title": "renamed", "author": {"name": "polls"},
                          "thread": {"title": "Lunch on Friday?"}});
    body["flow_token"] = json!(r.token);
    let a = send(
        r.app
            .http
            .post(r.app.url(&r.path(&format!("/threads/{tid}/messages"))))
            .header("X-flowdock-wait-for-message", "1")
            .json(&body),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let a = r
        .token_post(
            json!({"event": "activity", "title": "voted", "author": {"name": "polls"},
                           "external_thread_id": "poll:1",
                           "thread": {"title": "Lunch on Friday?",
                                      "fields": [{"label": "Votes", "value": "1"}]}}),
        )
        .await;
    assert_eq!(a.json["thread_id"], tid.as_str());
    let t = thread(&r, &tid).await;
    assert_eq!(t["title"], "Lunch on Friday?");
    assert_eq!(t["status"]["value"], "closed");
    assert_eq!(t["fields"], json!([{"label": "Votes", "value": "1"}]));
    assert_eq!(t["actions"][0]["name"], "Vote: Pizza");
}

/// One UpdateAction request an integration received.
#[derive(Clone, Debug)]
struct Received {
    token: String,
    headers: HeaderMap,
    body: Bytes,
}

/// An integration on loopback that answers 200 and keeps what it received.
async fn integrator() -> (String, Arc<Mutex<Vec<Received>>>) {
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let router =
        Router::new()
            .route(
                "/{*path}",
                post(
                    |State(seen): State<Arc<Mutex<Vec<Received>>>>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        let token = headers
                            .get(TOKEN_HEADER)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        seen.lock().unwrap().push(Received {
                            token,
                            headers,
                            body,
                        });
                        StatusCode::OK
                    },
                ),
            )
            .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, seen)
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("JSON claims")
}

async fn action_tokens_name_the_origin_they_were_sent_to(b: Backend) {
    let r = Room::new(b).await;
    let (base, seen) = integrator().await;
    let item = r.token_post(owned_item(&format!("{base}/vote"))).await;
    let tid = item.json["thread_id"].as_str().unwrap().to_owned();
    let click = r
        .user_post(
            &r.bob,
            &r.path(&format!("/threads/{tid}/actions/0")),
            json!({}),
        )
        .await;
    assert_eq!(click.status, 200, "{}", click.text);
    assert_eq!(click.json["outcome"], "success", "{}", click.text);
    let got = seen.lock().unwrap().last().cloned().expect("a request");
    // `http://127.0.0.1:PORT`: scheme, host and port, no path.
    assert_eq!(claims(&got.token)["aud"], base.as_str());

    let secret = &r.hook.client_secret;
    assert_eq!(
        verify_action_request(&got.headers, &got.body, secret, &base),
        Ok(r.bob.id),
        "the integration at that origin accepts it"
    );
    assert_eq!(
        verify_action_request(&got.headers, &got.body, secret, &format!("{base}/")),
        Ok(r.bob.id),
        "its public URL with a path names the same origin"
    );
    // Replayed to another integration (another origin) with the same client secret, the
    // captured token is refused.
    for elsewhere in [
        "https://polls.example",
        "http://127.0.0.1:1",
        "http://localhost",
    ] {
        assert_eq!(
            verify_action_request(&got.headers, &got.body, secret, elsewhere),
            Err(ActionError::WrongAudience),
            "{elsewhere}"
        );
    }
}
