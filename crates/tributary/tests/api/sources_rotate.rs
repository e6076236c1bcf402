//! `flow_token` rotation (issue 18, point 5): the new token is shown once, the old one works
//! through its grace and then answers 410 `rotated`; a grace of 0 ends it at once; only the
//! flow's members and the current token may rotate; the SDK's `rotate_flow_token`.

use std::time::Duration;

use serde_json::{json, Value};
use tributary_sdk::{Error, Integration};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::messaging::{activity, app_record, send, source, Answer, Room};

backend_tests!(
    the_old_token_works_through_its_grace_then_answers_410_rotated,
    grace_zero_kills_the_old_tokens_at_once,
    only_members_and_the_current_token_may_rotate,
    the_servers_grace_is_the_default_and_the_most,
    the_sdk_rotates_for_users_and_for_the_integration,
);

async fn rotate_as_ann(room: &Room, body: Value) -> Answer {
    let path = room.path(&format!("/sources/{}/rotate", room.source.id));
    room.user_post(&room.ann, &path, body).await
}

async fn rotate_with_token(room: &Room, token: &str, body: Value) -> Answer {
    let mut body = body;
    body["flow_token"] = json!(token);
    let path = room.path(&format!("/sources/{}/rotate", room.source.id));
    send(room.app.http.post(room.app.url(&path)).json(&body)).await
}

fn new_token(a: &Answer) -> String {
    assert_eq!(a.status, 200, "{}", a.text);
    let token = a.json["flow_token"]
        .as_str()
        .expect("flow_token")
        .to_owned();
    assert_eq!(token.len(), 32);
    token
}

async fn post_status(room: &Room, token: &str) -> (u16, Value) {
    let a = room.token_post_as(token, activity("ext:1", "posted")).await;
    (a.status.as_u16(), a.json)
}

async fn the_old_token_works_through_its_grace_then_answers_410_rotated(b: Backend) {
    let room = Room::new(b).await;
    let rotated = rotate_as_ann(&room, json!({"grace": 1})).await;
    let token = new_token(&rotated);
    assert_ne!(token, room.token);
    assert_eq!(rotated.json["id"], room.source.id);
    assert!(rotated.json["health"]["previous_token_expires_at"].is_string());
    // Both work during the grace; the new one is the source's for every path.
    assert_eq!(post_status(&room, &room.token).await.0, 200);
    assert_eq!(post_status(&room, &token).await.0, 200);
    // The old token may not rotate (it is no longer the source's credential).
    let refused = rotate_with_token(&room, &room.token, json!({})).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    // Shown once: reading the source again does not show it.
    let shown = room
        .get(
            &room.ann,
            &room.path(&format!("/sources/{}", room.source.id)),
        )
        .await;
    assert!(shown.json.get("flow_token").is_none(), "{}", shown.text);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = post_status(&room, &room.token).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["reason"], "rotated");
    assert!(body["message"].is_string());
    let listed = send(
        room.app
            .http
            .get(room.app.url("/sources"))
            .query(&[("flow_token", &room.token)]),
    )
    .await;
    assert_eq!(listed.status, 410);
    assert_eq!(post_status(&room, &token).await.0, 200);
    // After its grace the old token still may not rotate.
    let after = rotate_with_token(&room, &room.token, json!({})).await;
    assert_eq!(after.status, 410, "{}", after.text);
    // The rejections count against the source.
    let health = &rotated_health(&room).await;
    assert_eq!(health["rejected_posts"], 4, "{health}");
    assert_eq!(health["last_rejection"]["status"], 410);
    assert_eq!(health["previous_token_expires_at"], Value::Null);
}

async fn rotated_health(room: &Room) -> Value {
    room.get(
        &room.ann,
        &room.path(&format!("/sources/{}", room.source.id)),
    )
    .await
    .json["health"]
        .clone()
}

async fn grace_zero_kills_the_old_tokens_at_once(b: Backend) {
    let room = Room::new(b).await;
    // The default grace (a day): the first token keeps working.
    let second = new_token(&rotate_as_ann(&room, json!({})).await);
    assert_eq!(post_status(&room, &room.token).await.0, 200);
    // The second token leaked: rotate with no grace, with the token itself.
    let third = new_token(&rotate_with_token(&room, &second, json!({"grace": 0})).await);
    for old in [&room.token, &second] {
        let (status, body) = post_status(&room, old).await;
        assert_eq!(status, 410, "{body}");
        assert_eq!(body["reason"], "rotated");
    }
    assert_eq!(post_status(&room, &third).await.0, 200);
    // Tokens stay hashed at rest.
    let stored = room.app.store.source_by_token_hash(&third).await.unwrap();
    assert!(stored.is_none());
}

async fn only_members_and_the_current_token_may_rotate(b: Backend) {
    let room = Room::new(b).await;
    let path = room.path(&format!("/sources/{}/rotate", room.source.id));
    let carl = room.app.user("carl").await;
    assert_eq!(room.user_post(&carl, &path, json!({})).await.status, 404);
    let anonymous = send(room.app.http.post(room.app.url(&path)).json(&json!({}))).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    assert_eq!(
        rotate_with_token(&room, "nope", json!({})).await.status,
        401
    );
    // Another source's token may not rotate this one.
    let (_, other) = source(&room.app, &room.flow, &room.hook, "other").await;
    let foreign = rotate_with_token(&room, &other, json!({})).await;
    assert_eq!(foreign.status, 403, "{}", foreign.text);
    let missing = room
        .user_post(&room.ann, &room.path("/sources/999999/rotate"), json!({}))
        .await;
    assert_eq!(missing.status, 404);
    let bad = rotate_as_ann(&room, json!({"grace": -5})).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.json["errors"]["grace"].is_array(), "{}", bad.text);
    // None of that rotated anything.
    assert_eq!(post_status(&room, &room.token).await.0, 200);
    // Bob is a member: he may manage the source, so he may rotate it.
    let by_bob = room.user_post(&room.bob, &path, json!({"grace": 0})).await;
    let token = new_token(&by_bob);
    assert_eq!(post_status(&room, &room.token).await.0, 410);
    // The integration rotates itself with its current token.
    let again = new_token(&rotate_with_token(&room, &token, json!({})).await);
    assert_eq!(post_status(&room, &again).await.0, 200);
}

async fn the_servers_grace_is_the_default_and_the_most(b: Backend) {
    let app = TestApp::spawn_with(b, |s| s.flow_token_grace = Duration::from_secs(1)).await;
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    let flow = app
        .flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    let hook = app_record(&app, &ann, "Hook").await;
    let (s, old) = source(&app, &flow, &hook, "hook").await;
    let path = app.url(&format!("/flows/acme/main/sources/{}/rotate", s.id));
    let post = |token: String| {
        let req = app
            .http
            .post(app.url("/messages"))
            .json(&json!({"flow_token": token, "event": "message", "content": "hi", "external_user_name": "hook"}));
        async move {
            let a = send(req).await;
            (a.status.as_u16(), a.text)
        }
    };
    let longer = send(
        app.http
            .post(&path)
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"grace": 2})),
    )
    .await;
    assert_eq!(longer.status, 400, "{}", longer.text);
    let rotated = send(app.http.post(&path).basic_auth(&ann.token, Some(""))).await;
    let new = new_token(&rotated);
    let first = post(old.clone()).await;
    assert_eq!(first.0, 202, "{}", first.1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(post(old).await.0, 410);
    assert_eq!(post(new).await.0, 202);
}

async fn the_sdk_rotates_for_users_and_for_the_integration(b: Backend) {
    let room = Room::new(b).await;
    let rotated = room
        .ann
        .client
        .sources()
        .rotate_flow_token("acme", "main", room.source.id, Some(0))
        .await
        .unwrap();
    let second = rotated.flow_token.expect("the new token");
    let old = Integration::new(&room.app.base_url, &room.token);
    match old.source().await {
        Err(Error::SourceGone { reason }) => assert_eq!(reason, "rotated"),
        other => panic!("{other:?}"),
    }
    let integration = Integration::new(&room.app.base_url, &second);
    let third = integration.rotate_flow_token(Some(0)).await.unwrap();
    assert_ne!(third, second);
    assert!(matches!(
        integration.source().await,
        Err(Error::SourceGone { .. })
    ));
    let source = Integration::new(&room.app.base_url, &third)
        .source()
        .await
        .unwrap();
    assert_eq!(source.id, room.source.id);
    // A member without the right to the flow cannot.
    let carl = room.app.user("carl").await;
    let refused = carl
        .client
        .sources()
        .rotate_flow_token("acme", "main", room.source.id, None)
        .await;
    assert_eq!(refused.unwrap_err().status(), Some(404));
}
