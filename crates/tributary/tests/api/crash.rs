//! The crash test: the real `tributary` binary takes posts at full speed from several tasks,
//! is killed with SIGKILL mid-run, restarts on the same database, and every post that got a
//! 2xx is there exactly once (acknowledged means durable, DESIGN §3.1 and §5).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::backend_tests;
use crate::child_server::{admin, app_create, seed_ann_in_main, serve, source_create};
use crate::helpers::{Backend, TestDb};
use crate::setup::json_of;

backend_tests!(acknowledged_posts_survive_sigkill_exactly_once);

const WRITERS: usize = 8;
/// Acknowledged posts to wait for before the kill.
const ACKS_BEFORE_KILL: usize = 150;
/// Upper bound on each writer's posts, so the test always ends.
const MAX_POSTS_PER_WRITER: usize = 5_000;

async fn acknowledged_posts_survive_sigkill_exactly_once(b: Backend) {
    let db = TestDb::new(b).await;
    let (user, _) = seed_ann_in_main(&db, "ann@x.io", "Ann", &[]);
    let api_token = user["api_token"].as_str().unwrap().to_owned();
    let hook = admin(&db, &app_create("ann@x.io", "Hook"));
    let hook_id = hook["id"].to_string();
    let source = admin(&db, &source_create("acme/main", &hook_id, "repo"));
    let flow_token = source["flow_token"].as_str().unwrap().to_owned();

    let (mut server, base) = serve(&db).await;
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (acked, stop, base) = (acked.clone(), stop.clone(), base.clone());
        let (flow_token, api_token) = (flow_token.clone(), api_token.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            for i in 0..MAX_POSTS_PER_WRITER {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let uuid = format!("w{w}-{i}");
                // Half the writers are integrations (202), half users (201).
                let req = if w % 2 == 0 {
                    http.post(format!("{base}/messages")).json(&json!({
                        "flow_token": flow_token, "event": "message", "content": uuid,
                        "external_user_name": "crash", "uuid": uuid
                    }))
                } else {
                    http.post(format!("{base}/flows/acme/main/messages"))
                        .basic_auth(&api_token, Some(""))
                        .json(&json!({"event": "message", "content": uuid, "uuid": uuid}))
                };
                match req.send().await {
                    Ok(res) if res.status().is_success() => acked.lock().unwrap().push(uuid),
                    Ok(res) => panic!("unexpected {} for {uuid}", res.status()),
                    // The server is gone: this post may or may not have been stored.
                    Err(_) => break,
                }
            }
        }));
    }
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= ACKS_BEFORE_KILL {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = crate::helpers::signal_and_wait(&mut server, "KILL").await;
    assert!(!status.success(), "killed, not exited: {status:?}");
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= ACKS_BEFORE_KILL,
        "only {} posts were acknowledged",
        acked.len()
    );

    // Restart on the same database and read everything back.
    let (_server, base) = serve(&db).await;
    let http = reqwest::Client::new();
    let mut stored: HashMap<String, usize> = HashMap::new();
    let mut ids = Vec::new();
    let mut since = 0;
    loop {
        let page: Vec<Value> = json_of(
            http.get(format!(
                "{base}/flows/acme/main/messages?sort=asc&limit=100&since_id={since}"
            ))
            .basic_auth(&api_token, Some("")),
        )
        .await;
        let Some(last) = page.last() else { break };
        since = last["id"].as_i64().unwrap();
        for m in &page {
            ids.push(m["id"].as_i64().unwrap());
            // The source's "new integration" item is the one inbox item; the posts are chat.
            if m["event"] == "message" {
                *stored
                    .entry(m["content"].as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
    for uuid in &acked {
        assert_eq!(
            stored.get(uuid),
            Some(&1),
            "acknowledged post {uuid} stored exactly once"
        );
    }
    assert!(stored.values().all(|n| *n == 1), "no post is stored twice");
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "ids survive without gaps"
    );
    // The server after the restart keeps numbering after the last durable id.
    let next = http
        .post(format!("{base}/flows/acme/main/messages"))
        .basic_auth(&api_token, Some(""))
        .json(&json!({"event": "message", "content": "after the crash"}))
        .send()
        .await
        .unwrap();
    assert_eq!(next.status(), 201);
    let next: Value = next.json().await.unwrap();
    assert_eq!(next["id"].as_i64().unwrap(), ids.len() as i64 + 1);
}
