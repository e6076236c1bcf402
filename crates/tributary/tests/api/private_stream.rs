//! Issue 17, point 2: the Streaming API carries private messages. `user=1` adds the caller's
//! conversations (sent and received, started before or while the stream is open), with the
//! resume and `gap` guarantees of flows, and the stream ends when its credential goes.

use std::time::Duration;

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, Settings, TestApp, TestDb};
use crate::private_world::World;
use crate::stream_reader::StreamReader;

backend_tests!(
    a_user_stream_carries_sent_and_received_private_messages,
    flows_and_private_messages_stream_together,
    a_resume_replays_private_messages_and_a_bad_cursor_gets_a_gap,
    a_user_stream_ends_when_its_credential_changes,
);

/// The next object of a JSON stream that is a message (not a keep-alive or control event).
async fn next_message(s: &mut StreamReader) -> Value {
    loop {
        let v = s.next_json().await.expect("the stream goes on");
        if v.get("id").is_some() {
            return v;
        }
    }
}

async fn flow_post(w: &World, text: &str) {
    let res = w
        .call(
            &w.ann,
            reqwest::Method::POST,
            "/flows/acme/main/messages",
            Some(json!({"event": "message", "content": text})),
        )
        .await;
    assert_eq!(res.status, 201);
}

async fn a_user_stream_carries_sent_and_received_private_messages(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob, carol) = (&w.ann, &w.bob, &w.carol);
    // Opened before any conversation exists: the ones started later join it.
    let mut s = StreamReader::open(&w.app, ann, "/stream?active=true&user=1", &[]).await;
    let mut theirs = StreamReader::open(&w.app, carol, "/stream/flows?user=1", &[]).await;
    flow_post(&w, "not private").await;
    w.say(bob, ann, "psst").await;
    let got = next_message(&mut s).await;
    assert_eq!(
        (&got["content"], &got["to"]),
        (&json!("psst"), &json!(ann.id.to_string()))
    );
    assert_eq!(got["user"], bob.id.to_string());
    assert!(got.get("flow").is_none(), "{got}");
    w.say(ann, bob, "psst back").await;
    let sent = next_message(&mut s).await;
    assert_eq!(
        (&sent["content"], &sent["id"]),
        (&json!("psst back"), &json!(2))
    );
    // A third user's stream saw none of it: its first message is its own conversation's.
    w.say(ann, carol, "hi carol").await;
    assert_eq!(next_message(&mut theirs).await["content"], "hi carol");
    // Ann's stream has her new conversation with Carol too.
    assert_eq!(next_message(&mut s).await["to"], carol.id.to_string());
    let edit = w
        .call(
            bob,
            reqwest::Method::PUT,
            &format!("/private/{}/messages/1", ann.id),
            Some(json!({"content": "psst!"})),
        )
        .await;
    assert_eq!(edit.status, 200);
    let e = next_message(&mut s).await;
    assert_eq!(
        (&e["event"], &e["to"]),
        (&json!("message-edit"), &json!(ann.id.to_string()))
    );
}

async fn flows_and_private_messages_stream_together(b: Backend) {
    let w = World::new(b).await;
    w.say(&w.bob, &w.ann, "before").await;
    let path = "/stream/flows?filter=acme/main&user=1";
    let mut both = StreamReader::open(&w.app, &w.ann, path, &[]).await;
    let mut flow_only =
        StreamReader::open(&w.app, &w.ann, "/stream/flows?filter=acme/main", &[]).await;
    w.say(&w.bob, &w.ann, "private").await;
    flow_post(&w, "public").await;
    let mut got = [next_message(&mut both).await, next_message(&mut both).await];
    got.sort_by_key(|m| m["content"].as_str().unwrap_or_default().to_owned());
    assert_eq!(
        (&got[0]["content"], &got[1]["content"]),
        (&json!("private"), &json!("public"))
    );
    assert!(
        got[0].get("to").is_some()
            && got[1]["flow"]
                == w.app
                    .store
                    .flow_by_name("acme", "main")
                    .await
                    .unwrap()
                    .unwrap()
                    .id
    );
    assert_eq!(next_message(&mut flow_only).await["content"], "public");
}

async fn a_resume_replays_private_messages_and_a_bad_cursor_gets_a_gap(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob) = (&w.ann, &w.bob);
    w.say(bob, ann, "one").await;
    let sse = [("accept", "text/event-stream")];
    let path = "/stream/flows?user=1";
    let mut s = StreamReader::open(&w.app, ann, path, &sse).await;
    w.say(bob, ann, "two").await;
    let (id, _, data) = s.next_sse().await.unwrap();
    assert_eq!(data["content"], "two");
    let cursor = id.expect("an id");
    let (lo, hi) = (ann.id.min(bob.id), ann.id.max(bob.id));
    // Even with one conversation the cursor names it: the stream's conversations may grow.
    assert_eq!(cursor, format!("private-{lo}-{hi}:2"));
    drop(s);
    w.say(bob, ann, "three").await;
    w.say(ann, bob, "four").await;
    let resume = [
        ("accept", "text/event-stream"),
        ("last-event-id", cursor.as_str()),
    ];
    let mut again = StreamReader::open(&w.app, ann, path, &resume).await;
    for want in ["three", "four"] {
        assert_eq!(again.next_sse().await.unwrap().2["content"], want);
    }
    let bad = [
        ("accept", "text/event-stream"),
        ("last-event-id", "nonsense"),
    ];
    let mut gapped = StreamReader::open(&w.app, ann, path, &bad).await;
    let (_, name, gap) = gapped.next_sse().await.unwrap();
    assert_eq!(
        (name.as_deref(), &gap["reason"]),
        (Some("gap"), &json!("invalid_cursor"))
    );
    assert_eq!(gap["cursor"], format!("private-{lo}-{hi}:0"));
}

async fn a_user_stream_ends_when_its_credential_changes(b: Backend) {
    let settings = Settings {
        keepalive: Duration::from_millis(200),
        ..Settings::default()
    };
    let w = World::on(TestApp::spawn_tuned(b, settings).await).await;
    let mut s = StreamReader::open(&w.app, &w.ann, "/stream?user=1", &[]).await;
    w.say(&w.bob, &w.ann, "hi").await;
    assert_eq!(next_message(&mut s).await["content"], "hi");
    let rotated = tributary::secrets::hash_token("rotated");
    w.app
        .store
        .set_api_token_hash(w.ann.id, &rotated)
        .await
        .unwrap();
    let end = crate::revocation_room::json_end(&mut s).await;
    assert_eq!(end["content"]["reason"], "credential_changed", "{end}");
}

/// A conversation started through one PostgreSQL node reaches a user stream open on another.
#[tokio::test]
async fn a_conversation_started_on_another_node_reaches_the_stream() {
    let db = TestDb::new(Backend::Postgres).await;
    let w = World::on(TestApp::spawn_on(db.share()).await).await;
    let node_b = TestApp::spawn_on(db.share()).await;
    let path = node_b.url("/stream?user=1");
    let req = node_b.http.get(&path).basic_auth(&w.ann.token, Some(""));
    let mut s = StreamReader::send(req, &path).await;
    w.say(&w.bob, &w.ann, "across nodes").await;
    w.say(&w.bob, &w.ann, "and again").await;
    assert_eq!(next_message(&mut s).await["content"], "across nodes");
    assert_eq!(next_message(&mut s).await["content"], "and again");
}
