//! Invitations over the API (flowdock/api-docs docs/Invitations.md) with no SMTP server
//! configured: the invitation is made and its link shown to the inviter once; listing,
//! showing and revoking; who may invite; validation of the addresses.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary::store::FlowRecord;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, TestUser};

backend_tests!(
    an_invitation_without_smtp_shows_its_link_once,
    posting_the_same_address_again_resends_with_a_new_link,
    invitations_are_listed_shown_and_revoked,
    only_members_with_the_flow_scope_may_invite,
    bad_addresses_are_reported_or_refused,
);

pub(crate) struct Setup {
    pub app: TestApp,
    pub ann: TestUser,
    pub bob: TestUser,
}

/// Ann, admin of Acme and member of its invitation-only flow Main; Bob, outside of both.
pub(crate) async fn setup_with(app: TestApp) -> Setup {
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let org = app.org("Acme", &ann).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    Setup { app, ann, bob }
}

impl Setup {
    /// Acme's flow Main, as the store has it now.
    pub(crate) async fn main_flow(&self) -> FlowRecord {
        let flow = self.app.store.flow_by_name("acme", "main").await;
        flow.unwrap().expect("acme/main exists")
    }

    /// Whether the user has joined Main.
    pub(crate) async fn in_main(&self, user_id: i64) -> bool {
        let flow = self.main_flow().await;
        let membership = self.app.store.flow_membership(&flow.id, user_id).await;
        membership.unwrap().is_some()
    }

    /// An API call of Ann's without a body.
    pub(crate) async fn as_ann(&self, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
        call(&self.app, &self.ann, method, path, None).await
    }

    /// Opens a link (a page) without a session.
    pub(crate) async fn open(&self, link: &str) -> reqwest::Response {
        self.app.http.get(link).send().await.unwrap()
    }
}

pub(crate) async fn setup(b: Backend) -> Setup {
    setup_with(TestApp::spawn(b).await).await
}

pub(crate) async fn call(
    app: &TestApp,
    user: &TestUser,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app
        .http
        .request(method, app.url(path))
        .basic_auth(&user.token, Some(""));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An OAuth access token of `user` with exactly `scopes`.
pub(crate) async fn oauth_token(app: &TestApp, user: &TestUser, scopes: Scopes) -> String {
    let dev = crate::oauth::register(app, user, "https://app.example.com/cb").await;
    let family = tributary::secrets::new_token(8);
    let (row, issued) = tributary::oauth::mint(dev.id, user.id, scopes, &family);
    app.store.create_oauth_token(row).await.unwrap();
    issued.access_token
}

pub(crate) async fn invite(s: &Setup, email: &str) -> Value {
    let (status, body) = call(
        &s.app,
        &s.ann,
        reqwest::Method::POST,
        "/flows/acme/main/invitations",
        Some(json!({"emails": [email], "message": "Come and help"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["invitations"][0].clone()
}

async fn an_invitation_without_smtp_shows_its_link_once(b: Backend) {
    let s = setup(b).await;
    let inv = invite(&s, "Carol@Example.com").await;
    assert_eq!(inv["state"], "pending");
    assert_eq!(
        inv["email"], "carol@example.com",
        "addresses are kept lower-cased"
    );
    let flow = s.main_flow().await;
    assert_eq!(inv["flow"], flow.id);
    let id = inv["id"].as_i64().unwrap();
    assert_eq!(
        inv["url"],
        s.app.url(&format!("/flows/acme/main/invitations/{id}"))
    );
    assert_eq!(inv["created"], inv["updated"]);
    let link = inv["invitation_url"].as_str().unwrap();
    assert!(link.starts_with(&s.app.url("/invite/")), "{link}");
    // Only its hash is kept: the token appears nowhere in the store's answer.
    let token = link.rsplit('/').next().unwrap();
    let stored = s
        .app
        .store
        .invitation_by_token(&tributary::secrets::hash_token(token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, id);
    assert!(s
        .app
        .store
        .invitation_by_token(token)
        .await
        .unwrap()
        .is_none());
    // Reading it again does not show the link.
    let (status, again) = s
        .as_ann(
            reqwest::Method::GET,
            &format!("/flows/acme/main/invitations/{id}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.get("invitation_url").is_none(), "{again}");
}

async fn posting_the_same_address_again_resends_with_a_new_link(b: Backend) {
    let s = setup(b).await;
    let first = invite(&s, "carol@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = invite(&s, "CAROL@example.com").await;
    assert_eq!(first["id"], second["id"], "the same invitation, resent");
    assert_eq!(first["created"], second["created"]);
    assert!(second["updated"].as_i64() > first["updated"].as_i64());
    assert_ne!(first["invitation_url"], second["invitation_url"]);
    // The first link no longer opens anything.
    let old = first["invitation_url"].as_str().unwrap();
    let res = s.open(old).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = s.open(second["invitation_url"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn invitations_are_listed_shown_and_revoked(b: Backend) {
    let s = setup(b).await;
    let carol = invite(&s, "carol@example.com").await;
    let dave = invite(&s, "dave@example.com").await;
    let get = reqwest::Method::GET;
    let (status, list) = s.as_ann(get.clone(), "/flows/acme/main/invitations").await;
    assert_eq!(status, StatusCode::OK);
    let emails: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["carol@example.com", "dave@example.com"]);
    assert!(list[0].get("invitation_url").is_none());

    let path = format!("/flows/acme/main/invitations/{}", carol["id"]);
    let (status, _) = s.as_ann(reqwest::Method::DELETE, &path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = s.as_ann(get.clone(), &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["message"].is_string());
    let (_, list) = s.as_ann(get.clone(), "/flows/acme/main/invitations").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], dave["id"]);
    // A revoked invitation's link says so.
    let res = s.open(carol["invitation_url"].as_str().unwrap()).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("withdrawn"));
    // Deleting it again, or an id that is not there: 404.
    for gone in [path.as_str(), "/flows/acme/main/invitations/nope"] {
        let (status, _) = s.as_ann(reqwest::Method::DELETE, gone).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
    }
}

async fn only_members_with_the_flow_scope_may_invite(b: Backend) {
    let s = setup(b).await;
    let body = json!({"emails": "carol@example.com"});
    let post = reqwest::Method::POST;
    // Bob is not in the flow: it does not exist for him.
    for (method, body) in [
        (post.clone(), Some(body.clone())),
        (reqwest::Method::GET, None),
    ] {
        let path = "/flows/acme/main/invitations";
        let (status, _) = call(&s.app, &s.bob, method, path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // An OAuth token without `flow`: 403, with one: allowed.
    for (scopes, expected) in [
        (Scopes::PROFILE, StatusCode::FORBIDDEN),
        (Scopes::FLOW, StatusCode::CREATED),
    ] {
        let token = oauth_token(&s.app, &s.ann, scopes).await;
        let res = s
            .app
            .http
            .post(s.app.url("/flows/acme/main/invitations"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "scope {scopes:?}");
    }
    // No credential: 401.
    let res = s
        .app
        .http
        .post(s.app.url("/flows/acme/main/invitations"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn bad_addresses_are_reported_or_refused(b: Backend) {
    let s = setup(b).await;
    let post = reqwest::Method::POST;
    let path = "/flows/acme/main/invitations";
    // Some valid: 201, the others in `erroneous_emails` as sent.
    let (status, body) = call(
        &s.app,
        &s.ann,
        post.clone(),
        path,
        Some(json!({"emails": "carol@example.com, invalid\nx@y"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["erroneous_emails"], json!(["invalid", "x@y"]));
    assert_eq!(body["invitations"].as_array().unwrap().len(), 1);
    // None valid, none given, or the wrong type: 400 naming `emails`.
    for bad in [
        json!({"emails": ["invalid", "@c.d", "a@b"]}),
        json!({}),
        json!({"emails": 5}),
        json!({"emails": ["<a@b.c>"]}),
    ] {
        let (status, body) = call(&s.app, &s.ann, post.clone(), path, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["message"], "Validation error");
        assert!(body["errors"]["emails"][0].is_string(), "{body}");
    }
    let long = "x".repeat(2001);
    let (status, body) = call(
        &s.app,
        &s.ann,
        post,
        path,
        Some(json!({"emails": ["carol@example.com"], "message": long})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errors"]["message"][0]
        .as_str()
        .unwrap()
        .contains("2000"));
}
