//! Posts that arrive together are stored together (group commit, DESIGN §5) without bending
//! the contract: every acknowledged post is stored once, a flow's ids are exactly 1..=N in
//! commit order, a live stream gets them all in id order, and one failing post fails alone.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tokio::task::JoinSet;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, ids, Room};
use crate::stream_reader::StreamReader;

backend_tests!(
    concurrent_posts_get_contiguous_ids_in_order_and_a_bad_one_fails_alone,
    a_group_stores_what_sequential_posts_store,
);

const POSTS: usize = 200;
/// The post whose `thread_id` names no thread.
const BAD: usize = POSTS / 2;
/// External items the posts spread over, so threads are created and updated mid-group.
const THREADS: usize = 37;

async fn concurrent_posts_get_contiguous_ids_in_order_and_a_bad_one_fails_alone(b: Backend) {
    let room = Room::new(b).await;
    let mut live = StreamReader::open(&room.app, &room.ann, "/stream/flows/acme/main", &[]).await;

    let mut posts = JoinSet::new();
    for i in 0..POSTS {
        let mut body = if i == BAD {
            json!({"event": "activity", "title": "bad", "author": {"name": "bot"}, "thread_id": "nope"})
        } else {
            activity(&format!("item:{}", i % THREADS), &format!("post {i}"))
        };
        body["flow_token"] = json!(room.token);
        let req = room.app.http.post(room.app.url("/messages")).json(&body);
        posts.spawn(async move { (i, req.send().await.expect("request").status()) });
    }
    while let Some(done) = posts.join_next().await {
        let (i, status) = done.unwrap();
        let want = if i == BAD { 404 } else { 202 };
        assert_eq!(status, want, "post {i}");
    }

    let stored = all_messages(&room).await;
    let n = POSTS as i64 - 1;
    assert_eq!(
        ids(&stored),
        (1..=n).collect::<Vec<_>>(),
        "contiguous, no gap left by the bad post"
    );
    let titles: BTreeSet<String> = stored
        .iter()
        .map(|m| m["title"].as_str().expect("title").to_owned())
        .collect();
    let want: BTreeSet<String> = (0..POSTS)
        .filter(|&i| i != BAD)
        .map(|i| format!("post {i}"))
        .collect();
    assert_eq!(titles, want, "each acknowledged post stored exactly once");

    let mut streamed = Vec::new();
    while streamed.len() < stored.len() {
        let m = live.next_json().await.expect("a live event");
        streamed.push(m["id"].as_i64().expect("numeric id"));
    }
    assert_eq!(
        streamed,
        (1..=n).collect::<Vec<_>>(),
        "streamed in id order, none skipped"
    );

    // Every thread counted each of its posts once.
    let threads = room.get(&room.ann, &room.path("/threads?limit=100")).await;
    assert_eq!(threads.status, 200, "{}", threads.text);
    let threads = threads.json.as_array().expect("array").clone();
    assert_eq!(threads.len(), THREADS);
    let counted: i64 = threads
        .iter()
        .map(|t| t["activities"].as_i64().expect("activities"))
        .sum();
    assert_eq!(counted, n);
}

/// Posts that share groups (two to each thread, thread state changing with each) store the
/// same messages and threads as the same posts one at a time. The sequential posts carry an
/// idempotency key, which keeps them off the PostgreSQL poster's set-based path.
async fn a_group_stores_what_sequential_posts_store(b: Backend) {
    const PAIRS: usize = 12;
    let body = |room: &Room, i: usize| {
        let mut body = activity(&format!("item:{}", i % PAIRS), &format!("post {i}"));
        body["thread"]["title"] = json!(format!("state after post {i}"));
        if i.is_multiple_of(3) {
            body["thread"]["status"] = json!({"color": "red", "value": format!("s{i}")});
        }
        body["flow_token"] = json!(room.token);
        body
    };
    let grouped = Room::new(b).await;
    let mut posts = JoinSet::new();
    for i in 0..PAIRS * 2 {
        let req = grouped
            .app
            .http
            .post(grouped.app.url("/messages"))
            .json(&body(&grouped, i));
        posts.spawn(async move { req.send().await.expect("request").status() });
    }
    while let Some(done) = posts.join_next().await {
        assert_eq!(done.unwrap(), 202);
    }
    let stored = all_messages(&grouped).await;
    assert_eq!(ids(&stored), (1..=(PAIRS * 2) as i64).collect::<Vec<_>>());

    // The same posts, in the order the group stored them, one at a time.
    let one_by_one = Room::new(b).await;
    for m in &stored {
        let i: usize = m["title"].as_str().unwrap()["post ".len()..]
            .parse()
            .unwrap();
        let status = one_by_one
            .app
            .http
            .post(one_by_one.app.url("/messages"))
            .header("Idempotency-Key", format!("sequential-{i}"))
            .json(&body(&one_by_one, i))
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, 202);
    }
    let want = all_messages(&one_by_one).await;
    assert_eq!(
        stored.iter().map(comparable).collect::<Vec<_>>(),
        want.iter().map(comparable).collect::<Vec<_>>()
    );
    let got = threads(&grouped).await;
    assert_eq!(got.len(), PAIRS);
    assert_eq!(got, threads(&one_by_one).await);
}

/// The flow's threads, comparable, in a fixed order.
async fn threads(room: &Room) -> Vec<Value> {
    let a = room.get(&room.ann, &room.path("/threads?limit=100")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let mut all: Vec<Value> = a
        .json
        .as_array()
        .expect("array")
        .iter()
        .map(comparable)
        .collect();
    all.sort_by_key(|t| t["external_thread_id"].to_string());
    all
}

/// A message or thread without what differs between two rooms: times, random thread ids and
/// the flow's id.
fn comparable(v: &Value) -> Value {
    const VARYING: [&str; 5] = ["sent", "created_at", "updated_at", "thread_id", "flow"];
    let mut v = v.clone();
    let o = v.as_object_mut().expect("an object");
    // A message's id is compared; a thread's is random.
    if !o.contains_key("event") {
        o.remove("id");
    }
    for field in VARYING {
        o.remove(field);
    }
    if let Some(t) = o.get_mut("thread").and_then(Value::as_object_mut) {
        for field in VARYING.iter().chain(&["id"]) {
            t.remove(*field);
        }
    }
    v
}

/// The whole flow, oldest first, a page at a time.
async fn all_messages(room: &Room) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let since = all.last().map_or(0, |m| m["id"].as_i64().unwrap());
        let page = room
            .messages(&format!("?sort=asc&limit=100&since_id={since}"))
            .await;
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}
