//! Store conformance for idempotency keys: a replay answers without writing, and keys expire after a day, on SQLite and PostgreSQL.

use tributary::store::*;

use crate::backend_tests;
use crate::helpers::{Backend, TestDb};
use crate::store_messages::{post, stored, two_flows};

backend_tests!(
    idempotency_keys_replay_without_writing,
    idempotency_keys_expire_after_a_day,
);

/// Moves every idempotency key back in time by `ms`, behind the store's back.
async fn age_keys(db: &TestDb, ms: i64) {
    let sql = format!("UPDATE idempotency_keys SET created_at = created_at - {ms}");
    match db.url.strip_prefix("sqlite://") {
        Some(path) => {
            let c = rusqlite::Connection::open(path).unwrap();
            c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
            c.execute_batch(&sql).unwrap();
        }
        None => {
            let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client.batch_execute(&sql).await.unwrap();
        }
    }
}

async fn idempotency_keys_replay_without_writing(b: Backend) {
    let (_db, s) = two_flows(b).await;
    let claim = IdempotencyClaim {
        scope: "user:1".into(),
        key: "key:k".into(),
        request_hash: "h".into(),
        status: 201,
        body_is_message: true,
    };
    let mut p = post("flow-a", "status", ThreadRef::None);
    p.claim = Some(claim.clone());
    let first = stored(&s, p.clone()).await;
    match s.post_message(p).await.unwrap() {
        PostOutcome::Replay(r) => {
            assert_eq!((r.status, r.request_hash.as_str()), (201, "h"));
            assert_eq!(r.body, &*first.json);
        }
        other => panic!("expected a replay, got {other:?}"),
    }
    let r = s
        .idempotent_response("user:1", "key:k")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.body, &*first.json);
    assert!(s
        .idempotent_response("user:2", "key:k")
        .await
        .unwrap()
        .is_none());
    let all = s
        .list_messages(MessageQuery {
            flow_id: "flow-a".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

async fn idempotency_keys_expire_after_a_day(b: Backend) {
    let (db, s) = two_flows(b).await;
    let claim = IdempotencyClaim {
        scope: "source:1".into(),
        key: "key:daily".into(),
        request_hash: "h1".into(),
        status: 202,
        body_is_message: false,
    };
    let mut p = post("flow-a", "status", ThreadRef::None);
    p.claim = Some(claim.clone());
    stored(&s, p.clone()).await;
    // Just inside the day the key still replays.
    age_keys(&db, IDEMPOTENCY_TTL_MS - 60_000).await;
    assert!(matches!(
        s.post_message(p.clone()).await.unwrap(),
        PostOutcome::Replay(_)
    ));
    // Past it the key is forgotten, and may name a new request.
    age_keys(&db, 120_000).await;
    assert!(s
        .idempotent_response("source:1", "key:daily")
        .await
        .unwrap()
        .is_none());
    let mut again = p;
    again.claim = Some(IdempotencyClaim {
        request_hash: "h2".into(),
        ..claim
    });
    let second = stored(&s, again.clone()).await;
    assert_eq!(second.id, 2);
    match s.post_message(again).await.unwrap() {
        PostOutcome::Replay(r) => {
            assert_eq!((r.request_hash.as_str(), r.body.as_str()), ("h2", "{}"))
        }
        other => panic!("expected a replay, got {other:?}"),
    }
}
