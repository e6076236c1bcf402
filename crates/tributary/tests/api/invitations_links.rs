//! Opening links: an invitation's link signs a new person up (or joins a signed-in one) into
//! the flow and its organization, once; a flow's join link works while its `access_mode` is
//! `link` or `organization`; organization admins reset it (the old link stops working) or
//! turn it off (docs/Join-Url.md).

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::browser::{csrf, location, Browser};
use crate::helpers::Backend;
use crate::invitations::{call, invite, oauth_token, setup, Setup};
use tributary::auth::Scopes;

backend_tests!(
    signing_up_through_an_invitation_joins_the_flow_and_organization_once,
    a_signed_in_user_accepts_an_invitation_with_one_click,
    sign_up_mistakes_are_shown_on_the_form,
    the_join_link_works_only_while_the_flow_allows_it,
    only_organization_admins_reset_the_join_link,
);

/// The path of an absolute link on the test server.
fn path_of(s: &Setup, link: &str) -> String {
    link.strip_prefix(&s.app.base_url).unwrap().to_owned()
}

async fn sign_up(browser: &Browser, path: &str, email: &str, password: &str) -> reqwest::Response {
    let html = browser.page(path).await;
    assert!(html.contains("id=\"signup-form\""), "{html}");
    browser
        .post(
            path,
            &[
                ("csrf_token", &csrf(&html)),
                ("name", "Carol Jones"),
                ("nick", "carol"),
                ("email", email),
                ("password", password),
            ],
        )
        .await
}

async fn signing_up_through_an_invitation_joins_the_flow_and_organization_once(b: Backend) {
    let s = setup(b).await;
    let inv = invite(&s, "carol@example.com").await;
    let path = path_of(&s, inv["invitation_url"].as_str().unwrap());
    let browser = Browser::new(&s.app);
    let html = browser.page(&path).await;
    assert!(
        html.contains("value=\"carol@example.com\""),
        "the address is filled in"
    );
    let res = sign_up(&browser, &path, "carol@example.com", "carol-secret").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/app/acme/main");
    assert!(browser.page("/app/acme/main").await.contains("Main"));

    let carol = s
        .app
        .store
        .user_by_email("carol@example.com")
        .await
        .unwrap()
        .unwrap();
    let flow = s.main_flow().await;
    assert!(s.in_main(carol.id).await);
    assert_eq!(
        s.app
            .store
            .org_membership(flow.org.id, carol.id)
            .await
            .unwrap(),
        Some(false)
    );
    let (_, shown) = s
        .as_ann(
            Method::GET,
            &format!("/flows/acme/main/invitations/{}", inv["id"]),
        )
        .await;
    assert_eq!(shown["state"], "accepted");
    let (_, list) = s.as_ann(Method::GET, "/flows/acme/main/invitations").await;
    assert_eq!(
        list,
        json!([]),
        "accepted invitations are no longer pending"
    );
    // An accepted invitation cannot be deleted.
    let (status, body) = s
        .as_ann(
            Method::DELETE,
            &format!("/flows/acme/main/invitations/{}", inv["id"]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Used once: the link now says so, signed in or not.
    for who in [&browser, &Browser::new(&s.app)] {
        let res = who.get(&path).await;
        assert_eq!(res.status(), StatusCode::GONE);
        assert!(res.text().await.unwrap().contains("already used"));
    }
}

async fn a_signed_in_user_accepts_an_invitation_with_one_click(b: Backend) {
    let s = setup(b).await;
    let inv = invite(&s, &s.bob.email).await;
    let path = path_of(&s, inv["invitation_url"].as_str().unwrap());
    let browser = Browser::new(&s.app);
    browser.login(&s.bob).await;
    let html = browser.page(&path).await;
    assert!(html.contains("id=\"join-flow\""), "{html}");
    // Opening the link joins nothing by itself, and the form needs its CSRF token.
    assert!(!s.in_main(s.bob.id).await);
    let res = browser.post(&path, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = browser.post(&path, &[("csrf_token", &csrf(&html))]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/app/acme/main");
    assert!(s.in_main(s.bob.id).await);
    let (status, flows) = call(&s.app, &s.bob, Method::GET, "/flows", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(flows[0]["parameterized_name"], "main");
}

async fn sign_up_mistakes_are_shown_on_the_form(b: Backend) {
    let s = setup(b).await;
    let inv = invite(&s, "carol@example.com").await;
    let path = path_of(&s, inv["invitation_url"].as_str().unwrap());
    let browser = Browser::new(&s.app);
    let res = sign_up(&browser, &path, "carol@example.com", "short").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Password must be at least 8 characters"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Carol Jones\""),
        "what was typed stays"
    );
    // An address that has an account already: log in instead.
    let res = sign_up(&browser, &path, &s.bob.email, "long-enough").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("log in instead"));
    // The invitation is still unused.
    let res = sign_up(&browser, &path, "carol@example.com", "long-enough").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn join_url(s: &Setup) -> Value {
    let (status, body) = s.as_ann(Method::GET, "/flows/acme/main/join_url").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["join_url"].clone()
}

async fn the_join_link_works_only_while_the_flow_allows_it(b: Backend) {
    let s = setup(b).await;
    // Invitation only: no join URL, and the flow's token opens nothing.
    assert_eq!(join_url(&s).await, Value::Null);
    let flow = s.main_flow().await;
    let hidden = format!("/invitations/{}-main", flow.join_token);
    let res = Browser::new(&s.app).get(&hidden).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("invitation only"));

    // Turned on (POST): a new link, and `access_mode` is `link`.
    let (status, made) = s.as_ann(Method::POST, "/flows/acme/main/join_url").await;
    assert_eq!(status, StatusCode::CREATED);
    let link = made["join_url"].as_str().unwrap().to_owned();
    assert_eq!(join_url(&s).await, link.as_str());
    let (_, shown) = s.as_ann(Method::GET, "/flows/acme/main").await;
    assert_eq!(shown["access_mode"], "link");
    assert_eq!(shown["join_url"], link.as_str());
    assert_eq!(
        Browser::new(&s.app).get(&hidden).await.status(),
        StatusCode::NOT_FOUND,
        "the old token is gone"
    );

    // Bob, signed in, joins by the link; then it still works for others.
    let path = path_of(&s, &link);
    let browser = Browser::new(&s.app);
    browser.login(&s.bob).await;
    let html = browser.page(&path).await;
    let res = browser.post(&path, &[("csrf_token", &csrf(&html))]).await;
    assert_eq!(location(&res), "/app/acme/main");
    assert!(s.in_main(s.bob.id).await);
    let newcomer = Browser::new(&s.app);
    let res = sign_up(&newcomer, &path, "erin@example.com", "erin-secret").await;
    assert_eq!(location(&res), "/app/acme/main");

    // Turned off (DELETE): 200 {}, no join URL, and the link is refused.
    let (status, body) = s.as_ann(Method::DELETE, "/flows/acme/main/join_url").await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_eq!(join_url(&s).await, Value::Null);
    assert_ne!(
        Browser::new(&s.app).get(&path).await.status(),
        StatusCode::OK
    );
}

async fn only_organization_admins_reset_the_join_link(b: Backend) {
    let s = setup(b).await;
    let (_, made) = s.as_ann(Method::POST, "/flows/acme/main/join_url").await;
    let old = made["join_url"].as_str().unwrap().to_owned();
    // Bob, a member of the flow but not an organization admin, reads it but cannot reset it.
    let flow = s.main_flow().await;
    s.app
        .store
        .set_flow_member(&flow.id, s.bob.id, true)
        .await
        .unwrap();
    let (status, body) = call(
        &s.app,
        &s.bob,
        Method::GET,
        "/flows/acme/main/join_url",
        None,
    )
    .await;
    assert_eq!(
        (status, body["join_url"].as_str()),
        (StatusCode::OK, Some(old.as_str()))
    );
    for method in [Method::POST, Method::DELETE] {
        let (status, body) = call(&s.app, &s.bob, method, "/flows/acme/main/join_url", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // Resetting it needs `manage`, even for Ann.
    for (scopes, expected) in [
        (Scopes::FLOW, StatusCode::FORBIDDEN),
        (Scopes::MANAGE, StatusCode::CREATED),
    ] {
        let token = oauth_token(&s.app, &s.ann, scopes).await;
        let res = s
            .app
            .http
            .post(s.app.url("/flows/acme/main/join_url"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), expected, "{scopes:?}");
    }
    let old = join_url(&s).await.as_str().unwrap().to_owned();
    // Ann resets it from the invitations page: the old link stops working at once.
    let browser = Browser::new(&s.app);
    browser.login(&s.ann).await;
    let html = browser.page("/app/acme/main/invitations").await;
    assert!(html.contains(&old));
    let res = browser
        .post("/app/acme/main/join_link", &[("csrf_token", &csrf(&html))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Browser::new(&s.app).get(&path_of(&s, &old)).await.status(),
        StatusCode::NOT_FOUND
    );
    let new = join_url(&s).await;
    assert_ne!(new, old.as_str());
    assert_eq!(
        Browser::new(&s.app)
            .get(&path_of(&s, new.as_str().unwrap()))
            .await
            .status(),
        StatusCode::OK
    );
    // Bob's page has no reset button; posting anyway is refused.
    let bobs = Browser::new(&s.app);
    bobs.login(&s.bob).await;
    let html = bobs.page("/app/acme/main/invitations").await;
    assert!(!html.contains("reset-join-link"));
    let res = bobs
        .post("/app/acme/main/join_link", &[("csrf_token", &csrf(&html))])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
