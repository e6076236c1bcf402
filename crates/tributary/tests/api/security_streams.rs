//! Issue 15, point 4: revocation reaches open streams. A stream is re-checked every keep-alive
//! (200 ms here), and ends with a final `stream-end` event naming why when the OAuth token it
//! was opened with is revoked, its API token regenerated, its session logged out, its account
//! disabled, or its user taken out of the flow; a stream whose credential stays valid runs on.
//! On PostgreSQL a revocation made through one node ends the streams of every node.

use std::time::{Duration, Instant};

use reqwest::header::ACCEPT;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary::store::{FlowRecord, OrgRecord};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::browser::{csrf, Browser};
use crate::helpers::{Backend, Settings, TestApp, TestDb, TestUser};
use crate::oauth::{register, signed_in, CALLBACK};
use crate::stream_reader::StreamReader;

backend_tests!(
    a_revoked_oauth_token_ends_its_stream,
    a_regenerated_api_token_ends_its_stream,
    logging_out_ends_the_pages_event_stream,
    disabling_the_account_ends_its_streams,
    leaving_a_flow_ends_its_streams,
    archiving_a_flow_ends_its_streams,
    valid_credentials_keep_their_streams,
);

const KEEPALIVE: Duration = Duration::from_millis(200);
/// A sweep runs every keep-alive; a few of them are plenty even on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(5);
const MAIN: &str = "/stream/flows/acme/main";

struct Room {
    app: TestApp,
    ann: TestUser,
    bob: TestUser,
    org: OrgRecord,
    main: FlowRecord,
}

async fn room(b: Backend) -> Room {
    room_on(TestApp::spawn_tuned(b, tuned()).await).await
}

fn tuned() -> Settings {
    Settings {
        keepalive: KEEPALIVE,
        ..Settings::default()
    }
}

async fn room_on(app: TestApp) -> Room {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    let main = app
        .flow(&org, "Main", AccessMode::Invitation, &[&ann, &bob])
        .await;
    Room {
        app,
        ann,
        bob,
        org,
        main,
    }
}

impl Room {
    /// Bob says `text` in Main.
    async fn say(&self, text: &str) {
        let res = self
            .app
            .http
            .post(self.app.url("/flows/acme/main/messages"))
            .basic_auth(&self.bob.token, Some(""))
            .json(&json!({"event": "message", "content": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.app.http.get(self.app.url(path))
    }

    /// An OAuth access token of Ann's, issued to an application of hers.
    async fn access_token(&self) -> (tributary::store::AppRecord, String) {
        let dev = register(&self.app, &self.ann, CALLBACK).await;
        let family = tributary::secrets::new_token(8);
        let (row, issued) = tributary::oauth::mint(dev.id, self.ann.id, Scopes::FLOW, &family);
        self.app.store.create_oauth_token(row).await.unwrap();
        (dev, issued.access_token)
    }
}

/// A page's `EventSource`: the browser's session cookie and nothing else.
async fn cookie_stream(app: &TestApp, browser: &Browser, path: &str) -> StreamReader {
    let req = browser
        .http
        .get(app.url(path))
        .header(ACCEPT, "text/event-stream")
        .header("sec-fetch-site", "same-origin");
    StreamReader::send(req, path).await
}

/// Reads a JSON stream up to its final `stream-end` event and checks that the stream closes
/// after it; fails when none comes within [`DEADLINE`].
pub(crate) async fn json_end(s: &mut StreamReader) -> Value {
    let end = tokio::time::timeout(DEADLINE, async {
        loop {
            match s.next_json().await {
                Some(v) if v["event"] == "stream-end" => return v,
                Some(_) => continue,
                None => panic!("the stream closed without a stream-end event"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream still runs {DEADLINE:?} after the change"));
    assert!(
        s.next_json().await.is_none(),
        "stream-end is the last event"
    );
    assert!(end["cursor"].is_string(), "{end}");
    end
}

/// [`json_end`] for an Event-Stream: the final frame is `event: end` with the same JSON.
async fn sse_end(s: &mut StreamReader) -> Value {
    let end = tokio::time::timeout(DEADLINE, async {
        loop {
            match s.next_sse().await {
                Some((_, Some(name), data)) if name == "end" => return data,
                Some(_) => continue,
                None => panic!("the stream closed without an end event"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream still runs {DEADLINE:?} after the change"));
    assert!(s.next_sse().await.is_none(), "end is the last event");
    assert_eq!(end["event"], "stream-end", "{end}");
    end
}

fn reason(end: &Value) -> &str {
    end["content"]["reason"].as_str().unwrap_or_default()
}

/// The stream hears only keep-alives for several periods, then delivers what Bob says.
async fn runs_on(room: &Room, s: &mut StreamReader, sse: bool, text: &str) {
    let until = tokio::time::Instant::now() + KEEPALIVE * 5;
    while let Ok(more) = tokio::time::timeout_at(until, s.fill()).await {
        assert!(
            more,
            "the stream ended: {:?}",
            String::from_utf8_lossy(&s.buf)
        );
    }
    let seen = String::from_utf8_lossy(&s.buf).into_owned();
    assert!(!seen.contains("stream-end"), "{seen:?}");
    room.say(text).await;
    let content = if sse {
        s.next_sse().await.expect("still open").2["content"].clone()
    } else {
        s.next_json().await.expect("still open")["content"].clone()
    };
    assert_eq!(content, json!(text));
}

async fn revoke(app: &TestApp, dev: &tributary::store::AppRecord, token: &str) {
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&dev.client_id, Some(&dev.client_secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Runs the admin command line on the server's database, as an operator would.
async fn admin(db: &TestDb, args: &[&str]) -> Value {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .arg("admin")
        .args(args)
        .args(["--database", &db.url])
        .env_remove("TRIBUTARY_DATABASE")
        .output()
        .await
        .expect("run tributary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

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

async fn leaving_a_flow_ends_its_streams(b: Backend) {
    let r = room(b).await;
    let side = r
        .app
        .flow(&r.org, "Side", AccessMode::Invitation, &[&r.ann])
        .await;
    let mut main = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    // A stream of several flows ends as a whole, naming the flow that was left.
    let both = "/stream/flows?filter=acme/main,acme/side&accept=text/event-stream";
    let mut both = StreamReader::open(&r.app, &r.ann, both, &[]).await;
    let mut side_only = StreamReader::open(&r.app, &r.ann, "/stream/flows/acme/side", &[]).await;
    let mut bobs = StreamReader::open(&r.app, &r.bob, MAIN, &[]).await;

    let args = ["flow", "remove-user", "--flow", "acme/main", "--email"];
    let out = admin(&r.app.db, &[&args[..], &[r.ann.email.as_str()]].concat()).await;
    assert_eq!(out["removed"], json!(true));
    let end = json_end(&mut main).await;
    assert_eq!(reason(&end), "left_flow", "{end}");
    assert_eq!(end["content"]["flow"], json!(r.main.id));
    let end = sse_end(&mut both).await;
    assert_eq!(reason(&end), "left_flow", "{end}");
    assert_eq!(end["content"]["flow"], json!(r.main.id));
    runs_on(&r, &mut bobs, false, "bob is still in").await;
    // Ann's stream of the flow she is still in runs on.
    let until = tokio::time::Instant::now() + KEEPALIVE * 5;
    while let Ok(more) = tokio::time::timeout_at(until, side_only.fill()).await {
        assert!(more, "the stream of the other flow ended");
    }
    let res = r
        .app
        .http
        .post(r.app.url("/flows/acme/side/messages"))
        .basic_auth(&r.ann.token, Some(""))
        .json(&json!({"event": "message", "content": "side"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let m = side_only.next_json().await.expect("still open");
    assert_eq!(
        (&m["content"], &m["flow"]),
        (&json!("side"), &json!(side.id))
    );
}

async fn archiving_a_flow_ends_its_streams(b: Backend) {
    let r = room(b).await;
    let mut anns = StreamReader::open(&r.app, &r.ann, MAIN, &[]).await;
    let sse = [("accept", "text/event-stream")];
    let mut bobs = StreamReader::open(&r.app, &r.bob, MAIN, &sse).await;

    // Ann administers the organization, so she may archive the flow.
    let res = r
        .app
        .http
        .put(r.app.url("/flows/acme/main"))
        .basic_auth(&r.ann.token, Some(""))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let end = json_end(&mut anns).await;
    assert_eq!(reason(&end), "flow_archived", "{end}");
    assert_eq!(end["content"]["flow"], json!(r.main.id));
    assert_eq!(reason(&sse_end(&mut bobs).await), "flow_archived");
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
