//! Idempotent posts (DESIGN §3.2): an `Idempotency-Key` header or the message `uuid`, scoped
//! to the credential, replays the original answer and stores nothing new, also when the
//! retries race each other.

use reqwest::Method;
use serde_json::json;
use tributary_types::PostMessage;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, send, Room};

backend_tests!(
    a_replay_returns_the_original_status_and_body,
    the_uuid_is_a_key_and_keys_are_scoped_to_the_credential,
    the_same_key_with_another_body_gets_422,
    concurrent_retries_store_one_message,
    keys_are_remembered_durably_across_a_restart,
);

async fn a_replay_returns_the_original_status_and_body(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let post = || {
        r.as_user(&r.ann, Method::POST, &path)
            .header("Idempotency-Key", "order-1")
            .json(&json!({"event": "message", "content": "once"}))
    };
    let first = send(post()).await;
    assert_eq!(first.status, 201);
    let again = send(post()).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.text, first.text);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(r.messages("").await.len(), 1);
    // A flow_token post remembers its 202 and `{}`.
    let mut body = activity("pr:1", "Opened");
    body["flow_token"] = json!(r.token);
    let token_post = || {
        r.app
            .http
            .post(r.app.url("/messages"))
            .header("Idempotency-Key", "k")
            .json(&body)
    };
    let a = send(token_post()).await;
    let b2 = send(token_post()).await;
    assert_eq!((a.status.as_u16(), a.text.as_str()), (202, "{}"));
    assert_eq!((b2.status.as_u16(), b2.text.as_str()), (202, "{}"));
    // The legacy push honours the header as well.
    let url = r.app.url(&format!("/v1/messages/chat/{}", r.token));
    for _ in 0..2 {
        let a = send(
            r.app
                .http
                .post(&url)
                .header("Idempotency-Key", "legacy-1")
                .json(&json!({"content": "x", "external_user_name": "s"})),
        )
        .await;
        assert_eq!((a.status.as_u16(), a.text.as_str()), (200, "{}"));
    }
    assert_eq!(r.messages("").await.len(), 3);
}

async fn the_uuid_is_a_key_and_keys_are_scoped_to_the_credential(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let body = json!({"event": "message", "content": "hi", "uuid": "9rOhL9RS"});
    let a = r.user_post(&r.ann, &path, body.clone()).await;
    let again = r.user_post(&r.ann, &path, body.clone()).await;
    assert_eq!(again.json["id"], a.json["id"]);
    // Bob's uuid is his own.
    let bob = r.user_post(&r.bob, &path, body.clone()).await;
    assert_eq!(bob.status, 201);
    assert_ne!(bob.json["id"], a.json["id"]);
    let stored = r.messages("").await;
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|m| m["uuid"] == "9rOhL9RS"));
    // The SDK's waiting post returns the one message for every retry.
    let sdk = tributary_sdk::Integration::new(&r.app.base_url, &r.token);
    let msg = PostMessage {
        event: "message".into(),
        content: Some("from the sdk".into()),
        external_user_name: Some("bot".into()),
        ..Default::default()
    };
    let one = sdk.post_and_wait(&msg, Some("sdk-1")).await.unwrap();
    let two = sdk.post_and_wait(&msg, Some("sdk-1")).await.unwrap();
    assert_eq!(one, two);
    assert_eq!(r.messages("").await.len(), 3);
}

async fn the_same_key_with_another_body_gets_422(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let post = |content: &str| {
        r.as_user(&r.ann, Method::POST, &path)
            .header("Idempotency-Key", "k-1")
            .json(&json!({"event": "message", "content": content}))
    };
    assert_eq!(send(post("first")).await.status, 201);
    let other = send(post("second")).await;
    assert_eq!(other.status, 422, "{}", other.text);
    assert!(other.json["message"]
        .as_str()
        .unwrap()
        .contains("different request"));
    let uuid = r
        .user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "a", "uuid": "u"}),
        )
        .await;
    assert_eq!(uuid.status, 201);
    let reused = r
        .user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "b", "uuid": "u"}),
        )
        .await;
    assert_eq!(reused.status, 422);
    assert_eq!(r.messages("").await.len(), 2);
}

async fn concurrent_retries_store_one_message(b: Backend) {
    let r = Room::new(b).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let http = r.app.http.clone();
        let (user_url, url) = (r.app.url(&r.path("/messages")), r.app.url("/messages"));
        let (ann, token) = (r.ann.token.clone(), r.token.clone());
        tasks.push(tokio::spawn(async move {
            let res = if i % 2 == 0 {
                http.post(user_url)
                    .basic_auth(ann, Some(""))
                    .header("Idempotency-Key", "race")
                    .json(&json!({"event": "message", "content": "race"}))
                    .send()
                    .await
            } else {
                http.post(url)
                    .header("X-flowdock-wait-for-message", "1")
                    .json(&json!({"flow_token": token, "event": "activity", "title": "t", "author": {"name": "a"},
                                   "external_thread_id": "race", "thread": {"title": "T"}, "uuid": "race-uuid"}))
                    .send()
                    .await
            }
            .unwrap();
            (i % 2, res.status().as_u16(), res.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut ids = [Vec::new(), Vec::new()];
    for t in tasks {
        let (kind, status, body) = t.await.unwrap();
        assert!(status == 201 || status == 200, "{status} {body}");
        ids[kind].push(body["id"].as_i64().unwrap());
    }
    for list in &ids {
        assert!(
            list.iter().all(|id| *id == list[0]),
            "one message per key: {list:?}"
        );
    }
    let stored = r.messages("").await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    let activity = stored.iter().find(|m| m["event"] == "activity").unwrap();
    assert_eq!(activity["thread"]["activities"], 1);
}

async fn keys_are_remembered_durably_across_a_restart(b: Backend) {
    let r = Room::new(b).await;
    let first = send(
        r.as_user(&r.ann, Method::POST, &r.path("/messages"))
            .header("Idempotency-Key", "durable")
            .json(&json!({"event": "message", "content": "kept"})),
    )
    .await;
    assert_eq!(first.status, 201);
    // A second server on the same database (a restart, or another node) replays it.
    let second = crate::helpers::TestApp::spawn_on(r.app.db.share()).await;
    let again = send(
        r.app
            .http
            .post(second.url(&r.path("/messages")))
            .basic_auth(&r.ann.token, Some(""))
            .header("Idempotency-Key", "durable")
            .json(&json!({"event": "message", "content": "kept"})),
    )
    .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.text, first.text);
    assert_eq!(r.messages("").await.len(), 1);
}
