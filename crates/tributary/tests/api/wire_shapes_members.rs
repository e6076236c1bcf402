//! Snapshots of the answers of issue 17, point 4: one organization user, the user after a
//! profile change, the documented `{}` of adding a flow member and of `PUT /users/:id`, and
//! the refusals (a validation error, the last admin). Emails, which carry a per-run counter,
//! and the server's port are replaced by placeholders; ids are those of a fresh database.

use reqwest::Method;
use serde_json::{json, Value};
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::call::call;
use crate::helpers::{Backend, TestApp};

backend_tests!(member_management_answers_keep_their_shape);

fn stable(v: &Value, base_url: &str) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| match k.as_str() {
                    "email" if v.is_string() => (k.clone(), json!("[email]")),
                    _ => (k.clone(), stable(v, base_url)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| stable(v, base_url)).collect()),
        Value::String(s) => Value::String(s.replace(base_url, "http://tributary.test")),
        other => other.clone(),
    }
}

async fn member_management_answers_keep_their_shape(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    let s = |v: Value| stable(&v, &app.base_url);
    let bob_path = format!("/organizations/acme/users/{}", bob.id);
    let ann_path = format!("/organizations/acme/users/{}", ann.id);

    let (_, shown) = call(&app, Method::GET, &bob_path, &ann.token, None).await;
    insta::assert_json_snapshot!("org_user", s(shown));
    let promote = Some(json!({"admin": true}));
    let (_, promoted) = call(&app, Method::PUT, &bob_path, &ann.token, promote).await;
    insta::assert_json_snapshot!("org_user_admin", s(promoted));
    let demote = Some(json!({"admin": false}));
    call(&app, Method::PUT, &bob_path, &ann.token, demote.clone()).await;
    let (_, last) = call(&app, Method::PUT, &ann_path, &ann.token, demote).await;
    insta::assert_json_snapshot!("org_last_admin", s(last));

    let added = Some(json!({"id": bob.id}));
    let (_, added) = call(
        &app,
        Method::POST,
        "/flows/acme/main/users",
        &ann.token,
        added,
    )
    .await;
    insta::assert_json_snapshot!("flow_member_added", s(added));

    let profile = json!({"name": "Ann Other", "nick": "annie", "website": "https://ann.example"});
    let (_, me) = call(
        &app,
        Method::PUT,
        "/user",
        &ann.token,
        Some(profile.clone()),
    )
    .await;
    insta::assert_json_snapshot!("profile_updated", s(me));
    let own = format!("/users/{}", ann.id);
    let (_, documented) = call(&app, Method::PUT, &own, &ann.token, Some(profile)).await;
    insta::assert_json_snapshot!("profile_updated_by_id", s(documented));
    let bad = Some(json!({"nick": "two words", "website": "ftp://x"}));
    let (_, invalid) = call(&app, Method::PUT, "/user", &ann.token, bad).await;
    insta::assert_json_snapshot!("profile_invalid", s(invalid));
}
