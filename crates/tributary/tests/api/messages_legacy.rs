//! The legacy push API (flowdock/api-docs docs/team-inbox.md, flowdock/api-docs docs/chat.md) and removed sources: 410 Gone with
//! the reason on every path that takes a `flow_token`, at once after an admin removes it.

use std::process::Command;

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, send, Room};

backend_tests!(
    team_inbox_pushes_answer_exactly_200_and_become_inbox_items,
    chat_pushes_post_as_the_external_user,
    legacy_pushes_validate_their_fields,
    a_removed_source_gets_410_with_the_reason_everywhere,
);

async fn team_inbox_pushes_answer_exactly_200_and_become_inbox_items(b: Backend) {
    let r = Room::new(b).await;
    let url = r.app.url(&format!("/v1/messages/team_inbox/{}", r.token));
    let a = send(r.app.http.post(&url).json(&json!({
        "source": "News digest service", "from_address": "news@example.com", "from_name": "News",
        "subject": "Daily <b>digest</b>", "content": "<p>Interesting news <script>alert(1)</script>of today</p>",
        "tags": ["news", "#digest"], "project": "My Project", "link": "https://news.example.com/1"
    })))
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.text, "{}");
    let m = &r.messages("").await[0];
    assert_eq!(m["event"], "activity");
    assert_eq!(m["app"], "influx");
    assert_eq!(m["user"], "0");
    assert_eq!(m["title"], "Daily digest");
    assert_eq!(m["body"], "<p>Interesting news of today</p>");
    assert_eq!(
        m["author"],
        json!({"name": "News", "email": "news@example.com"})
    );
    assert_eq!(m["thread"]["external_url"], "https://news.example.com/1");
    let tags = m["tags"].as_array().unwrap();
    for t in [
        "news",
        "digest",
        ":source:news-digest-service",
        ":project:my-project",
    ] {
        assert!(tags.contains(&json!(t)), "{t} in {tags:?}");
    }
    // Form bodies with repeated or comma-separated tags, and the old `influx` name.
    let form = send(
        r.app
            .http
            .post(r.app.url(&format!("/v1/messages/influx/{}", r.token)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("source=CI&from_address=ci%40example.com&subject=Build&content=Green&tags=a,b&tags=c"),
    )
    .await;
    assert_eq!(form.status, 200, "{}", form.text);
    assert_eq!(form.text, "{}");
    let m = &r.messages("").await[1];
    assert_eq!(m["author"]["name"], "ci@example.com");
    for t in ["a", "b", "c", ":source:ci"] {
        assert!(m["tags"].as_array().unwrap().contains(&json!(t)), "{t}");
    }
    assert_ne!(
        r.messages("").await[0]["thread_id"],
        m["thread_id"],
        "each push is its own thread"
    );
}

async fn chat_pushes_post_as_the_external_user(b: Backend) {
    let r = Room::new(b).await;
    let url = r.app.url(&format!("/v1/messages/chat/{}", r.token));
    let a = send(r.app.http.post(&url).json(&json!({
        "content": "Howdy-Doo @Bob #awesome", "external_user_name": "Stevie", "tags": "todo,#feedback"
    })))
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.text, "{}");
    let m = r.messages("").await[0].clone();
    assert_eq!(m["event"], "message");
    assert_eq!(m["external_user_name"], "Stevie");
    assert_eq!(m["user"], "0");
    let tags = m["tags"].as_array().unwrap();
    for t in [
        "todo".to_owned(),
        "feedback".into(),
        "awesome".into(),
        format!(":user:{}", r.bob.id),
    ] {
        assert!(tags.contains(&Value::String(t.clone())), "{t} in {tags:?}");
    }
    let c = send(r.app.http.post(&url).form(&[
        ("content", "a reply"),
        ("external_user_name", "Stevie"),
        ("message_id", &m["id"].to_string()),
    ]))
    .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let comment = r.messages("").await[1].clone();
    assert_eq!(comment["event"], "comment");
    assert_eq!(comment["content"]["text"], "a reply");
    assert!(comment["tags"]
        .as_array()
        .unwrap()
        .contains(&json!(format!("influx:{}", m["id"]))));
}

async fn legacy_pushes_validate_their_fields(b: Backend) {
    let r = Room::new(b).await;
    let inbox = r.app.url(&format!("/v1/messages/team_inbox/{}", r.token));
    let a = send(r.app.http.post(&inbox).json(&json!({"content": "x"}))).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json["message"], "Validation error");
    for f in ["source", "from_address", "subject"] {
        assert_eq!(a.json["errors"][f], json!(["is required"]), "{f}");
    }
    let bad = send(r.app.http.post(&inbox).json(&json!({
        "source": "bad/source!", "from_address": "nope", "subject": "s", "content": "c",
        "format": "markdown", "link": "javascript:alert(1)"
    })))
    .await;
    for f in ["source", "from_address", "format", "link"] {
        assert!(bad.json["errors"][f].is_array(), "{f}: {}", bad.text);
    }
    let chat = r.app.url(&format!("/v1/messages/chat/{}", r.token));
    let a = send(r.app.http.post(&chat).json(&json!({"content": "x"}))).await;
    assert!(
        a.json["errors"]["external_user_name"].is_array(),
        "{}",
        a.text
    );
    let long = send(
        r.app
            .http
            .post(&chat)
            .json(&json!({"content": "x".repeat(8097), "external_user_name": "s"})),
    )
    .await;
    assert!(long.json["errors"]["content"].is_array());
    let unknown = send(
        r.app
            .http
            .post(r.app.url("/v1/messages/chat/00ff"))
            .json(&json!({"content": "x", "external_user_name": "s"})),
    )
    .await;
    assert_eq!(unknown.status, 401);
    assert!(r.messages("").await.is_empty());
}

async fn a_removed_source_gets_410_with_the_reason_everywhere(b: Backend) {
    let r = Room::new(b).await;
    assert_eq!(r.token_post(activity("pr:1", "Opened")).await.status, 200);
    // Removed through the admin CLI, a separate process on the same database.
    let out = Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args([
            "admin",
            "source",
            "delete",
            "--id",
            &r.source.id.to_string(),
            "--database",
            &r.app.db.url,
        ])
        .env_remove("TRIBUTARY_DATABASE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let http = &r.app.http;
    let body = activity("pr:1", "Closed");
    let mut with_token = body.clone();
    with_token["flow_token"] = json!(r.token);
    let answers = [
        send(http.post(r.app.url("/messages")).json(&with_token)).await,
        send(http.post(r.app.url(&format!("/messages?flow_token={}", r.token))).json(&body)).await,
        send(http.post(r.app.url("/messages")).form(&[("flow_token", r.token.as_str()), ("event", "message"), ("content", "x")])).await,
        send(http.post(r.app.url(&format!("{}?flow_token={}", r.path("/messages"), r.token))).json(&body)).await,
        send(http.post(r.app.url(&format!("/comments?flow_token={}", r.token))).json(&json!({"content": "x", "message": 1}))).await,
        send(http.post(r.app.url(&format!("/v1/messages/team_inbox/{}", r.token))).json(&json!({"source": "s", "from_address": "a@b.c", "subject": "s", "content": "c"}))).await,
        send(http.post(r.app.url(&format!("/v1/messages/influx/{}", r.token))).json(&json!({}))).await,
        send(http.post(r.app.url(&format!("/v1/messages/chat/{}", r.token))).json(&json!({"content": "x", "external_user_name": "s"}))).await,
    ];
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.status, 410, "path {i}: {}", a.text);
        assert_eq!(a.json["reason"], "removed", "path {i}");
        assert!(a.json["message"].is_string());
    }
    let sdk = tributary_sdk::Integration::new(&r.app.base_url, &r.token);
    match sdk
        .post(&tributary_types::PostMessage {
            event: "message".into(),
            ..Default::default()
        })
        .await
    {
        Err(tributary_sdk::Error::SourceGone { reason }) => assert_eq!(reason, "removed"),
        other => panic!("expected SourceGone, got {other:?}"),
    }
    assert_eq!(
        r.messages("").await.len(),
        1,
        "nothing was stored after the removal"
    );
}
