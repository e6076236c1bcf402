//! Fixtures of the private conversation suites: Ann and Bob share the organization Acme and
//! its flow Main; Carol is in Acme too, Dave administers it, and Eve is in another
//! organization. Requests keep their status and JSON visible.

use reqwest::Method;
use serde_json::Value;
use tributary::store::OrgRecord;
use tributary_types::AccessMode;

use crate::helpers::{Backend, TestApp, TestUser};
use crate::messaging::{send, Answer};

pub(crate) struct World {
    pub app: TestApp,
    pub ann: TestUser,
    pub bob: TestUser,
    pub carol: TestUser,
    pub dave: TestUser,
    pub eve: TestUser,
    pub org: OrgRecord,
}

impl World {
    pub(crate) async fn new(b: Backend) -> World {
        World::on(TestApp::spawn(b).await).await
    }

    /// The same people on a server started elsewhere (with tuned settings).
    pub(crate) async fn on(app: TestApp) -> World {
        let ann = app.user("ann").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let dave = app.user("dave").await;
        let eve = app.user("eve").await;
        let org = app.org("Acme", &ann).await;
        app.join_org(&org, &bob, false).await;
        app.join_org(&org, &carol, false).await;
        app.join_org(&org, &dave, true).await;
        app.org("Elsewhere", &eve).await;
        app.flow(&org, "Main", AccessMode::Invitation, &[&ann, &bob, &dave])
            .await;
        World {
            app,
            ann,
            bob,
            carol,
            dave,
            eve,
            org,
        }
    }

    /// `method path` as `who`, with a JSON body when one is given.
    pub(crate) async fn call(
        &self,
        who: &TestUser,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .app
            .http
            .request(method, self.app.url(path))
            .basic_auth(&who.token, Some(""));
        if let Some(body) = body {
            req = req.json(&body);
        }
        send(req).await
    }

    pub(crate) async fn get(&self, who: &TestUser, path: &str) -> Answer {
        self.call(who, Method::GET, path, None).await
    }

    /// `POST /private/:to/messages` of `body` as `from`.
    pub(crate) async fn post(&self, from: &TestUser, to: &TestUser, body: Value) -> Answer {
        let path = format!("/private/{}/messages", to.id);
        self.call(from, Method::POST, &path, Some(body)).await
    }

    /// Posts a chat message from `from` to `to` and returns it (201).
    pub(crate) async fn say(&self, from: &TestUser, to: &TestUser, text: &str) -> Value {
        let body = serde_json::json!({"event": "message", "content": text});
        let a = self.post(from, to, body).await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.json
    }

    /// Ann's "plans.txt" ("secret plans") sent to Bob as a JSON upload; the message (201).
    pub(crate) async fn send_plans(&self) -> Value {
        // "secret plans" in base64, as docs/messages.md's JSON upload sends a file.
        let file = serde_json::json!(
            {"data": "c2VjcmV0IHBsYW5z", "content_type": "text/plain", "file_name": "plans.txt"}
        );
        let body = serde_json::json!({"event": "file", "content": file});
        let a = self.post(&self.ann, &self.bob, body).await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.json
    }

    /// The bytes behind a signed download URL (a redirect's `location`).
    pub(crate) async fn download(&self, signed: String) -> Vec<u8> {
        let res = self
            .app
            .http
            .get(signed)
            .send()
            .await
            .expect("the download");
        res.bytes().await.expect("the file's bytes").to_vec()
    }
}

/// A client that shows redirects instead of following them.
pub(crate) fn no_redirect() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// The `content` of each message of a list, in order.
pub(crate) fn contents(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}
