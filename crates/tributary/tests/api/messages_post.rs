//! Posting (flowdock/api-docs docs/messages.md): both credentials, every event type, Flowdock's status codes,
//! validation, tags and the flow's `links`.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, send, Room};

backend_tests!(
    a_user_post_answers_201_with_the_stored_message,
    a_flow_token_post_answers_202_and_waiting_gets_200_with_the_message,
    flow_token_works_in_json_form_and_query,
    every_event_type_posts_or_is_refused_clearly,
    comments_store_title_and_text_with_the_influx_tag,
    tags_come_from_content_and_parameters,
    flow_links_offer_messages_and_threads,
    server_code_posts_inbox_items_for_a_source,
);

async fn a_user_post_answers_201_with_the_stored_message(b: Backend) {
    let r = Room::new(b).await;
    let a = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "Hello there", "uuid": "u-1"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.headers["flowdock-user"], r.ann.id.to_string().as_str());
    let m = &a.json;
    assert!(m["id"].is_i64());
    assert_eq!(m["flow"], r.flow.id.as_str());
    assert_eq!(m["user"], r.ann.id.to_string());
    assert_eq!(m["event"], "message");
    assert_eq!(m["content"], "Hello there");
    assert_eq!(m["app"], "chat");
    assert_eq!(m["uuid"], "u-1");
    assert_eq!(m["attachments"], json!([]));
    assert!(m["sent"].is_i64());
    assert!(m["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(m["edited"], Value::Null);
    // A chat message that names no thread starts its own.
    assert!(m["thread_id"].is_string());
    assert_eq!(m["thread"]["id"], m["thread_id"]);
    assert_eq!(m["thread"]["internal_comments"], 1);

    // POST /messages with `flow` and email + password works the same, with a larger id.
    let second = send(
        r.app
            .http
            .post(r.app.url("/messages"))
            .basic_auth(&r.bob.email, Some(&r.bob.password))
            .form(&[
                ("event", "message"),
                ("content", "Second"),
                ("flow", &r.flow.id),
            ]),
    )
    .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert!(second.json["id"].as_i64() > m["id"].as_i64());
    assert_ne!(second.json["thread_id"], m["thread_id"]);
    // The stored message is what was answered.
    let stored = r
        .get(&r.ann, &r.path(&format!("/messages/{}", m["id"])))
        .await;
    assert_eq!(stored.json, *m);
}

async fn a_flow_token_post_answers_202_and_waiting_gets_200_with_the_message(b: Backend) {
    let r = Room::new(b).await;
    let mut body = activity("github:pr:42", "Opened pull request");
    body["flow_token"] = json!(r.token);
    let accepted = send(r.app.http.post(r.app.url("/messages")).json(&body)).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    assert_eq!(accepted.text, "{}");

    let waited = r.token_post(activity("github:pr:42", "Commented")).await;
    assert_eq!(waited.status, 200, "{}", waited.text);
    let m = &waited.json;
    assert_eq!(m["user"], "0");
    assert_eq!(m["app"], "influx");
    assert_eq!(m["content"], Value::Null);
    assert_eq!(m["title"], "Commented");
    assert_eq!(m["author"]["name"], "anttipitkanen");
    assert_eq!(m["external_thread_id"], "github:pr:42");
    let t = &m["thread"];
    assert_eq!(t["id"], m["thread_id"]);
    assert_eq!(t["title"], "Fix bug in thread API");
    assert_eq!(t["status"], json!({"color": "green", "value": "open"}));
    assert_eq!(t["activities"], 2);
    assert_eq!(t["source"]["id"], r.source.id);
    assert_eq!(t["source"]["name"], "acme/widgets");
    assert_eq!(t["source"]["icon"], "https://icons.example.com/GitHub.png");
    assert_eq!(t["source"]["application"], "GitHub");
    assert_eq!(t["source"]["application_id"], r.hook.id);
    // Both posts are stored, in order, in the same thread.
    let all = r.messages("").await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["thread_id"], all[1]["thread_id"]);
    assert_eq!(
        all[0]["thread"]["activities"], 2,
        "every message shows the current thread state"
    );
}

async fn flow_token_works_in_json_form_and_query(b: Backend) {
    let r = Room::new(b).await;
    let http = &r.app.http;
    let form = send(http.post(r.app.url("/messages")).form(&[
        ("flow_token", r.token.as_str()),
        ("event", "message"),
        ("content", "from a form"),
        ("external_user_name", "Hook"),
    ]))
    .await;
    assert_eq!(form.status, 202, "{}", form.text);
    let query = send(
        http.post(r.app.url(&format!("/messages?flow_token={}", r.token)))
            .json(&json!({"event": "message", "content": "from the query", "external_user_name": "Hook"})),
    )
    .await;
    assert_eq!(query.status, 202, "{}", query.text);
    let in_path_flow = send(
        http.post(r.app.url(&format!("{}?flow_token={}", r.path("/messages"), r.token)))
            .json(&json!({"event": "message", "content": "flow in the path", "external_user_name": "Hook"})),
    )
    .await;
    assert_eq!(in_path_flow.status, 202, "{}", in_path_flow.text);
    let contents: Vec<Value> = r
        .messages("")
        .await
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(
        contents,
        ["from a form", "from the query", "flow in the path"]
    );
    let m = &r.messages("").await[0];
    assert_eq!(m["external_user_name"], "Hook");
    assert_eq!(m["user"], "0");
}

async fn every_event_type_posts_or_is_refused_clearly(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let status = r
        .user_post(
            &r.ann,
            &path,
            json!({"event": "status", "content": "Out for lunch"}),
        )
        .await;
    assert_eq!(status.status, 201, "{}", status.text);
    assert!(
        status.json.get("thread_id").is_none(),
        "a status is not threaded"
    );
    let disc = r
        .token_post(json!({
            "event": "discussion", "title": "replied", "body": "<p>Looks good</p>",
            "author": {"name": "Antti"}, "external_thread_id": "zendesk:1",
            "thread": {"title": "Support request"}
        }))
        .await;
    assert_eq!(disc.status, 200, "{}", disc.text);
    assert_eq!(disc.json["thread"]["external_comments"], 1);
    let act = r.token_post(activity("zendesk:1", "Solved")).await;
    assert_eq!(act.json["thread"]["activities"], 1);
    assert_eq!(act.json["thread"]["external_comments"], 1);
    let msg = r
        .user_post(&r.ann, &path, json!({"event": "message", "content": "hi"}))
        .await;
    let comment = r
        .user_post(
            &r.ann,
            &r.path(&format!("/messages/{}/comments", msg.json["id"])),
            json!({"content": "reply"}),
        )
        .await;
    assert_eq!(comment.status, 201, "{}", comment.text);
    assert_eq!(comment.json["event"], "comment");

    let file = r
        .user_post(&r.ann, &path, json!({"event": "file", "content": "x"}))
        .await;
    // A `file` needs a file (files_upload.rs posts real ones).
    assert_eq!(file.status, 400);
    assert!(file.json["errors"]["content"][0]
        .as_str()
        .unwrap()
        .contains("one file"));
    for bad in ["action", "tag-change", "nope"] {
        let a = r
            .user_post(&r.ann, &path, json!({"event": bad, "content": "x"}))
            .await;
        assert_eq!(a.status, 400, "{bad}");
        assert_eq!(a.json["message"], "Validation error");
        assert!(a.json["errors"]["event"].is_array());
    }
    let none = r.user_post(&r.ann, &path, json!({"content": "x"})).await;
    assert_eq!(none.json["errors"]["event"], json!(["is required"]));
}

async fn comments_store_title_and_text_with_the_influx_tag(b: Backend) {
    let r = Room::new(b).await;
    let item = r.token_post(activity("gh:1", "Opened")).await.json;
    // POST /comments names the flow and the parent in the body.
    let c = r
        .user_post(&r.bob, "/comments", json!({"flow": r.flow.id, "message": item["id"], "content": "Nice #work", "event": "comment"}))
        .await;
    assert_eq!(c.status, 201, "{}", c.text);
    let m = &c.json;
    assert_eq!(
        m["content"],
        json!({"title": "Opened", "text": "Nice #work"})
    );
    let tags: Vec<&str> = m["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&format!("influx:{}", item["id"]).as_str()),
        "{tags:?}"
    );
    assert!(tags.contains(&"work"));
    assert_eq!(m["thread_id"], item["thread_id"]);
    assert_eq!(m["thread"]["internal_comments"], 1);
    // Commenting on a comment, or on nothing, is refused.
    let nested = r
        .user_post(
            &r.bob,
            &r.path(&format!("/messages/{}/comments", m["id"])),
            json!({"content": "x"}),
        )
        .await;
    assert_eq!(nested.status, 400);
    assert!(nested.json["errors"]["message"].is_array());
    let missing = r
        .user_post(
            &r.bob,
            "/comments",
            json!({"flow": r.flow.id, "content": "x"}),
        )
        .await;
    assert_eq!(missing.json["errors"]["message"], json!(["is required"]));
    let ghost = r
        .user_post(
            &r.bob,
            &r.path("/messages/999/comments"),
            json!({"content": "x"}),
        )
        .await;
    assert_eq!(ghost.status, 404);
    let wrong = r
        .user_post(
            &r.bob,
            &r.path("/messages/1/comments"),
            json!({"event": "message", "content": "x"}),
        )
        .await;
    assert_eq!(wrong.status, 400);
}

async fn tags_come_from_content_and_parameters(b: Backend) {
    let r = Room::new(b).await;
    let path = r.path("/messages");
    let tags_of = |v: &Value| -> Vec<String> {
        v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect()
    };
    let a = r
        .user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "@Bob, a severe #Bug, see http://example.com", "tags": ["#Space-Time", "TODO", "@nobody"]}),
        )
        .await;
    let t = tags_of(&a.json);
    let bob = r.bob.id;
    for want in ["space-time", "todo", "bug", ":url"] {
        assert!(t.contains(&want.to_owned()), "{want} in {t:?}");
    }
    assert!(
        t.contains(&format!(":user:{bob}")) && t.contains(&format!(":unread:{bob}")),
        "{t:?}"
    );
    assert!(!t.iter().any(|x| x.contains("nobody")), "{t:?}");
    let all = r
        .user_post(
            &r.ann,
            &path,
            json!({"event": "message", "content": "hello", "tags": "#awesome,cool,@everyone"}),
        )
        .await;
    let t = tags_of(&all.json);
    assert!(t.contains(&"awesome".to_owned()) && t.contains(&"cool".to_owned()));
    assert!(t.contains(&":user:everyone".to_owned()));
    assert!(t.contains(&format!(":unread:{bob}")));
    assert!(
        !t.contains(&format!(":unread:{}", r.ann.id)),
        "the poster has read it: {t:?}"
    );
    let at_all = r
        .user_post(
            &r.bob,
            &path,
            json!({"event": "message", "content": "@all standup"}),
        )
        .await;
    assert!(tags_of(&at_all.json).contains(&format!(":unread:{}", r.ann.id)));
    // Repeated form keys are a list too.
    let form = send(
        r.as_user(&r.ann, Method::POST, &path)
            .body("event=message&content=x&tags=one&tags=Two")
            .header("content-type", "application/x-www-form-urlencoded"),
    )
    .await;
    assert_eq!(form.status, 201, "{}", form.text);
    assert_eq!(tags_of(&form.json), ["one", "two"]);
}

async fn flow_links_offer_messages_and_threads(b: Backend) {
    let r = Room::new(b).await;
    let f = r.get(&r.ann, &r.path("")).await.json;
    let base = r.app.url(&r.path(""));
    assert_eq!(
        f["links"]["messages"],
        json!({"href": format!("{base}/messages"), "methods": ["GET", "POST"]})
    );
    assert_eq!(
        f["links"]["threads"],
        json!({"href": format!("{base}/threads"), "methods": ["GET"]})
    );
}

async fn server_code_posts_inbox_items_for_a_source(b: Backend) {
    use tributary::auth::poster::Poster;
    use tributary::messages::{post_message, MessageInput};
    let r = Room::new(b).await;
    let poster = Poster::Source {
        source: Box::new(r.source.clone()),
        app: Box::new(r.hook.clone()),
        flow: Box::new(r.flow.clone()),
    };
    let input = MessageInput::inbox_item(
        "New integration: GitHub",
        Some("<p>Added by ann</p>"),
        "Tributary",
    );
    let m = post_message(&r.app.store, &poster, &r.flow, input)
        .await
        .unwrap();
    let listed = r.messages("").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], serde_json::from_str::<Value>(&m.json).unwrap());
    assert_eq!(listed[0]["event"], "activity");
    assert_eq!(listed[0]["app"], "influx");
    assert_eq!(listed[0]["thread"]["title"], "New integration: GitHub");
    assert_eq!(listed[0]["thread"]["source"]["application"], "GitHub");
}
