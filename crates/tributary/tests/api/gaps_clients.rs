//! The last gaps real clients hit (issue 17, point 5): an inbox item that names a known
//! `external_thread_id` may leave out `thread`, `thread.source.application` is the
//! application's name, and `DELETE` answers 200 when it truncates and 204 when it removes.

use reqwest::Method;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, send, Room};

backend_tests!(
    an_inbox_item_joins_a_known_external_thread_without_a_thread_object,
    a_new_external_thread_still_needs_its_thread_object,
    joins_committed_together_each_join_and_a_new_one_fails_alone,
    thread_source_application_is_the_application_name,
    delete_answers_200_when_it_truncates_and_204_when_it_removes,
);

fn without_thread(event: &str, ext: &str, title: &str) -> Value {
    let mut body = activity(ext, title);
    body["event"] = json!(event);
    body.as_object_mut().unwrap().remove("thread");
    body
}

async fn an_inbox_item_joins_a_known_external_thread_without_a_thread_object(b: Backend) {
    let r = Room::new(b).await;
    let first = r.token_post(activity("pr:42", "Opened")).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let tid = first.json["thread_id"].as_str().unwrap().to_owned();
    let before = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}")))
        .await
        .json;

    for (event, title) in [("activity", "Commented"), ("discussion", "A reply")] {
        let a = r.token_post(without_thread(event, "pr:42", title)).await;
        assert_eq!(a.status, 200, "{event}: {}", a.text);
        assert_eq!(a.json["thread_id"], json!(tid), "{event} joins the thread");
        assert_eq!(a.json["external_thread_id"], "pr:42");
        assert_eq!(a.json["title"], title);
    }
    // Without `X-flowdock-wait-for-message` too, as integrations post.
    let mut body = without_thread("activity", "pr:42", "Quietly");
    body["flow_token"] = json!(r.token);
    let quiet = send(r.app.http.post(r.app.url("/messages")).json(&body)).await;
    assert_eq!(quiet.status, 202, "{}", quiet.text);

    let after = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}")))
        .await
        .json;
    for field in [
        "title",
        "body",
        "external_url",
        "status",
        "fields",
        "actions",
    ] {
        assert_eq!(after[field], before[field], "{field} is left as it was");
    }
    assert_eq!(after["activities"], 3);
    assert_eq!(after["external_comments"], 1);
    let threads = r.get(&r.ann, &r.path("/threads")).await.json;
    assert_eq!(threads.as_array().unwrap().len(), 1, "no second thread");
}

async fn a_new_external_thread_still_needs_its_thread_object(b: Backend) {
    let r = Room::new(b).await;
    for event in ["activity", "discussion"] {
        let a = r.token_post(without_thread(event, "pr:new", "Hello")).await;
        assert_eq!(a.status, 400, "{event}: {}", a.text);
        assert_eq!(a.json["message"], "Validation error");
        assert_eq!(a.json["errors"]["thread.title"], json!(["is required"]));
    }
    // Another source's thread of the same external id is not this source's to join.
    let (_, other) = crate::messaging::source(&r.app, &r.flow, &r.hook, "other").await;
    assert_eq!(r.token_post(activity("pr:7", "Opened")).await.status, 200);
    let a = r
        .token_post_as(&other, without_thread("activity", "pr:7", "Mine?"))
        .await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.json["errors"]["thread.title"], json!(["is required"]));
    assert!(r.messages("?event=activity").await.len() == 1);
}

/// Joins that arrive at once are stored together (group commit, and on PostgreSQL the
/// set-based path); one that names a new thread fails alone.
async fn joins_committed_together_each_join_and_a_new_one_fails_alone(b: Backend) {
    const POSTS: usize = 30;
    let r = Room::new(b).await;
    let first = r.token_post(activity("pr:1", "Opened")).await.json;
    let mut posts = JoinSet::new();
    for i in 0..POSTS {
        let ext = if i == POSTS / 2 { "pr:missing" } else { "pr:1" };
        let mut body = without_thread("activity", ext, &format!("post {i}"));
        body["flow_token"] = json!(r.token);
        let req = r.app.http.post(r.app.url("/messages")).json(&body);
        posts.spawn(async move { (ext, req.send().await.expect("request").status()) });
    }
    while let Some(done) = posts.join_next().await {
        let (ext, status) = done.unwrap();
        let want = if ext == "pr:1" { 202 } else { 400 };
        assert_eq!(status, want, "{ext}");
    }
    let tid = first["thread_id"].as_str().unwrap();
    let thread = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}")))
        .await
        .json;
    assert_eq!(thread["activities"], POSTS as i64);
    assert_eq!(thread["title"], first["thread"]["title"]);
}

async fn thread_source_application_is_the_application_name(b: Backend) {
    let r = Room::new(b).await;
    let m = r.token_post(activity("pr:1", "Opened")).await.json;
    let tid = m["thread_id"].as_str().unwrap();
    let from_post = &m["thread"]["source"];
    let thread = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}")))
        .await
        .json;
    let listed = r.get(&r.ann, &r.path("/threads")).await.json[0].clone();
    let in_list = r.messages("?event=activity").await[0]["thread"]["source"].clone();
    for source in [from_post, &thread["source"], &listed["source"], &in_list] {
        assert_eq!(source["application"], "GitHub", "{source}");
        assert_eq!(source["id"], r.source.id);
        assert_eq!(source["icon"], "https://icons.example.com/GitHub.png");
    }
}

async fn delete_answers_200_when_it_truncates_and_204_when_it_removes(b: Backend) {
    let r = Room::new(b).await;
    let delete =
        |id: &Value| send(r.as_user(&r.ann, Method::DELETE, &r.path(&format!("/messages/{id}"))));
    let r = &r;
    let say = |path: String, event: &str, content: &str| {
        let body = json!({"event": event, "content": content});
        async move { r.user_post(&r.ann, &r.path(&path), body).await }
    };
    let chat = say("/messages".into(), "message", "oops").await.json;
    let truncated = delete(&chat["id"]).await;
    assert_eq!(truncated.status, 200, "{}", truncated.text);
    assert_eq!(truncated.json, json!({}));

    let comments = format!("/messages/{}/comments", chat["id"]);
    let comment = say(comments, "comment", "and this").await;
    assert_eq!(comment.status, 201, "{}", comment.text);
    let truncated = delete(&comment.json["id"]).await;
    assert_eq!(truncated.status, 200, "{}", truncated.text);
    assert_eq!(
        r.get(
            &r.ann,
            &r.path(&format!("/messages/{}", comment.json["id"]))
        )
        .await
        .json["content"]["text"],
        ""
    );

    let item = r.token_post(activity("pr:1", "Opened")).await.json;
    let removed = delete(&item["id"]).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    assert!(removed.text.is_empty());
}
