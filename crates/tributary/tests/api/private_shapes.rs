//! Snapshots of the private conversation shapes (issue 17, point 2): a conversation as
//! `GET /private/:id` and `GET /private` show it, and a private message, on both backends
//! against the same snapshots.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::wire_shapes::{get, post, stable};

backend_tests!(private_conversations_and_messages_keep_their_shape);

async fn private_conversations_and_messages_keep_their_shape(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    let s = |v: &serde_json::Value| stable(v, &app.base_url, &[]);
    let bob_path = format!("/private/{}", bob.id);
    insta::assert_json_snapshot!("private_conversation", s(&get(&app, &ann, &bob_path).await));
    let body = json!({"event": "message", "content": "Howdy-Doo #awesome", "uuid": "u-1"});
    let m = post(
        &app,
        &format!("{bob_path}/messages"),
        Some(&ann.token),
        body,
    )
    .await;
    insta::assert_json_snapshot!("private_message", s(&m));
    insta::assert_json_snapshot!(
        "private_conversations",
        s(&get(&app, &bob, "/private").await)
    );
}
