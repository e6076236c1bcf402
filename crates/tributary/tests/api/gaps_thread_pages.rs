//! `GET /flows/:org/:flow/threads` pages by (updated_at, id): following `Link: rel="next"`
//! lists every thread exactly once, even when many share a timestamp, as the threads of one
//! group commit do (issue 17, point 5).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use tokio::task::JoinSet;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, Room};

backend_tests!(link_next_walks_every_thread_once_when_timestamps_tie);

const THREADS: usize = 60;
const PAGE: usize = 7;

async fn link_next_walks_every_thread_once_when_timestamps_tie(b: Backend) {
    let room = Room::new(b).await;
    // Posted at once, so that the store commits them in groups.
    let mut posts = JoinSet::new();
    for i in 0..THREADS {
        let mut body = activity(&format!("item:{i}"), &format!("post {i}"));
        body["flow_token"] = json!(room.token);
        let req = room.app.http.post(room.app.url("/messages")).json(&body);
        posts.spawn(async move { req.send().await.expect("request").status() });
    }
    while let Some(done) = posts.join_next().await {
        assert_eq!(done.unwrap(), 202);
    }

    let mut seen: Vec<String> = Vec::new();
    let mut stamps: BTreeMap<String, usize> = BTreeMap::new();
    let mut next = Some(room.app.url(&room.path(&format!("/threads?limit={PAGE}"))));
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        assert!(pages <= THREADS, "the pages never end");
        let res = room
            .app
            .http
            .get(&url)
            .basic_auth(&room.ann.token, Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{url}");
        next = res
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned())
            .and_then(|l| {
                let url = l.strip_prefix('<')?.split_once(">; rel=\"next\"")?.0;
                Some(url.to_owned())
            });
        let page: Vec<serde_json::Value> = res.json().await.unwrap();
        assert!(page.len() <= PAGE);
        for t in &page {
            seen.push(t["id"].as_str().unwrap().to_owned());
            *stamps
                .entry(t["updated_at"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no thread repeated: {seen:?}");
    assert_eq!(seen.len(), THREADS, "every thread listed");
    assert!(
        stamps.values().any(|&n| n > 1),
        "threads share timestamps, or this test proves nothing: {stamps:?}"
    );

    // `until` alone keeps its documented meaning: updated before that moment.
    let (newest, _) = stamps.iter().next_back().unwrap();
    let before = room
        .get(
            &room.ann,
            &room.path(&format!("/threads?limit=100&until={newest}")),
        )
        .await;
    assert_eq!(before.status, 200, "{}", before.text);
    let n = before.json.as_array().unwrap().len();
    assert_eq!(n, THREADS - stamps[newest]);
}
