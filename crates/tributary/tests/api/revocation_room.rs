//! The fixture of the stream revocation suites (`security_streams*`): Ann and Bob in Acme's
//! flow Main on a server whose keep-alive, and so its credential sweep, runs every 200 ms,
//! and readers that wait for a stream's final `stream-end` event.

use std::time::Duration;

use reqwest::header::ACCEPT;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary::store::{FlowRecord, OrgRecord};

use crate::browser::Browser;
use crate::helpers::{Backend, Settings, TestApp, TestDb, TestUser};
use crate::oauth::{register, CALLBACK};
use crate::stream_reader::StreamReader;

pub(crate) const KEEPALIVE: Duration = Duration::from_millis(200);
/// A sweep runs every keep-alive; a few of them are plenty even on a loaded machine.
pub(crate) const DEADLINE: Duration = Duration::from_secs(5);
pub(crate) const MAIN: &str = "/stream/flows/acme/main";

pub(crate) struct Room {
    pub app: TestApp,
    pub ann: TestUser,
    pub bob: TestUser,
    pub org: OrgRecord,
    pub main: FlowRecord,
}

pub(crate) async fn room(b: Backend) -> Room {
    room_on(TestApp::spawn_tuned(b, tuned()).await).await
}

pub(crate) fn tuned() -> Settings {
    Settings {
        keepalive: KEEPALIVE,
        ..Settings::default()
    }
}

pub(crate) async fn room_on(app: TestApp) -> Room {
    let (ann, bob, org, main) = app.ann_and_bob_in_main().await;
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
    pub(crate) async fn say(&self, text: &str) {
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

    pub(crate) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.app.http.get(self.app.url(path))
    }

    /// An OAuth access token of Ann's, issued to an application of hers.
    pub(crate) async fn access_token(&self) -> (tributary::store::AppRecord, String) {
        let dev = register(&self.app, &self.ann, CALLBACK).await;
        let family = tributary::secrets::new_token(8);
        let (row, issued) = tributary::oauth::mint(dev.id, self.ann.id, Scopes::FLOW, &family);
        self.app.store.create_oauth_token(row).await.unwrap();
        (dev, issued.access_token)
    }
}

/// A page's `EventSource`: the browser's session cookie and nothing else.
pub(crate) async fn cookie_stream(app: &TestApp, browser: &Browser, path: &str) -> StreamReader {
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
pub(crate) async fn sse_end(s: &mut StreamReader) -> Value {
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

pub(crate) fn reason(end: &Value) -> &str {
    end["content"]["reason"].as_str().unwrap_or_default()
}

/// The stream hears only keep-alives for several periods, then delivers what Bob says.
pub(crate) async fn runs_on(room: &Room, s: &mut StreamReader, sse: bool, text: &str) {
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

pub(crate) async fn revoke(app: &TestApp, dev: &tributary::store::AppRecord, token: &str) {
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
pub(crate) async fn admin(db: &TestDb, args: &[&str]) -> Value {
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
