//! The SQLite WAL stays bounded under a steady write load. Readers and the background
//! checkpointer alone never let the WAL restart from its beginning while groups keep
//! committing; it then grows without end (~160 MB/s under the benchmark's load).

use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use tributary::store::*;

use crate::helpers::{Backend, TestDb};
use crate::store_messages::{new_thread, post, stored, two_flows};

const THREADS: usize = 400;
const POSTS: usize = 6_000;
/// Posts in flight at once, so they commit in groups as under load.
const IN_FLIGHT: usize = 64;
/// The writer checkpoints at 4,000 frames of 4 KiB; a few groups may commit before the
/// checkpoint that follows gets its turn.
const WAL_LIMIT: u64 = 24 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_restarts_and_stays_bounded_under_a_steady_load() {
    let (db, s) = two_flows(Backend::Sqlite).await;
    let wal = PathBuf::from(format!("{}-wal", db.url.trim_start_matches("sqlite://")));
    for t in 0..THREADS {
        stored(
            &s,
            post(
                "flow-a",
                "comment",
                ThreadRef::Start(new_thread(&format!("t{t}"))),
            ),
        )
        .await;
    }
    // Each post rewrites a random thread row and index pages and appends ~1 KiB of body, so
    // the load writes several times more WAL frames than the limit allows to accumulate.
    let body = "kestrel ".repeat(128);
    let mut largest = 0;
    let mut posts = stream::iter(0..POSTS)
        .map(|i| {
            let mut p = post(
                "flow-a",
                "comment",
                ThreadRef::Existing(format!("t{}", i % THREADS)),
            );
            p.message.content = serde_json::json!({"title": format!("post {i}"), "text": body});
            p.search_text = format!("post {i} {body}");
            let s = s.clone();
            async move { stored(&s, p).await }
        })
        .buffer_unordered(IN_FLIGHT);
    let mut done = 0;
    while posts.next().await.is_some() {
        done += 1;
        if done % 500 == 0 {
            largest = largest.max(std::fs::metadata(&wal).expect("the WAL exists").len());
        }
    }
    let len = std::fs::metadata(&wal).expect("the WAL exists").len();
    largest = largest.max(len);
    assert!(
        largest <= WAL_LIMIT,
        "the WAL reached {largest} bytes over {POSTS} posts"
    );
    // Bytes 12..16 of the WAL header count its restarts (SQLite's checkpoint sequence).
    let header = std::fs::read(&wal).expect("read the WAL");
    let restarts = u32::from_be_bytes(header[12..16].try_into().unwrap());
    assert!(restarts >= 2, "the WAL restarted {restarts} times");
    let last = s
        .post_message(post("flow-a", "status", ThreadRef::None))
        .await
        .unwrap();
    let PostOutcome::Stored(last) = last else {
        panic!("a replay")
    };
    assert_eq!(
        last.id as usize,
        THREADS + POSTS + 1,
        "every post was stored"
    );
}
