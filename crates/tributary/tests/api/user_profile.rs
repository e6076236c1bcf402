//! Issue 17, point 4: one's own profile, `PUT /user` and `PUT /users/:id` (flowdock/api-docs
//! docs/users.md, "Update user information"), with the sign-up checks and 409 for an email
//! someone else has.

use reqwest::Method;
use serde_json::json;
use tributary::auth::Scopes;

use crate::backend_tests;
use crate::call::{call, scoped};
use crate::helpers::{Backend, TestApp};

backend_tests!(
    put_user_changes_ones_own_profile,
    put_user_validates_every_field,
    an_email_someone_has_is_a_conflict,
    put_users_id_changes_only_ones_own,
    the_profile_scope_writes_the_profile,
);

async fn put_user_changes_ones_own_profile(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let body = json!({
        "name": "  Ann Other ", "nick": "annie", "email": "Ann.Other@example.com",
        "website": "https://ann.example", "avatar": "https://img.example/ann.png",
    });
    let (status, me) = call(&app, Method::PUT, "/user", &ann.token, Some(body)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (
            &me["id"],
            &me["name"],
            &me["nick"],
            &me["email"],
            &me["website"],
            &me["avatar"]
        ),
        (
            &json!(ann.id),
            &json!("Ann Other"),
            &json!("annie"),
            &json!("Ann.Other@example.com"),
            &json!("https://ann.example"),
            &json!("https://img.example/ann.png"),
        )
    );
    assert_eq!(
        call(&app, Method::GET, "/user", &ann.token, None).await.1,
        me
    );
    // Absent fields stay; empty ones clear the website and bring back the generated avatar.
    let (status, me) = call(
        &app,
        Method::PUT,
        "/user",
        &ann.token,
        Some(json!({"website": "", "avatar": ""})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&me["name"], &me["website"]),
        (&json!("Ann Other"), &json!(null))
    );
    assert_eq!(me["avatar"], format!("{}/avatars/{}", app.base_url, ann.id));
    // The new email signs in.
    let res = app
        .http
        .get(app.url("/user"))
        .basic_auth("ann.other@example.com", Some(&ann.password))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn put_user_validates_every_field(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let body = json!({
        "name": " ", "nick": "two words", "email": "not-an-email",
        "website": "javascript:alert(1)", "avatar": "ftp://x.example/a.png",
    });
    let (status, err) = call(&app, Method::PUT, "/user", &ann.token, Some(body)).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["message"], "Validation error");
    let mut fields: Vec<_> = err["errors"].as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["avatar", "email", "name", "nick", "website"]);
    let long = "x".repeat(101);
    let (status, err) = call(
        &app,
        Method::PUT,
        "/user",
        &ann.token,
        Some(json!({"name": long})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        err["errors"]["name"][0]
            .as_str()
            .unwrap()
            .contains("too long"),
        "{err}"
    );
    let (status, _) = call(
        &app,
        Method::PUT,
        "/user",
        &ann.token,
        Some(json!({"nick": ["a"]})),
    )
    .await;
    assert_eq!(status, 400);
    // Nothing of a refused change was kept.
    let (_, me) = call(&app, Method::GET, "/user", &ann.token, None).await;
    assert_eq!(
        (&me["nick"], &me["email"]),
        (&json!("ann"), &json!(ann.email))
    );
}

async fn an_email_someone_has_is_a_conflict(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let taken = json!({"email": bob.email.to_uppercase()});
    let (status, err) = call(&app, Method::PUT, "/user", &ann.token, Some(taken)).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["message"], "email is already taken");
    // One's own address in another case is no conflict.
    let mine = json!({"email": ann.email.to_uppercase()});
    let (status, me) = call(&app, Method::PUT, "/user", &ann.token, Some(mine)).await;
    assert_eq!(
        (status, &me["email"]),
        (200, &json!(ann.email.to_uppercase()))
    );
}

async fn put_users_id_changes_only_ones_own(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let body = Some(json!({"nick": "Steve"}));
    let own = format!("/users/{}", ann.id);
    assert_eq!(
        call(&app, Method::PUT, &own, &ann.token, body.clone()).await,
        (200, json!({}))
    );
    assert_eq!(
        call(&app, Method::GET, "/user", &ann.token, None).await.1["nick"],
        "Steve"
    );
    let other = format!("/users/{}", bob.id);
    let (status, err) = call(&app, Method::PUT, &other, &ann.token, body).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(
        call(&app, Method::GET, "/user", &bob.token, None).await.1["nick"],
        "bob"
    );
}

async fn the_profile_scope_writes_the_profile(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let body = Some(json!({"name": "Scoped"}));
    let flow_only = scoped(&app, &ann, Scopes::FLOW | Scopes::PRIVATE).await;
    let (status, err) = call(&app, Method::PUT, "/user", &flow_only, body.clone()).await;
    assert_eq!(status, 403, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("profile"),
        "{err}"
    );
    let profile = scoped(&app, &ann, Scopes::PROFILE).await;
    let (status, me) = call(&app, Method::PUT, "/user", &profile, body).await;
    assert_eq!((status, &me["name"]), (200, &json!("Scoped")));
}
