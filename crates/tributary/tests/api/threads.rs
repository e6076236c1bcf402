//! Threads (flowdock/api-docs docs/threads.md): keyed by `external_thread_id` per source, addressed by
//! `thread_id`, the newest state wins, counts stay exact under concurrent posts, and the list
//! filters and pages.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, app_record, ids, send, source, Room};

backend_tests!(
    external_thread_ids_map_to_one_thread_per_source,
    the_newest_thread_object_replaces_the_stored_state,
    thread_id_addresses_a_thread_directly,
    counts_and_ids_stay_exact_under_concurrent_posts,
    the_thread_list_filters_and_pages,
    threads_can_be_shown_one_by_one,
);

async fn external_thread_ids_map_to_one_thread_per_source(b: Backend) {
    let r = Room::new(b).await;
    let first = r.token_post(activity("pr:42", "Opened")).await.json;
    let again = r.token_post(activity("pr:42", "Pushed")).await.json;
    assert_eq!(first["thread_id"], again["thread_id"]);
    let tid = first["thread_id"].as_str().unwrap();
    assert_eq!(tid.len(), 27, "Flowdock-shaped random id: {tid}");
    assert_ne!(tid, "pr:42");
    let other = r.token_post(activity("pr:43", "Opened")).await.json;
    assert_ne!(other["thread_id"], first["thread_id"]);
    // Another source's `pr:42` is another thread.
    let (_, token2) = source(&r.app, &r.flow, &r.hook, "acme/gadgets").await;
    let mut body = activity("pr:42", "Opened");
    body["flow_token"] = json!(token2);
    let theirs = send(
        r.app
            .http
            .post(r.app.url("/messages"))
            .header("X-flowdock-wait-for-message", "1")
            .json(&body),
    )
    .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_ne!(theirs.json["thread_id"], first["thread_id"]);
    assert_eq!(theirs.json["thread"]["source"]["name"], "acme/gadgets");
}

async fn the_newest_thread_object_replaces_the_stored_state(b: Backend) {
    let r = Room::new(b).await;
    let mut first = activity("pr:1", "Opened");
    first["thread"]["fields"] = json!([{"label": "Assignee", "value": "ann"}]);
    first["thread"]["actions"] =
        json!([{"@type": "ViewAction", "url": "https://github.com/x/files", "name": "Diff"}]);
    let a = r.token_post(first).await.json;
    let closed = r
        .token_post(json!({
            "event": "activity", "title": "Closed", "author": {"name": "ann"}, "external_thread_id": "pr:1",
            "thread": {"title": "Fix bug (merged)", "status": {"color": "grey", "value": "closed"}, "fields": []}
        }))
        .await
        .json;
    let t = &closed["thread"];
    assert_eq!(t["title"], "Fix bug (merged)");
    assert_eq!(t["status"], json!({"color": "grey", "value": "closed"}));
    assert_eq!(t["fields"], json!([]));
    // What the newest message left out keeps its value.
    assert_eq!(t["body"], "Body with <b>HTML</b>");
    assert_eq!(
        t["external_url"],
        "https://github.com/flowdock/component/pull/42"
    );
    assert_eq!(t["actions"][0]["name"], "Diff");
    // The older message shows the current state too.
    let older = r
        .get(&r.ann, &r.path(&format!("/messages/{}", a["id"])))
        .await
        .json;
    assert_eq!(older["thread"]["status"]["value"], "closed");
    assert_eq!(older["thread"]["activities"], 2);
    let updated_at = t["updated_at"].as_str().unwrap();
    assert!(updated_at >= t["created_at"].as_str().unwrap());
}

async fn thread_id_addresses_a_thread_directly(b: Backend) {
    let r = Room::new(b).await;
    let item = r.token_post(activity("ticket:7", "New ticket")).await.json;
    let tid = item["thread_id"].as_str().unwrap();
    // A user replies in the thread through its own path, and through `thread_id`.
    let reply = r
        .user_post(
            &r.ann,
            &r.path(&format!("/threads/{tid}/messages")),
            json!({"event": "message", "content": "on it"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["thread_id"], tid);
    let by_field = r
        .user_post(
            &r.bob,
            &r.path("/messages"),
            json!({"event": "message", "content": "me too", "thread_id": tid}),
        )
        .await;
    assert_eq!(by_field.json["thread_id"], tid);
    assert_eq!(by_field.json["thread"]["internal_comments"], 2);
    assert_eq!(by_field.json["thread"]["activities"], 1);
    // The integration may use the id too, and an activity needs no `thread` then.
    let act = r
        .token_post(json!({"event": "activity", "title": "Closed", "author": {"name": "bot"}, "thread_id": tid}))
        .await;
    assert_eq!(act.status, 200, "{}", act.text);
    assert_eq!(act.json["thread"]["activities"], 2);
    let ghost = r
        .user_post(
            &r.ann,
            &r.path("/threads/nope/messages"),
            json!({"event": "message", "content": "x"}),
        )
        .await;
    assert_eq!(ghost.status, 404);
    assert_eq!(ghost.json["message"], "Thread not found");
    let in_thread = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}/messages")))
        .await;
    assert_eq!(in_thread.json.as_array().unwrap().len(), 4);
    assert_eq!(
        r.get(&r.ann, &r.path("/threads/nope/messages"))
            .await
            .status,
        404
    );
}

async fn counts_and_ids_stay_exact_under_concurrent_posts(b: Backend) {
    let r = Room::new(b).await;
    let tid = r.token_post(activity("load:1", "start")).await.json["thread_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tasks = Vec::new();
    for i in 0..36 {
        let http = r.app.http.clone();
        let url = r.app.url("/messages");
        let user_url = r.app.url(&r.path("/messages"));
        let token = r.token.clone();
        let ann = r.ann.token.clone();
        let tid = tid.clone();
        tasks.push(tokio::spawn(async move {
            let res = match i % 3 {
                0 => http.post(url).json(&{
                    let mut a = activity("load:1", &format!("update {i}"));
                    a["flow_token"] = json!(token);
                    a
                }),
                1 => http.post(url).json(&json!({
                    "flow_token": token, "event": "discussion", "title": "said", "author": {"name": "x"},
                    "external_thread_id": "load:1", "body": format!("comment {i}"), "thread": {"title": "Load"}
                })),
                _ => http
                    .post(user_url)
                    .basic_auth(ann, Some(""))
                    .json(&json!({"event": "message", "content": format!("chat {i}"), "thread_id": tid})),
            };
            res.send().await.unwrap().status().as_u16()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap() < 300);
    }
    let thread = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}")))
        .await
        .json;
    assert_eq!(thread["activities"], 13);
    assert_eq!(thread["external_comments"], 12);
    assert_eq!(thread["internal_comments"], 12);
    let all = r.messages("?limit=100&sort=asc").await;
    assert_eq!(
        ids(&all),
        (1..=37).collect::<Vec<_>>(),
        "ids increase without gaps or repeats"
    );
}

async fn the_thread_list_filters_and_pages(b: Backend) {
    let r = Room::new(b).await;
    let threads = |q: &str| {
        let q = q.to_owned();
        let r = &r;
        async move {
            let a = r.get(&r.ann, &r.path(&format!("/threads{q}"))).await;
            assert_eq!(a.status, 200, "{}", a.text);
            a
        }
    };
    let lonely = r.chat(&r.ann, "lonely").await.json;
    let chatty = r.chat(&r.ann, "chatty").await.json;
    r.user_post(
        &r.bob,
        &r.path("/messages"),
        json!({"event": "message", "content": "reply", "thread_id": chatty["thread_id"]}),
    )
    .await;
    for i in 0..3 {
        r.token_post(activity(&format!("pr:{i}"), "Opened")).await;
    }
    let other_app = app_record(&r.app, &r.ann, "Zendesk").await;
    let (_, zd) = source(&r.app, &r.flow, &other_app, "support").await;
    let mut z = activity("t:1", "Ticket");
    z["flow_token"] = json!(zd);
    send(r.app.http.post(r.app.url("/messages")).json(&z)).await;

    let ids_of = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // A chat message nobody answered is an empty thread: left out unless `empty=1`.
    let default = threads("").await.json;
    assert_eq!(default.as_array().unwrap().len(), 5);
    assert!(!ids_of(&default).contains(&lonely["thread_id"].as_str().unwrap().to_owned()));
    let updated: Vec<&str> = default
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["updated_at"].as_str().unwrap())
        .collect();
    assert!(
        updated.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {updated:?}"
    );
    assert_eq!(threads("?empty=1").await.json.as_array().unwrap().len(), 6);
    let chat = threads("?application=chat&empty=1").await.json;
    assert_eq!(chat.as_array().unwrap().len(), 2);
    assert!(chat[0]["source"].is_null());
    assert_eq!(
        threads("?application=inbox")
            .await
            .json
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let zendesk = threads(&format!("?application={}", other_app.id))
        .await
        .json;
    assert_eq!(zendesk.as_array().unwrap().len(), 1);
    // Paging: a full page links to the next, older page.
    let page = threads("?limit=2").await;
    assert_eq!(page.json.as_array().unwrap().len(), 2);
    let link = page.headers["link"].to_str().unwrap().to_owned();
    assert!(link.ends_with("; rel=\"next\""), "{link}");
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let next_path = next.strip_prefix(&r.app.base_url).unwrap();
    let page2 = r.get(&r.ann, next_path).await;
    assert_eq!(page2.status, 200, "{}", page2.text);
    let (p1, p2) = (ids_of(&page.json), ids_of(&page2.json));
    assert!(p2.iter().all(|id| !p1.contains(id)), "{p1:?} {p2:?}");
    assert!(!threads("").await.headers.contains_key("link"));
    // since and until are ISO 8601 dates on updated_at.
    let newest = default[0]["updated_at"].as_str().unwrap().to_owned();
    assert_eq!(threads(&format!("?since={newest}")).await.json, json!([]));
    let before = threads(&format!("?until={newest}")).await.json;
    assert_eq!(
        before.as_array().unwrap().len() as i64,
        5 - same_ms(&default, &newest)
    );
    let bad = r.get(&r.ann, &r.path("/threads?since=yesterday")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.json["errors"]["since"].is_array());
    assert_eq!(
        r.get(&r.ann, &r.path("/threads?application=nope"))
            .await
            .status,
        400
    );
    assert_eq!(r.get(&r.ann, &r.path("/threads?limit=0")).await.status, 400);
}

/// Threads updated in the same millisecond as `at` (posts can share one).
fn same_ms(threads: &Value, at: &str) -> i64 {
    threads
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["updated_at"] == at)
        .count() as i64
}

async fn threads_can_be_shown_one_by_one(b: Backend) {
    let r = Room::new(b).await;
    let m = r.token_post(activity("pr:9", "Opened")).await.json;
    let t = r
        .get(
            &r.ann,
            &r.path(&format!("/threads/{}", m["thread_id"].as_str().unwrap())),
        )
        .await;
    assert_eq!(t.status, 200);
    assert_eq!(t.json, m["thread"]);
    assert_eq!(t.json["external_thread_id"], "pr:9");
    let sdk = r
        .ann
        .client
        .threads()
        .get("acme", "main", m["thread_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(sdk.activities, 1);
    assert_eq!(r.get(&r.ann, &r.path("/threads/missing")).await.status, 404);
    let eve = r.app.user("eve").await;
    assert_eq!(r.get(&eve, &r.path("/threads")).await.status, 404);
}
