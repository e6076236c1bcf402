//! Issue 15, the small ones (2/4): archived flows take no new messages or streams, the
//! developer pages' test source needs membership, and unpublished applications stay private.

use reqwest::Method;
use serde_json::{json, Value};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::browser::{csrf, Browser};
use crate::helpers::Backend;
use crate::messaging::{activity, send, Answer, Room};

backend_tests!(
    archived_flows_refuse_posts_pushes_and_streams,
    the_test_source_tool_needs_membership_of_the_flow,
    unpublished_applications_are_shown_only_to_their_owner,
);

fn archived(a: &Answer) -> bool {
    a.status == 403 && a.json["message"] == "This flow is archived"
}

async fn archived_flows_refuse_posts_pushes_and_streams(b: Backend) {
    let r = Room::new(b).await;
    let first = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "before"}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let parent = first.json["id"].as_i64().unwrap();
    let thread = first.json["thread_id"].as_str().unwrap().to_owned();
    let item = r.token_post(activity("pr:1", "Opened")).await;
    assert_eq!(item.status, 200, "{}", item.text);
    // Ann is the organization's admin: she archives the flow.
    let put = send(
        r.as_user(&r.ann, Method::PUT, &r.path(""))
            .json(&json!({"disabled": true})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);

    let chat = json!({"event": "message", "content": "after"});
    let user_posts = [
        (r.path("/messages"), chat.clone()),
        (
            "/messages".to_owned(),
            json!({"flow": r.flow.id, "event": "message", "content": "after"}),
        ),
        (r.path(&format!("/threads/{thread}/messages")), chat.clone()),
        (
            r.path(&format!("/messages/{parent}/comments")),
            json!({"content": "after"}),
        ),
        (
            "/comments".to_owned(),
            json!({"flow": r.flow.id, "message": parent, "content": "after"}),
        ),
    ];
    for (path, body) in user_posts {
        let a = r.user_post(&r.bob, &path, body).await;
        assert!(archived(&a), "POST {path}: {} {}", a.status, a.text);
    }
    let a = r.token_post(activity("pr:1", "Merged")).await;
    assert!(archived(&a), "flow_token post: {} {}", a.status, a.text);
    let a = send(
        r.app
            .http
            .post(r.app.url(&r.path("/messages")))
            .query(&[("flow_token", &r.token)])
            .json(&json!({"event": "message", "content": "x", "external_user_name": "ci"})),
    )
    .await;
    assert!(
        archived(&a),
        "flow_token in the query: {} {}",
        a.status,
        a.text
    );
    // Legacy pushes keep their JSON error shape.
    for (kind, body) in [
        (
            "chat",
            json!({"content": "after", "external_user_name": "ci"}),
        ),
        (
            "team_inbox",
            json!({"source": "CI", "from_address": "ci@example.com", "subject": "S", "content": "C"}),
        ),
    ] {
        let a = send(
            r.app
                .http
                .post(r.app.url(&format!("/v1/messages/{kind}/{}", r.token)))
                .json(&body),
        )
        .await;
        assert!(archived(&a), "legacy {kind}: {} {}", a.status, a.text);
    }
    // New streams are refused (only the status is read: a stream that opened never ends).
    for path in [
        r.path("").replace("/flows/", "/stream/flows/"),
        format!("/stream/flows?filter={}", r.flow.id),
        "/stream/flows?filter=acme/main".to_owned(),
    ] {
        let res = r.as_user(&r.ann, Method::GET, &path).send().await.unwrap();
        assert_eq!(res.status(), 403, "GET {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["message"], "This flow is archived", "GET {path}");
    }
    // History is still there to read.
    let all = r.messages("").await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0]["content"], "before");
    assert_eq!(
        r.get(&r.bob, &r.path(&format!("/messages/{parent}")))
            .await
            .status,
        200
    );
    // Enabled again, it takes posts again.
    let put = send(
        r.as_user(&r.ann, Method::PUT, &r.path(""))
            .json(&json!({"disabled": false})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let a = r.user_post(&r.bob, &r.path("/messages"), chat).await;
    assert_eq!(a.status, 201, "{}", a.text);
}

async fn the_test_source_tool_needs_membership_of_the_flow(b: Backend) {
    let r = Room::new(b).await;
    // An organization flow Ann can see and could join, but has not joined.
    let lobby = r
        .app
        .flow(&r.org, "Lobby", AccessMode::Organization, &[&r.bob])
        .await;
    let browser = Browser::new(&r.app);
    browser.login(&r.ann).await;
    let path = format!("/developer/applications/{}", r.hook.id);
    let page = browser.page(&path).await;
    let res = browser
        .post(
            &format!("{path}/sources"),
            &[
                ("csrf_token", &csrf(&page)),
                ("flow", &lobby.id),
                ("name", "Sneaky"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(!html.contains("flow-token"), "no token shown: {html}");
    assert!(r
        .app
        .store
        .sources_in_flow(&lobby.id)
        .await
        .unwrap()
        .is_empty());
    // The flow she has joined still takes a test source.
    let res = browser
        .post(
            &format!("{path}/sources"),
            &[
                ("csrf_token", &csrf(&page)),
                ("flow", &r.flow.id),
                ("name", "Test source"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let sources = r.app.store.sources_in_flow(&r.flow.id).await.unwrap();
    assert!(sources.iter().any(|s| s.name == "Test source"));
}

async fn unpublished_applications_are_shown_only_to_their_owner(b: Backend) {
    let r = Room::new(b).await;
    let path = format!("/oauth/applications/{}", r.hook.id);
    let mine = r.get(&r.ann, &path).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.json["client_secret"], r.hook.client_secret);
    let theirs = r.get(&r.bob, &path).await;
    assert_eq!(theirs.status, 404, "{}", theirs.text);
    assert_eq!(theirs.json["message"], "Application not found");
    // Published, anyone signed in sees its public part, still without secrets.
    tributary::apps::manage::set_published(&r.app.store, r.hook.id, true)
        .await
        .unwrap();
    let theirs = r.get(&r.bob, &path).await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(theirs.json["name"], "GitHub");
    assert!(theirs.json["client_secret"].is_null());
}
