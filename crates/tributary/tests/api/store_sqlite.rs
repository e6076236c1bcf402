//! What only the SQLite backend has: a WAL that must stay bounded under a steady write
//! load, and a full-text index in a file of its own that catches up from the messages.

use std::path::PathBuf;

use futures_util::stream::{self, StreamExt};
use serde_json::json;
use tributary::store::*;

use crate::helpers::Backend;
use crate::store_messages::{message, new_thread, post, stored, two_flows};

const THREADS: usize = 400;
const POSTS: usize = 6_000;
/// Posts in flight at once, so they commit in groups as under load.
const IN_FLIGHT: usize = 64;
/// The writer checkpoints at 4,000 frames of 4 KiB; a few groups may commit before the
/// checkpoint that follows gets its turn.
const WAL_LIMIT: u64 = 24 << 20;

/// Readers and the background checkpointer alone never let the WAL restart from its
/// beginning while groups keep committing; it then grew without end (~160 MB/s under the
/// benchmark's load).
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

async fn found(s: &DynStore, word: &str) -> Vec<i64> {
    let q = MessageQuery {
        flow_id: "flow-a".into(),
        search: vec![word.into()],
        limit: 10,
        ..Default::default()
    };
    s.list_messages(q)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect()
}

async fn said(s: &DynStore, text: &str) -> StoredMessage {
    let mut p = post("flow-a", "message", ThreadRef::None);
    p.message.content = json!(text);
    p.search_text = text.into();
    stored(s, p).await
}

/// Lets the store's threads finish with the files before the test touches them.
async fn close(s: DynStore) {
    drop(s);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
}

#[tokio::test]
async fn the_search_index_follows_edits_and_deletes_and_rebuilds_from_the_messages() {
    let (db, s) = two_flows(Backend::Sqlite).await;
    let path = PathBuf::from(db.url.trim_start_matches("sqlite://"));
    let one = said(&s, "alpha one").await;
    let two = said(&s, "alpha two").await;
    let three = said(&s, "beta three").await;
    let mut edited = two.parse().unwrap();
    edited.content = json!("gamma");
    s.change_message(MessageChange {
        flow_id: "flow-a".into(),
        id: two.id,
        message: edited,
        search_text: "gamma".into(),
        events: Vec::new(),
    })
    .await
    .unwrap();
    let deletion = NewEvent {
        message: message("flow-a", "message-delete"),
        user_id: None,
    };
    s.delete_message("flow-a", three.id, deletion)
        .await
        .unwrap();
    // Searched right after each acknowledged write: nothing is missed or stale.
    assert_eq!(found(&s, "alpha").await, vec![one.id]);
    assert_eq!(found(&s, "gamma").await, vec![two.id]);
    assert!(found(&s, "beta").await.is_empty());
    close(s).await;

    // An edit that committed while the process died before the indexer applied it.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute(
        "UPDATE messages SET body = json_set(body, '$.content', 'delta') WHERE flow_id = 'flow-a' AND id = ?1",
        [one.id],
    )
    .unwrap();
    c.execute(
        "INSERT INTO search_changes (rowid) SELECT rowid FROM messages WHERE flow_id = 'flow-a' AND id = ?1",
        [one.id],
    )
    .unwrap();
    drop(c);
    let s = db.connect().await;
    assert_eq!(found(&s, "delta").await, vec![one.id]);
    assert!(found(&s, "alpha").await.is_empty());
    close(s).await;

    // A lost index file is rebuilt from the messages.
    let index = path.with_file_name("tributary-search.db");
    assert!(index.exists(), "the index lives beside the database");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", index.display()));
    }
    let s = db.connect().await;
    assert_eq!(found(&s, "delta").await, vec![one.id]);
    assert_eq!(found(&s, "gamma").await, vec![two.id]);
    assert!(found(&s, "beta").await.is_empty());
    let four = said(&s, "alpha again").await;
    assert_eq!(found(&s, "alpha").await, vec![four.id]);
}
