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

backend_tests!(concurrent_posts_get_contiguous_ids_in_order_and_a_bad_one_fails_alone);

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
