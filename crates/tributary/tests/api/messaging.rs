//! Fixtures shared by the message and thread suites: a flow with two members and an
//! integration (source) whose `flow_token` posts to it, and raw HTTP helpers that keep
//! statuses and headers visible.

use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;
use tributary::store::{AppRecord, FlowRecord, NewApp, NewSource, OrgRecord, SourceRecord};
use tributary_sdk::{Download, FileUpload, Multipart};
use tributary_types::{AccessMode, Message};

use crate::helpers::{Backend, TestApp, TestUser};

pub(crate) struct Room {
    pub app: TestApp,
    pub ann: TestUser,
    pub bob: TestUser,
    pub org: OrgRecord,
    pub flow: FlowRecord,
    pub hook: AppRecord,
    pub source: SourceRecord,
    pub token: String,
}

/// What an answer held.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

pub(crate) async fn send(req: RequestBuilder) -> Answer {
    let res = req.send().await.expect("request");
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

pub(crate) async fn app_record(app: &TestApp, owner: &TestUser, name: &str) -> AppRecord {
    app.store
        .create_app(NewApp {
            owner_id: owner.id,
            name: name.into(),
            icon_url: Some(format!("https://icons.example.com/{name}.png")),
            client_id: tributary::secrets::new_token(16),
            client_secret: tributary::secrets::new_token(32),
            redirect_uri: "http://127.0.0.1:9/cb".into(),
            setup_uri: None,
            configuration_uri: None,
            published: false,
        })
        .await
        .expect("create app")
}

pub(crate) async fn source(
    app: &TestApp,
    flow: &FlowRecord,
    hook: &AppRecord,
    name: &str,
) -> (SourceRecord, String) {
    // Straight through the store: these fixtures want an empty flow, without the "new
    // integration" item that `sources::create_source` posts (tests/api/oauth.rs covers it).
    let token = tributary::secrets::new_token(16);
    let source = app
        .store
        .create_source(NewSource {
            flow_id: flow.id.clone(),
            app_id: hook.id,
            creator_id: None,
            name: name.into(),
            external_url: None,
            flow_token_hash: tributary::secrets::hash_token(&token),
        })
        .await
        .expect("create source");
    (source, token)
}

impl Room {
    pub(crate) async fn new(b: Backend) -> Room {
        let app = TestApp::spawn(b).await;
        let (ann, bob, org, flow) = app.ann_and_bob_in_main().await;
        let hook = app_record(&app, &ann, "GitHub").await;
        let (source, token) = source(&app, &flow, &hook, "acme/widgets").await;
        Room {
            app,
            ann,
            bob,
            org,
            flow,
            hook,
            source,
            token,
        }
    }

    /// `/flows/acme/main` + `rest`.
    pub(crate) fn path(&self, rest: &str) -> String {
        format!(
            "/flows/{}/{}{rest}",
            self.org.parameterized_name, self.flow.parameterized_name
        )
    }

    pub(crate) fn as_user(
        &self,
        user: &TestUser,
        method: reqwest::Method,
        path: &str,
    ) -> RequestBuilder {
        self.app
            .http
            .request(method, self.app.url(path))
            .basic_auth(&user.token, Some(""))
    }

    /// POST `body` as `user` (JSON).
    pub(crate) async fn user_post(&self, user: &TestUser, path: &str, body: Value) -> Answer {
        send(self.as_user(user, reqwest::Method::POST, path).json(&body)).await
    }

    /// A chat message `content` posted by `user` to the room's flow.
    pub(crate) async fn chat(&self, user: &TestUser, content: &str) -> Answer {
        let body = serde_json::json!({"event": "message", "content": content});
        self.user_post(user, &self.path("/messages"), body).await
    }

    /// POST `body` to `/messages` with the room's `flow_token` added, waiting for the message.
    pub(crate) async fn token_post(&self, body: Value) -> Answer {
        self.token_post_as(&self.token, body).await
    }

    /// [`Room::token_post`] with another source's `token`.
    pub(crate) async fn token_post_as(&self, token: &str, mut body: Value) -> Answer {
        body["flow_token"] = Value::String(token.to_owned());
        send(
            self.app
                .http
                .post(self.app.url("/messages"))
                .header("X-flowdock-wait-for-message", "1")
                .json(&body),
        )
        .await
    }

    pub(crate) async fn get(&self, user: &TestUser, path: &str) -> Answer {
        send(self.as_user(user, reqwest::Method::GET, path)).await
    }

    /// Ann's multipart upload of `file` into `flow` of the room's organization, through the SDK.
    pub(crate) async fn ann_uploads(&self, flow: &FlowRecord, file: &FileUpload) -> Message {
        let org = &self.org.parameterized_name;
        let files = self.ann.client.files();
        files
            .upload(org, &flow.parameterized_name, file)
            .await
            .unwrap()
    }

    /// `user`'s download of the file at `path`, an attachment's path, through the SDK.
    pub(crate) async fn download(&self, user: &TestUser, path: &str) -> Download {
        user.client.files().download(path).await.unwrap()
    }

    /// POST the multipart `form` to `/messages`, which carries the `flow_token` itself,
    /// waiting for the message.
    pub(crate) async fn token_post_form(&self, form: Multipart) -> Answer {
        let req = self.app.http.post(self.app.url("/messages"));
        send(
            req.header("X-flowdock-wait-for-message", "1")
                .header("content-type", form.content_type())
                .body(form.finish()),
        )
        .await
    }

    /// Another flow `name` of the room's organization, with only Ann in it.
    pub(crate) async fn anns_flow(&self, name: &str, mode: AccessMode) -> FlowRecord {
        self.app.flow(&self.org, name, mode, &[&self.ann]).await
    }

    /// An organization flow "Open" with only Ann in it, which Bob could join but has not.
    pub(crate) async fn open_flow(&self) -> FlowRecord {
        self.anns_flow("Open", AccessMode::Organization).await
    }

    /// The room's source as stored now.
    pub(crate) async fn stored_source(&self) -> SourceRecord {
        let found = self.app.store.source_by_id(self.source.id).await.unwrap();
        found.expect("the room's source is stored")
    }

    /// The flow's messages (ascending), as Ann sees them, with `query` appended.
    pub(crate) async fn messages(&self, query: &str) -> Vec<Value> {
        let a = self
            .get(&self.ann, &self.path(&format!("/messages{query}")))
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json.as_array().expect("array").clone()
    }
}

/// An activity about the external item `ext`, as an integration posts it.
pub(crate) fn activity(ext: &str, title: &str) -> Value {
    serde_json::json!({
        "event": "activity",
        "author": {"name": "anttipitkanen", "avatar": "https://avatars.example.com/u/1"},
        "title": title,
        "external_thread_id": ext,
        "thread": {
            "title": "Fix bug in thread API",
            "body": "Body with <b>HTML</b>",
            "external_url": "https://github.com/flowdock/component/pull/42",
            "status": {"color": "green", "value": "open"}
        }
    })
}

pub(crate) fn ids(messages: &[Value]) -> Vec<i64> {
    messages
        .iter()
        .map(|m| m["id"].as_i64().expect("numeric id"))
        .collect()
}
