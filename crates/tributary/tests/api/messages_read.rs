//! Reading and changing messages (docs/messages.md): list filters, one message, PUT and
//! DELETE with the events they record.

use reqwest::Method;
use serde_json::{json, Value};
use tributary_sdk::MessageFilter;
use tributary_types::EditMessage;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, ids, send, Room};

backend_tests!(
    lists_filter_by_event_limit_sort_and_ids,
    lists_filter_by_tags_search_and_skip,
    filters_arrive_as_a_json_body_on_get_too,
    bad_filters_answer_400,
    one_message_by_id,
    put_edits_own_content_and_anyones_tags,
    delete_removes_inbox_items_and_truncates_own_chat,
);

async fn lists_filter_by_event_limit_sort_and_ids(b: Backend) {
    let r = Room::new(b).await;
    for i in 0..33 {
        r.user_post(&r.ann, &r.path("/messages"), json!({"event": "message", "content": format!("m{i}")})).await;
    }
    r.user_post(&r.ann, &r.path("/messages"), json!({"event": "status", "content": "away"})).await;
    r.token_post(activity("pr:1", "Opened")).await;
    // Default: the 30 newest, in ascending order.
    let latest = r.messages("").await;
    assert_eq!(ids(&latest), (6..=35).collect::<Vec<_>>());
    let oldest = r.messages("?sort=asc&limit=3").await;
    assert_eq!(ids(&oldest), [1, 2, 3]);
    let newest = r.messages("?limit=2").await;
    assert_eq!(ids(&newest), [34, 35]);
    let events = r.messages("?event=status,activity").await;
    assert_eq!(ids(&events), [34, 35]);
    assert_eq!(ids(&r.messages("?event=activity").await), [35]);
    // since_id and until_id exclude the named message.
    assert_eq!(ids(&r.messages("?since_id=32").await), [33, 34, 35]);
    assert_eq!(ids(&r.messages("?until_id=4&sort=asc").await), [1, 2, 3]);
    assert_eq!(ids(&r.messages("?since_id=10&until_id=13").await), [11, 12]);
    // Reading with `since_id` page by page sees every message once.
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        let page = r.messages(&format!("?since_id={cursor}&sort=asc&limit=7")).await;
        if page.is_empty() {
            break;
        }
        cursor = *ids(&page).last().unwrap();
        seen.extend(ids(&page));
    }
    assert_eq!(seen, (1..=35).collect::<Vec<_>>());
    // The SDK builds the same query.
    let sdk = r
        .ann
        .client
        .messages()
        .list("acme", "main", &MessageFilter { event: Some("status".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(sdk.len(), 1);
    assert_eq!(sdk[0].content, "away");
}

async fn lists_filter_by_tags_search_and_skip(b: Backend) {
    let r = Room::new(b).await;
    let post = |content: &str, tags: Value| {
        let body = json!({"event": "message", "content": content, "tags": tags});
        let r = &r;
        async move { r.user_post(&r.ann, &r.path("/messages"), body).await.json["id"].as_i64().unwrap() }
    };
    let a = post("the quick brown fox", json!(["red", "blue"])).await;
    let b_ = post("a lazy dog sleeps", json!(["red"])).await;
    let c = post("quick thinking @bob", json!(["green"])).await;
    let d = post("Brown bread and #Red wine", json!([])).await;
    assert_eq!(ids(&r.messages("?tags=red").await), [a, b_, d]);
    assert_eq!(ids(&r.messages("?tags=red,blue").await), [a]);
    assert_eq!(ids(&r.messages("?tags=%23RED,blue").await), [a], "# and case do not matter");
    assert_eq!(ids(&r.messages("?tags=blue,green&tag_mode=or").await), [a, c]);
    assert_eq!(ids(&r.messages("?tags=blue,green&tag_mode=and").await), Vec::<i64>::new());
    assert_eq!(ids(&r.messages("?tags=@bob").await), [c]);
    assert_eq!(ids(&r.messages(&format!("?tags=:user:{}", r.bob.id)).await), [c]);
    // Full text search matches every keyword.
    assert_eq!(ids(&r.messages("?search=quick").await), [a, c]);
    assert_eq!(ids(&r.messages("?search=quick%20brown").await), [a]);
    assert_eq!(ids(&r.messages("?search=BROWN").await), [a, d]);
    assert_eq!(ids(&r.messages("?search=unicorn").await), Vec::<i64>::new());
    assert_eq!(ids(&r.messages("?search=%22quoted%22%20fox").await), Vec::<i64>::new());
    let inbox = r.token_post(activity("pr:5", "Deployed the quick fix")).await.json["id"].as_i64().unwrap();
    assert_eq!(ids(&r.messages("?search=quick").await), [a, c, inbox]);
    // skip drops the newest matches first (the default order is descending).
    assert_eq!(ids(&r.messages("?skip=1&limit=2").await), [c, d]);
    assert_eq!(ids(&r.messages("?skip=1&limit=2&sort=asc").await), [b_, c]);
}

async fn filters_arrive_as_a_json_body_on_get_too(b: Backend) {
    let r = Room::new(b).await;
    for kind in ["message", "status", "message"] {
        r.user_post(&r.ann, &r.path("/messages"), json!({"event": kind, "content": "x"})).await;
    }
    let a = send(
        r.as_user(&r.ann, Method::GET, &r.path("/messages"))
            .json(&json!({"event": "status", "limit": "5"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(ids(a.json.as_array().unwrap()), [2]);
    let empty = send(r.as_user(&r.ann, Method::GET, &r.path("/messages")).json(&json!({}))).await;
    assert_eq!(empty.json.as_array().unwrap().len(), 3);
}

async fn bad_filters_answer_400(b: Backend) {
    let r = Room::new(b).await;
    for (q, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=many", "limit"),
        ("sort=sideways", "sort"),
        ("tag_mode=xor", "tag_mode"),
        ("skip=-1", "skip"),
        ("since_id=abc", "since_id"),
    ] {
        let a = r.get(&r.ann, &r.path(&format!("/messages?{q}"))).await;
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert!(a.json["errors"][field].is_array(), "{q}: {}", a.text);
    }
    assert_eq!(r.get(&r.ann, &r.path("/messages?limit=100")).await.status, 200);
}

async fn one_message_by_id(b: Backend) {
    let r = Room::new(b).await;
    let posted = r.user_post(&r.ann, &r.path("/messages"), json!({"event": "message", "content": "find me"})).await.json;
    let got = r.get(&r.bob, &r.path(&format!("/messages/{}", posted["id"]))).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json, posted);
    let sdk = r.bob.client.messages().get("acme", "main", posted["id"].as_i64().unwrap()).await.unwrap();
    assert_eq!(sdk.content, "find me");
    for missing in ["999", "abc"] {
        let a = r.get(&r.ann, &r.path(&format!("/messages/{missing}"))).await;
        assert_eq!(a.status, 404);
        assert_eq!(a.json["message"], "Message not found");
    }
    let eve = r.app.user("eve").await;
    assert_eq!(r.get(&eve, &r.path(&format!("/messages/{}", posted["id"]))).await.status, 404);
}

async fn put_edits_own_content_and_anyones_tags(b: Backend) {
    let r = Room::new(b).await;
    let mine = r.user_post(&r.ann, &r.path("/messages"), json!({"event": "message", "content": "helo", "tags": ["draft"]})).await.json;
    let id = mine["id"].as_i64().unwrap();
    let path = r.path(&format!("/messages/{id}"));
    let edit = send(r.as_user(&r.ann, Method::PUT, &path).json(&json!({"content": "hello #fixed"}))).await;
    assert_eq!(edit.status, 200, "{}", edit.text);
    assert_eq!(edit.text, "{}");
    let now = r.get(&r.ann, &path).await.json;
    assert_eq!(now["content"], "hello #fixed");
    assert!(now["edited"].is_i64());
    assert!(now["tags"].as_array().unwrap().contains(&json!("fixed")));
    let edits = r.messages("?event=message-edit").await;
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["content"], json!({"message": id, "updated_content": "hello #fixed"}));
    assert_eq!(edits[0]["user"], r.ann.id.to_string());
    // Someone else's content is not theirs to edit; the tags are.
    let theirs = send(r.as_user(&r.bob, Method::PUT, &path).json(&json!({"content": "hacked"}))).await;
    assert_eq!(theirs.status, 403);
    r.bob
        .client
        .messages()
        .edit("acme", "main", id, &EditMessage { content: None, tags: Some(vec!["#Reviewed".into(), "fixed".into()]) })
        .await
        .unwrap();
    let tagged = r.get(&r.ann, &path).await.json;
    assert_eq!(tagged["tags"], json!(["reviewed", "fixed"]));
    assert_eq!(tagged["content"], "hello #fixed");
    let changes = r.messages("?event=tag-change").await;
    let last = changes.last().unwrap();
    assert_eq!(last["content"]["message"], id);
    assert_eq!(last["content"]["add"], json!(["reviewed"]));
    assert_eq!(last["content"]["remove"], json!(["draft"]));
    assert_eq!(last["user"], r.bob.id.to_string());
    // Tag filters see the new tags at once.
    assert_eq!(ids(&r.messages("?tags=reviewed").await), [id]);
    assert!(r.messages("?tags=draft").await.is_empty());
    // Inbox items have no editable content; nothing at all is a 400; unknown ids are 404.
    let item = r.token_post(activity("pr:1", "Opened")).await.json;
    let inbox = send(r.as_user(&r.ann, Method::PUT, &r.path(&format!("/messages/{}", item["id"]))).json(&json!({"content": "x"}))).await;
    assert_eq!(inbox.status, 403);
    let nothing = send(r.as_user(&r.ann, Method::PUT, &path).json(&json!({}))).await;
    assert_eq!(nothing.status, 400);
    assert_eq!(send(r.as_user(&r.ann, Method::PUT, &r.path("/messages/999")).json(&json!({"tags": []}))).await.status, 404);
}

async fn delete_removes_inbox_items_and_truncates_own_chat(b: Backend) {
    let r = Room::new(b).await;
    let first = r.token_post(activity("pr:1", "Opened")).await.json;
    let second = r.token_post(activity("pr:1", "Merged")).await.json;
    let tid = first["thread_id"].as_str().unwrap().to_owned();
    let del = send(r.as_user(&r.bob, Method::DELETE, &r.path(&format!("/messages/{}", second["id"])))).await;
    assert_eq!(del.status, 204, "{}", del.text);
    assert_eq!(r.get(&r.ann, &r.path(&format!("/messages/{}", second["id"]))).await.status, 404);
    let thread = r.get(&r.ann, &r.path(&format!("/threads/{tid}"))).await.json;
    assert_eq!(thread["activities"], 1, "the thread's counts follow the removal");
    assert!(r.messages("?search=merged").await.is_empty());

    let chat = r.user_post(&r.ann, &r.path("/messages"), json!({"event": "message", "content": "oops #secret"})).await.json;
    let path = r.path(&format!("/messages/{}", chat["id"]));
    assert_eq!(send(r.as_user(&r.bob, Method::DELETE, &path)).await.status, 403);
    r.ann.client.messages().delete("acme", "main", chat["id"].as_i64().unwrap()).await.unwrap();
    let truncated = r.get(&r.ann, &path).await.json;
    assert_eq!(truncated["content"], "");
    assert!(truncated["edited"].is_i64());
    assert!(r.messages("?search=oops").await.is_empty());
    let edit = r.messages("?event=message-edit").await;
    assert_eq!(edit[0]["content"], json!({"message": chat["id"], "updated_content": ""}));
    // Anything else (a status, say) is not deletable.
    let status = r.user_post(&r.ann, &r.path("/messages"), json!({"event": "status", "content": "away"})).await.json;
    let a = send(r.as_user(&r.ann, Method::DELETE, &r.path(&format!("/messages/{}", status["id"]))).json(&json!({}))).await;
    assert_eq!(a.status, 403);
    assert!(a.json["message"].is_string());
    assert_eq!(send(r.as_user(&r.ann, Method::DELETE, &r.path("/messages/999"))).await.status, 404);
}
