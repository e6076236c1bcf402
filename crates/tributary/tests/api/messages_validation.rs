//! Posting refused (flowdock/api-docs docs/messages.md): required fields and limits answer 400 naming the field,
//! and credentials and flow access are enforced.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, send, Room};

backend_tests!(
    required_fields_and_limits_answer_400_naming_the_field,
    credentials_and_access_are_enforced,
);

async fn required_fields_and_limits_answer_400_naming_the_field(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let errors = |a: &crate::messaging::Answer| {
        assert_eq!(a.status, 400, "{}", a.text);
        assert_eq!(a.json["message"], "Validation error");
        a.json["errors"].clone()
    };
    let e = errors(
        &r.user_post(&r.ann, &path, json!({"event": "message"}))
            .await,
    );
    assert!(e["content"].is_array());
    let e = errors(
        &r.user_post(&r.ann, &path, json!({"event": "message", "content": 5}))
            .await,
    );
    assert!(e["content"].is_array());
    let long = "x".repeat(8097);
    let e = errors(
        &r.user_post(&r.ann, &path, json!({"event": "message", "content": long}))
            .await,
    );
    assert!(e["content"][0].as_str().unwrap().contains("8096"));
    let max = r
        .user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "y".repeat(8096)}),
        )
        .await;
    assert_eq!(max.status, 201);

    let mut bad_color = activity("x:1", "t");
    bad_color["thread"]["status"]["color"] = json!("pink");
    let e = errors(&r.token_post(bad_color).await);
    assert!(e["thread.status.color"][0]
        .as_str()
        .unwrap()
        .contains("lime"));
    for color in [
        "red", "green", "yellow", "cyan", "orange", "grey", "black", "lime", "purple", "blue",
    ] {
        let mut ok = activity("x:1", "t");
        ok["thread"]["status"]["color"] = json!(color);
        assert_eq!(r.token_post(ok).await.status, 200, "{color}");
    }
    let e = errors(
        &r.token_post(
            json!({"event": "activity", "external_thread_id": "x:2", "thread": {"title": "T"}}),
        )
        .await,
    );
    assert!(e["title"].is_array() && e["author.name"].is_array());
    let e = errors(
        &r.token_post(json!({"event": "activity", "title": "t", "author": {"name": "a"}}))
            .await,
    );
    assert!(e["thread_id"].is_array());
    let e = errors(&r.token_post(json!({"event": "activity", "title": "t", "author": {"name": "a"}, "external_thread_id": "new:1"})).await);
    assert!(e["thread.title"].is_array());
    let mut bad_url = activity("x:3", "t");
    bad_url["thread"]["external_url"] = json!("javascript:alert(1)");
    assert!(errors(&r.token_post(bad_url).await)["thread.external_url"].is_array());
    let e = errors(
        &r.token_post(json!({"event": "message", "content": "x"}))
            .await,
    );
    assert!(e["external_user_name"].is_array());
    let e = errors(
        &r.token_post(json!({"event": "status", "content": "x", "external_user_name": "n"}))
            .await,
    );
    assert!(e["event"].is_array());
    let e = errors(
        &r.user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "x", "external_thread_id": "a"}),
        )
        .await,
    );
    assert!(e["external_thread_id"].is_array());
    let e = errors(
        &r.user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "x", "tags": {"a": 1}}),
        )
        .await,
    );
    assert!(e["tags"].is_array());
    let e = errors(
        &r.user_post(
            &r.ann,
            "/messages",
            json!({"event": "message", "content": "x"}),
        )
        .await,
    );
    assert!(e["flow"].is_array());
    // Nothing invalid was stored.
    assert_eq!(r.messages("?limit=100").await.len(), 11);
}

async fn credentials_and_access_are_enforced(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let body = json!({"event": "message", "content": "x", "external_user_name": "n"});
    let anon = send(r.app.http.post(r.app.url(&path)).json(&body)).await;
    assert_eq!(anon.status, 401);
    assert!(anon.json["message"].is_string());
    let mut unknown = body.clone();
    unknown["flow_token"] = json!("0000");
    let a = send(r.app.http.post(r.app.url("/messages")).json(&unknown)).await;
    assert_eq!(a.status, 401);
    let bad_token = send(
        r.app
            .http
            .post(r.app.url(&path))
            .basic_auth("nope", Some(""))
            .json(&body),
    )
    .await;
    assert_eq!(bad_token.status, 401);
    // An outsider cannot see the flow; an org member who has not joined may not post.
    let eve = r.app.user("eve").await;
    assert_eq!(r.user_post(&eve, &path, body.clone()).await.status, 404);
    let carl = r.app.user("carl").await;
    r.app.join_org(&r.org, &carl, false).await;
    let lobby = r
        .anns_flow("Lobby", tributary_types::AccessMode::Organization)
        .await;
    let lobby_path = format!("/flows/acme/{}/messages", lobby.parameterized_name);
    let carl_post = r.user_post(&carl, &lobby_path, body.clone()).await;
    assert_eq!(carl_post.status, 403, "{}", carl_post.text);
    assert_eq!(r.get(&carl, &lobby_path).await.status, 403);
    // A flow_token posts only to its own flow.
    let other = send(
        r.app
            .http
            .post(r.app.url(&format!("{lobby_path}?flow_token={}", r.token)))
            .json(&body),
    )
    .await;
    assert_eq!(other.status, 403);
    // `//messages` works, and errors are JSON.
    let slashes = send(
        r.as_user(&r.ann, Method::POST, "//messages")
            .json(&json!({"event": "message", "content": "x", "flow": r.flow.id})),
    )
    .await;
    assert_eq!(slashes.status, 201, "{}", slashes.text);
    // (`GET /messages` lists a flow's messages since issue 17; `DELETE` is no method of it.)
    let wrong_method = send(r.as_user(&r.ann, Method::DELETE, "/messages")).await;
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json["message"].is_string());
    // A user may wait for the message too: 200 instead of 201.
    let waited = send(
        r.as_user(&r.ann, Method::POST, &path)
            .header("X-flowdock-wait-for-message", "true")
            .json(&json!({"event": "message", "content": "waited"})),
    )
    .await;
    assert_eq!(waited.status, 200);
    assert_eq!(waited.json["content"], "waited");
}
