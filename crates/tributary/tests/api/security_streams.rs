//! Issue 15, point 4: revocation reaches open streams. A stream is re-checked every keep-alive
//! (200 ms here), and ends with a final `stream-end` event naming why when the OAuth token it
//! was opened with is revoked, its API token regenerated, its session logged out, its account
//! disabled, or its user taken out of the flow; a stream whose credential stays valid runs on.
//! On PostgreSQL a revocation made through one node ends the streams of every node. The
//! flow cases are in `security_streams_flows.rs`, the fixture in `revocation_room.rs`.

use std::time::Instant;

use serde_json::json;

use crate::backend_tests;
use crate::browser::csrf;
use crate::helpers::{Backend, TestApp, TestDb};
use crate::oauth::signed_in;
use crate::revocation_room::{
    admin, cookie_stream, json_end, reason, revoke, room, room_on, runs_on, sse_end, tuned,
    DEADLINE, KEEPALIVE, MAIN,
};
use crate::stream_reader::StreamReader;

backend_tests!(
    a_revoked_oauth_token_ends_its_stream,
    a_regenerated_api_token_ends_its_stream,
    logging_out_ends_the_pages_event_stream,
    disabling_the_account_ends_its_streams,
    valid_credentials_keep_their_streams,
);

async fn a_revoked_oauth_token_ends_its_stream(b: Backend) {
    let r = room(b).await;
    let (dev, revoked) = r.access_token().await;
    let (_, kept) = r.access_token().await;
    let mut gone = StreamReader::send(r.get(MAIN).bearer_auth(&revoked), MAIN).await;
    let query = format!("{MAIN}?access_token={kept}&accept=text/event-stream");
    let mut stays = StreamReader::send(r.get(&query), MAIN).await;

    revoke(&r.app, &dev, &revoked).await;
    let at = Instant::now();
    let end = json_end(&mut gone).await;
    assert!(at.elapsed() < DEADLINE);
    assert_eq!(reason(&end), "token_revoked", "{end}");
    assert!(end["content"]["message"].is_string(), "{end}");
    runs_on(&r, &mut stays, true, "still here").await;
}

async fn a_regenerated_api_token_ends_its_stream(b: Backend) {
    let r = room(b).await;
    let mut gone = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    let sse = [("accept", "text/event-stream")];
    let mut gone_sse = StreamReader::open(&r.app, &r.ann, MAIN, &sse).await;
    // A password stream of the same user does not depend on the API token.
    let by_password = r.get(MAIN).basic_auth(&r.ann.email, Some(&r.ann.password));
    let mut stays = StreamReader::send(by_password, MAIN).await;

    let browser = signed_in(&r.app, &r.ann).await;
    let token = csrf(&browser.page("/account").await);
    let res = browser
        .post("/account/api_token", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status(), 200);
    let end = json_end(&mut gone).await;
    assert_eq!(reason(&end), "credential_changed", "{end}");
    assert_eq!(reason(&sse_end(&mut gone_sse).await), "credential_changed");
    runs_on(&r, &mut stays, false, "password still works").await;
}

async fn logging_out_ends_the_pages_event_stream(b: Backend) {
    let r = room(b).await;
    let page = signed_in(&r.app, &r.ann).await;
    let mut gone = cookie_stream(&r.app, &page, MAIN).await;
    // The same user signed in on another browser stays signed in there.
    let other = signed_in(&r.app, &r.ann).await;
    let mut stays = cookie_stream(&r.app, &other, MAIN).await;

    let token = csrf(&page.page("/account").await);
    let res = page.post("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(res.status(), 303);
    let end = sse_end(&mut gone).await;
    assert_eq!(reason(&end), "logged_out", "{end}");
    runs_on(&r, &mut stays, true, "other browser").await;
}

async fn disabling_the_account_ends_its_streams(b: Backend) {
    let r = room(b).await;
    let mut by_token = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    let by_password = r.get(MAIN).basic_auth(&r.ann.email, Some(&r.ann.password));
    let mut by_password = StreamReader::send(by_password, MAIN).await;
    let page = signed_in(&r.app, &r.ann).await;
    let mut by_cookie = cookie_stream(&r.app, &page, MAIN).await;
    let mut bobs = StreamReader::open(&r.app, &r.bob, MAIN, &[]).await;

    let out = admin(&r.app.db, &["user", "disable", "--email", &r.ann.email]).await;
    assert_eq!(out, json!({"id": r.ann.id, "disabled": true}));
    assert_eq!(reason(&json_end(&mut by_token).await), "account_disabled");
    assert_eq!(
        reason(&json_end(&mut by_password).await),
        "account_disabled"
    );
    assert_eq!(reason(&sse_end(&mut by_cookie).await), "account_disabled");
    runs_on(&r, &mut bobs, false, "bob stays").await;
    // And the account's credentials no longer open streams.
    let again = r.get(MAIN).basic_auth(&r.ann.token, Some("")).send().await;
    assert_eq!(again.unwrap().status(), 401);
}

async fn valid_credentials_keep_their_streams(b: Backend) {
    let r = room(b).await;
    let (_, bearer) = r.access_token().await;
    let page = signed_in(&r.app, &r.ann).await;
    let by_password = r.get(MAIN).basic_auth(&r.ann.email, Some(&r.ann.password));
    let mut streams = vec![
        (StreamReader::open(&r.app, &r.ann, MAIN, &[]).await, false),
        (StreamReader::send(by_password, MAIN).await, false),
        (
            StreamReader::send(r.get(MAIN).bearer_auth(&bearer), MAIN).await,
            false,
        ),
        (cookie_stream(&r.app, &page, MAIN).await, true),
    ];
    // Someone else's revocation touches none of them.
    r.app
        .store
        .set_api_token_hash(r.bob.id, &tributary::secrets::hash_token("new"))
        .await
        .unwrap();
    let until = tokio::time::Instant::now() + KEEPALIVE * 6;
    for (s, _) in &mut streams {
        while let Ok(more) = tokio::time::timeout_at(until, s.fill()).await {
            assert!(more, "{:?}", String::from_utf8_lossy(&s.buf));
        }
    }
    let res = r
        .app
        .http
        .post(r.app.url("/flows/acme/main/messages"))
        .basic_auth(&r.ann.token, Some(""))
        .json(&json!({"event": "message", "content": "all of you"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for (s, sse) in &mut streams {
        let content = if *sse {
            s.next_sse().await.expect("open").2["content"].clone()
        } else {
            s.next_json().await.expect("open")["content"].clone()
        };
        assert_eq!(content, json!("all of you"));
    }
}

/// Node B's store and API revoke; node A's streams end, as A re-reads the shared database.
#[tokio::test]
async fn a_revocation_on_one_postgres_node_ends_a_stream_on_another() {
    let db = TestDb::new(Backend::Postgres).await;
    let r = room_on(TestApp::spawn_on_tuned(db.share(), tuned()).await).await;
    let node_b = TestApp::spawn_on(db.share()).await;
    let (dev, bearer) = r.access_token().await;
    let mut by_bearer = StreamReader::send(r.get(MAIN).bearer_auth(&bearer), MAIN).await;
    let mut by_token = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    let mut bobs = StreamReader::open(&r.app, &r.bob, MAIN, &[]).await;

    revoke(&node_b, &dev, &bearer).await;
    assert_eq!(reason(&json_end(&mut by_bearer).await), "token_revoked");
    node_b
        .store
        .set_api_token_hash(r.ann.id, &tributary::secrets::hash_token("rotated"))
        .await
        .unwrap();
    assert_eq!(reason(&json_end(&mut by_token).await), "credential_changed");
    runs_on(&r, &mut bobs, false, "bob on node a").await;
}
