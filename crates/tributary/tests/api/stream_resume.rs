//! Resuming streams (DESIGN §3.3): no event lost or repeated at the seam, even while posts
//! keep arriving; explicit `gap` notices instead of silence; slow consumers told to resume;
//! and on PostgreSQL, two nodes that stream each other's posts.

use std::time::Duration;

use serde_json::{json, Value};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, Settings, TestApp, TestDb};
use crate::messaging::Room;
use crate::stream_reader::StreamReader;

backend_tests!(
    resuming_at_random_points_never_skips_or_repeats,
    multi_flow_cursors_resume_every_flow,
    bad_or_unknown_cursors_get_a_gap_naming_the_oldest_cursor,
    a_slow_consumer_gets_a_final_gap_notice,
);

/// A small deterministic generator; the seed is printed so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn post_chat(app: &TestApp, token: &str, path: &str, content: String) {
    let res = app
        .http
        .post(app.url(path))
        .basic_auth(token, Some(""))
        .json(&json!({"event": "message", "content": content}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn resuming_at_random_points_never_skips_or_repeats(b: Backend) {
    const TOTAL: usize = 150;
    let room = Room::new(b).await;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let poster = {
        let app_url = room.app.base_url.clone();
        let token = room.ann.token.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..TOTAL {
                let res = http
                    .post(format!("{app_url}/flows/acme/main/messages"))
                    .basic_auth(&token, Some(""))
                    .json(&json!({"event": "message", "content": format!("m{i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        })
    };
    let mut got: Vec<(i64, String)> = Vec::new();
    let mut cursor = "0".to_owned();
    let mut reconnects = 0;
    while got.len() < TOTAL {
        reconnects += 1;
        let take = 1 + rng.below(9) as usize;
        // Alternate the formats: Last-Event-ID for Event-Stream, ?last_event_id= for JSON.
        if reconnects % 2 == 0 {
            let mut s = StreamReader::open(
                &room.app,
                &room.ann,
                "/stream/flows/acme/main?accept=text/event-stream",
                &[("last-event-id", &cursor)],
            )
            .await;
            for _ in 0..take.min(TOTAL - got.len()) {
                let (id, _, data) = s.next_sse().await.expect("event");
                cursor = id.unwrap();
                got.push((
                    data["id"].as_i64().unwrap(),
                    data["content"].as_str().unwrap().to_owned(),
                ));
            }
        } else {
            let path = format!("/stream/flows/acme/main?last_event_id={cursor}");
            let mut s = StreamReader::open(&room.app, &room.ann, &path, &[]).await;
            for _ in 0..take.min(TOTAL - got.len()) {
                let m = s.next_json().await.expect("event");
                cursor = m["id"].to_string();
                got.push((
                    m["id"].as_i64().unwrap(),
                    m["content"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    poster.await.unwrap();
    assert!(
        reconnects > 10,
        "the test resumed often ({reconnects} times)"
    );
    let stored: Vec<(i64, String)> = room
        .messages("?sort=asc&limit=100")
        .await
        .into_iter()
        .chain(room.messages("?sort=asc&limit=100&since_id=100").await)
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(stored.len(), TOTAL);
    assert_eq!(
        got, stored,
        "seed {seed}: the concatenated streams equal the stored sequence"
    );
}

async fn multi_flow_cursors_resume_every_flow(b: Backend) {
    let room = Room::new(b).await;
    let app = &room.app;
    let side = room.anns_flow("Side", AccessMode::Invitation).await;
    let path = format!(
        "/stream/flows?filter=acme/main,{}&accept=text/event-stream",
        side.id
    );
    let mut s = StreamReader::open(app, &room.ann, &path, &[]).await;
    for i in 0..3 {
        post_chat(
            app,
            &room.ann.token,
            "/flows/acme/main/messages",
            format!("main {i}"),
        )
        .await;
        post_chat(
            app,
            &room.ann.token,
            "/flows/acme/side/messages",
            format!("side {i}"),
        )
        .await;
    }
    let mut cursor = String::new();
    for _ in 0..4 {
        cursor = s.next_sse().await.unwrap().0.unwrap();
    }
    drop(s);
    // The cursor names a position in every flow.
    assert!(cursor.contains(&format!("{}:2", side.id)), "{cursor}");
    post_chat(
        app,
        &room.ann.token,
        "/flows/acme/main/messages",
        "main late".into(),
    )
    .await;
    let mut resumed =
        StreamReader::open(app, &room.ann, &path, &[("last-event-id", &cursor)]).await;
    let mut rest = Vec::new();
    for _ in 0..3 {
        rest.push(
            resumed.next_sse().await.unwrap().2["content"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    rest.sort();
    assert_eq!(rest, vec!["main 2", "main late", "side 2"]);
}

async fn bad_or_unknown_cursors_get_a_gap_naming_the_oldest_cursor(b: Backend) {
    let room = Room::new(b).await;
    let app = &room.app;
    for i in 0..3 {
        post_chat(
            app,
            &room.ann.token,
            "/flows/acme/main/messages",
            format!("m{i}"),
        )
        .await;
    }
    let mut s = StreamReader::open(
        app,
        &room.ann,
        "/stream/flows/acme/main?accept=text/event-stream",
        &[("last-event-id", "not-a-cursor")],
    )
    .await;
    let (id, name, data) = s.next_sse().await.unwrap();
    assert_eq!((id, name.as_deref()), (None, Some("gap")));
    assert_eq!(
        (data["reason"].clone(), data["cursor"].clone()),
        (json!("invalid_cursor"), json!("0"))
    );
    // The stream goes on live after the notice.
    post_chat(
        app,
        &room.ann.token,
        "/flows/acme/main/messages",
        "after".into(),
    )
    .await;
    assert_eq!(s.next_sse().await.unwrap().2["content"], "after");

    let mut j = StreamReader::open(
        app,
        &room.ann,
        "/stream/flows/acme/main?last_event_id=999",
        &[],
    )
    .await;
    let gap = j.next_json().await.unwrap();
    assert_eq!(
        gap,
        json!({
            "event": "gap",
            "reason": "unknown_cursor",
            "cursor": "0",
            "message": gap["message"],
        })
    );
    // Resuming from the named cursor replays everything kept.
    let mut again = StreamReader::open(
        app,
        &room.ann,
        "/stream/flows/acme/main?last_event_id=0",
        &[],
    )
    .await;
    for want in ["m0", "m1", "m2", "after"] {
        assert_eq!(again.next_json().await.unwrap()["content"], want);
    }
}

async fn a_slow_consumer_gets_a_final_gap_notice(b: Backend) {
    // 1600 posts from one token as fast as they go, past any rate limit meant for people.
    let settings = Settings {
        bus_capacity: 8,
        rate_limits: false,
        ..Settings::default()
    };
    let app = TestApp::spawn_tuned(b, settings).await;
    let (ann, _, _) = app.ann_in_main().await;
    let mut slow = StreamReader::open(&app, &ann, "/stream/flows/acme/main", &[]).await;
    // Enough 8 KB messages to fill the socket buffers of both ends while nobody reads.
    let big = "x".repeat(8000);
    let mut posters = Vec::new();
    for t in 0..8 {
        let (http, url, token, big) = (
            app.http.clone(),
            app.url("/flows/acme/main/messages"),
            ann.token.clone(),
            big.clone(),
        );
        posters.push(tokio::spawn(async move {
            for i in 0..200 {
                let res = http
                    .post(&url)
                    .basic_auth(&token, Some(""))
                    .json(&json!({"event": "message", "content": format!("{t}-{i} {big}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        }));
    }
    for p in posters {
        p.await.unwrap();
    }
    let mut ids = Vec::new();
    let last = loop {
        match slow.next_json().await {
            Some(m) if m["event"] == "gap" => break m,
            Some(m) => ids.push(m["id"].as_i64().unwrap()),
            None => panic!(
                "the stream ended without a gap notice after {} events",
                ids.len()
            ),
        }
    };
    assert!(ids.len() < 1600, "the consumer fell behind");
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "nothing skipped before the notice"
    );
    assert_eq!(last["reason"], "slow_consumer");
    assert_eq!(
        last["cursor"],
        json!(ids.last().copied().unwrap_or(0).to_string())
    );
    // The notice is the last thing sent: the server closes the stream.
    assert!(slow.next_json().await.is_none());
}

/// Two `tributary serve` nodes on one PostgreSQL database form one cluster.
#[tokio::test]
async fn two_postgres_nodes_stream_each_others_posts_and_share_removals() {
    let db = TestDb::new(Backend::Postgres).await;
    let a = TestApp::spawn_on(db.share()).await;
    let b = TestApp::spawn_on(db.share()).await;
    let (ann, _, flow) = a.ann_in_main().await;

    let mut on_b = StreamReader::open(&b, &ann, "/stream/flows/acme/main", &[]).await;
    post_chat(
        &a,
        &ann.token,
        "/flows/acme/main/messages",
        "from node a".into(),
    )
    .await;
    let posted = std::time::Instant::now();
    let m = on_b.next_json().await.unwrap();
    assert!(
        posted.elapsed() < Duration::from_secs(1),
        "delivered across nodes within 1 s"
    );
    assert_eq!(m["content"], "from node a");

    // A source removed through node A answers 410 on node B at once.
    let hook = crate::messaging::app_record(&a, &ann, "Hook").await;
    let (source, token) = crate::messaging::source(&a, &flow, &hook, "repo").await;
    let mut body = crate::messaging::activity("ext:1", "Opened");
    body["flow_token"] = json!(token);
    let post = |node: &TestApp| node.http.post(node.url("/messages")).json(&body);
    assert_eq!(post(&b).send().await.unwrap().status(), 202);
    let del = a
        .http
        .delete(a.url(&format!("/flows/acme/main/sources/{}", source.id)))
        .basic_auth(&ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let gone = post(&b).send().await.unwrap();
    assert_eq!(gone.status(), 410);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["reason"], "removed");
    // The activity posted through node B reached the stream as well.
    let streamed = on_b.next_json().await.unwrap();
    assert_eq!(streamed["event"], "activity");
}
