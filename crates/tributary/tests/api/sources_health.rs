//! Integration health (issue 18, point 4): the figures a source's `health` shows after a
//! sequence of good and bad posts, a failed thread action and a removal, who sees them, and
//! the shape (snapshot).

use reqwest::Method;
use serde_json::{json, Map, Value};

use crate::backend_tests;
use crate::messaging::{activity, send, Room};

backend_tests!(
    health_counts_good_and_bad_posts_and_failed_actions,
    health_is_shown_to_those_who_see_the_source,
    a_removed_sources_410s_are_counted,
);

/// The source's JSON as Ann reads it.
async fn shown(room: &Room) -> Value {
    let a = room
        .get(
            &room.ann,
            &room.path(&format!("/sources/{}", room.source.id)),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json
}

/// An activity whose thread has one UpdateAction, to a port where nothing listens.
fn with_failing_action(ext: &str) -> Value {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut body = activity(ext, "opened");
    body["thread"]["actions"] = json!([{
        "@type": "UpdateAction", "name": "Close",
        "target": {"@type": "EntryPoint", "urlTemplate": format!("http://{closed}/close"), "httpMethod": "POST"}
    }]);
    body
}

/// Timestamps replaced, for the snapshot.
fn stable(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("at" | "last_post_at", Value::String(_)) => json!(format!("[{k}]")),
                        _ => stable(v),
                    };
                    (k.clone(), v)
                })
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

async fn health_counts_good_and_bad_posts_and_failed_actions(b: crate::helpers::Backend) {
    let room = Room::new(b).await;
    let fresh = shown(&room).await["health"].clone();
    assert_eq!(fresh["posts_last_24h"], 0, "{fresh}");
    assert_eq!(fresh["last_post_at"], Value::Null);
    assert_eq!(fresh["rejected_posts"], 0);
    assert_eq!(fresh["last_rejection"], Value::Null);

    let first = room.token_post(with_failing_action("ext:1")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let second = room.token_post(activity("ext:1", "commented")).await;
    assert_eq!(second.status, 200, "{}", second.text);
    // Validation: a message without content.
    let bad = room.token_post(json!({"event": "message"})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    // A user's post is not the integration's.
    let by_user = room.chat(&room.ann, "hi").await;
    assert_eq!(by_user.status, 201, "{}", by_user.text);
    // The thread's action fails: nothing listens at its target.
    let thread = first.json["thread_id"].as_str().unwrap();
    let clicked = send(room.as_user(
        &room.ann,
        Method::POST,
        &room.path(&format!("/threads/{thread}/actions/0")),
    ))
    .await;
    assert_eq!(clicked.status, 200, "{}", clicked.text);
    assert_ne!(clicked.json["outcome"], "success", "{}", clicked.text);

    let put = send(room.app.http.put(room.app.url("/sources")).json(
        &json!({"flow_token": room.token, "error_message": "Token for the tracker expired"}),
    ))
    .await;
    assert_eq!(put.status, 200, "{}", put.text);

    let health = shown(&room).await["health"].clone();
    assert_eq!(health["posts_last_24h"], 2, "{health}");
    assert!(health["last_post_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(health["rejected_posts"], 1, "{health}");
    assert_eq!(health["last_rejection"]["status"], 400);
    let message = health["last_rejection"]["message"].as_str().unwrap();
    assert!(message.contains("content"), "{message}");
    assert_eq!(health["action_failures_last_24h"], 1, "{health}");
    assert!(health["last_action_failure"]["message"].is_string());
    assert_eq!(health["error_message"], "Token for the tracker expired");
    assert_eq!(health["previous_token_expires_at"], Value::Null);
    // The connection error's wording is the platform's.
    let mut shape = stable(&health);
    shape["last_action_failure"]["message"] = json!("[connection error]");
    insta::assert_json_snapshot!("source_health", shape);
}

async fn health_is_shown_to_those_who_see_the_source(b: crate::helpers::Backend) {
    let room = Room::new(b).await;
    assert_eq!(
        room.token_post(json!({"event": "message"})).await.status,
        400
    );
    let one = room.path(&format!("/sources/{}", room.source.id));
    // Bob is a member: he sees the source, and its health, in every list.
    for path in [one.clone(), room.path("/sources"), "/sources".to_owned()] {
        let a = room.get(&room.bob, &path).await;
        assert_eq!(a.status, 200, "{path}: {}", a.text);
        let source = if a.json.is_array() {
            a.json[0].clone()
        } else {
            a.json
        };
        assert_eq!(source["health"]["rejected_posts"], 1, "{path}");
    }
    // The integration sees its own.
    let own = send(
        room.app
            .http
            .get(room.app.url("/sources"))
            .query(&[("flow_token", &room.token)]),
    )
    .await;
    assert_eq!(own.json[0]["health"]["rejected_posts"], 1, "{}", own.text);
    // Carl is not in the flow: no source, no health.
    let carl = room.app.user("carl").await;
    assert_eq!(room.get(&carl, &one).await.status, 404);
    let listed = room.get(&carl, "/sources").await;
    assert_eq!(listed.json, json!([]), "{}", listed.text);
}

async fn a_removed_sources_410s_are_counted(b: crate::helpers::Backend) {
    let room = Room::new(b).await;
    assert_eq!(
        room.token_post(activity("ext:1", "opened")).await.status,
        200
    );
    let deleted = send(room.as_user(
        &room.ann,
        Method::DELETE,
        &room.path(&format!("/sources/{}", room.source.id)),
    ))
    .await;
    assert_eq!(deleted.status, 204);
    for _ in 0..2 {
        let gone = room.token_post(activity("ext:1", "again")).await;
        assert_eq!(gone.status, 410, "{}", gone.text);
    }
    // The source is no longer shown; its owner's operator reads the store.
    let now = tributary::store::now_millis();
    let h = room
        .app
        .store
        .source_health(room.source.id, now - 60_000, now)
        .await
        .unwrap();
    assert_eq!(h.posts_since, 1);
    assert_eq!(h.rejected, 2);
    let last = h.last_rejection.unwrap();
    assert_eq!(last.status, 410);
    assert!(last.message.contains("removed"), "{}", last.message);
    // An unknown token belongs to no source: nothing to count.
    assert_eq!(
        room.token_post_as("nope", activity("ext:1", "x"))
            .await
            .status,
        401
    );
}
