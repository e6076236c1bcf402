//! Reading messages (flowdock/api-docs docs/messages.md): every list filter, as a query or a JSON body, and one
//! message by id.

use reqwest::Method;
use serde_json::{json, Value};
use tributary_sdk::MessageFilter;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, ids, send, Room};

backend_tests!(
    lists_filter_by_event_limit_sort_and_ids,
    lists_filter_by_tags_search_and_skip,
    filters_arrive_as_a_json_body_on_get_too,
    bad_filters_answer_400,
    a_since_id_reader_never_misses_a_message,
    one_message_by_id,
);

async fn lists_filter_by_event_limit_sort_and_ids(b: Backend) {
    let r = Room::new(b).await;
    for i in 0..33 {
        r.user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": format!("m{i}")}),
        )
        .await;
    }
    r.user_post(
        &r.ann,
        &r.path("/messages"),
        json!({"event": "status", "content": "away"}),
    )
    .await;
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
        let page = r
            .messages(&format!("?since_id={cursor}&sort=asc&limit=7"))
            .await;
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
        .list(
            "acme",
            "main",
            &MessageFilter {
                event: Some("status".into()),
                ..Default::default()
            },
        )
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
        async move {
            r.user_post(&r.ann, &r.path("/messages"), body).await.json["id"]
                .as_i64()
                .unwrap()
        }
    };
    let a = post("the quick brown fox", json!(["red", "blue"])).await;
    let b_ = post("a lazy dog sleeps", json!(["red"])).await;
    let c = post("quick thinking @bob", json!(["green"])).await;
    let d = post("Brown bread and #Red wine", json!([])).await;
    assert_eq!(ids(&r.messages("?tags=red").await), [a, b_, d]);
    assert_eq!(ids(&r.messages("?tags=red,blue").await), [a]);
    assert_eq!(
        ids(&r.messages("?tags=%23RED,blue").await),
        [a],
        "# and case do not matter"
    );
    assert_eq!(
        ids(&r.messages("?tags=blue,green&tag_mode=or").await),
        [a, c]
    );
    assert_eq!(
        ids(&r.messages("?tags=blue,green&tag_mode=and").await),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&r.messages("?tags=@bob").await), [c]);
    assert_eq!(
        ids(&r.messages(&format!("?tags=:user:{}", r.bob.id)).await),
        [c]
    );
    // Full text search matches every keyword.
    assert_eq!(ids(&r.messages("?search=quick").await), [a, c]);
    assert_eq!(ids(&r.messages("?search=quick%20brown").await), [a]);
    assert_eq!(ids(&r.messages("?search=BROWN").await), [a, d]);
    assert_eq!(ids(&r.messages("?search=unicorn").await), Vec::<i64>::new());
    assert_eq!(
        ids(&r.messages("?search=%22quoted%22%20fox").await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&r.messages("?search=-%20***%20%22").await),
        Vec::<i64>::new(),
        "punctuation is no syntax error"
    );
    let inbox = r
        .token_post(activity("pr:5", "Deployed the quick fix"))
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    assert_eq!(ids(&r.messages("?search=quick").await), [a, c, inbox]);
    // skip drops the newest matches first (the default order is descending).
    assert_eq!(ids(&r.messages("?skip=1&limit=2").await), [c, d]);
    assert_eq!(ids(&r.messages("?skip=1&limit=2&sort=asc").await), [b_, c]);
}

async fn filters_arrive_as_a_json_body_on_get_too(b: Backend) {
    let r = Room::new(b).await;
    for kind in ["message", "status", "message"] {
        r.user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": kind, "content": "x"}),
        )
        .await;
    }
    let a = send(
        r.as_user(&r.ann, Method::GET, &r.path("/messages"))
            .json(&json!({"event": "status", "limit": "5"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(ids(a.json.as_array().unwrap()), [2]);
    let empty = send(
        r.as_user(&r.ann, Method::GET, &r.path("/messages"))
            .json(&json!({})),
    )
    .await;
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
    assert_eq!(
        r.get(&r.ann, &r.path("/messages?limit=100")).await.status,
        200
    );
}

async fn one_message_by_id(b: Backend) {
    let r = Room::new(b).await;
    let posted = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "find me"}),
        )
        .await
        .json;
    let got = r
        .get(&r.bob, &r.path(&format!("/messages/{}", posted["id"])))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json, posted);
    let sdk = r
        .bob
        .client
        .messages()
        .get("acme", "main", posted["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(sdk.content, "find me");
    for missing in ["999", "abc"] {
        let a = r
            .get(&r.ann, &r.path(&format!("/messages/{missing}")))
            .await;
        assert_eq!(a.status, 404);
        assert_eq!(a.json["message"], "Message not found");
    }
    let eve = r.app.user("eve").await;
    assert_eq!(
        r.get(&eve, &r.path(&format!("/messages/{}", posted["id"])))
            .await
            .status,
        404
    );
}

async fn a_since_id_reader_never_misses_a_message(b: Backend) {
    let r = Room::new(b).await;
    let mut writers = Vec::new();
    for w in 0..4 {
        let http = r.app.http.clone();
        let url = r.app.url(&r.path("/messages"));
        let token = r.ann.token.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..25 {
                let res = http
                    .post(&url)
                    .basic_auth(&token, Some(""))
                    .json(&json!({"event": "message", "content": format!("{w}-{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        }));
    }
    // Page with since_id while the writers run; a message committed out of id order would be
    // skipped here for good.
    let mut seen = Vec::new();
    let mut cursor = 0;
    let mut done = false;
    for _ in 0..10_000 {
        let finished = writers.iter().all(|w| w.is_finished());
        let page = r
            .messages(&format!("?since_id={cursor}&sort=asc&limit=100"))
            .await;
        if let Some(last) = ids(&page).last() {
            cursor = *last;
        }
        seen.extend(ids(&page));
        if finished && page.is_empty() {
            done = true;
            break;
        }
    }
    assert!(done, "the writers finished");
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(seen, (1..=100).collect::<Vec<_>>());
}
