//! Issue 17, point 4: `GET`, `PUT` and `DELETE /organizations/:org/users/:id`. Organization
//! admins make and unmake admins and remove users; removing a user takes it out of the
//! organization's flows and ends its streams; the last admin stays.

use reqwest::Method;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::call::{call, fast_sweeps, scoped, steps, stream_end};
use crate::helpers::{Backend, TestApp, TestUser};
use crate::stream_reader::StreamReader;

backend_tests!(
    an_organization_user_shows_with_its_admin_flag,
    admins_make_and_unmake_admins,
    the_last_admin_stays,
    two_admins_demoting_each_other_leave_one,
    removing_a_user_takes_it_out_of_the_organizations_flows,
    members_may_leave_but_not_remove_others,
);

struct Acme {
    app: TestApp,
    ann: TestUser,
    bob: TestUser,
}

/// Ann administers Acme; Bob is a member of it.
async fn acme(app: TestApp) -> Acme {
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    Acme { app, ann, bob }
}

fn user(id: i64) -> String {
    format!("/organizations/acme/users/{id}")
}

async fn an_organization_user_shows_with_its_admin_flag(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let app = &a.app;
    let eve = app.user("eve").await;
    let (status, bob) = call(app, Method::GET, &user(a.bob.id), &a.ann.token, None).await;
    assert_eq!(status, 200, "{bob}");
    assert_eq!(
        (&bob["id"], &bob["admin"]),
        (&json!(a.bob.id), &json!(false))
    );
    let (_, list) = call(
        app,
        Method::GET,
        "/organizations/acme/users",
        &a.bob.token,
        None,
    )
    .await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == json!(a.bob.id));
    assert_eq!(listed, Some(&bob), "the same shape as the list's");
    // Not in the organization, no such user, or an outsider asking: 404.
    for (path, token) in [
        (user(eve.id), &a.ann.token),
        (user(999_999), &a.ann.token),
        ("/organizations/acme/users/x".to_owned(), &a.ann.token),
        (user(a.bob.id), &eve.token),
        ("/organizations/nope/users/1".to_owned(), &a.ann.token),
    ] {
        assert_eq!(
            call(app, Method::GET, &path, token, None).await.0,
            404,
            "{path}"
        );
    }
}

/// `PUT /organizations/acme/users/:who` with `body`.
async fn put(app: &TestApp, who: i64, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::PUT, &user(who), token, Some(body)).await
}

async fn admins_make_and_unmake_admins(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let (app, ann, bob) = (&a.app, a.ann.id, a.bob.id);
    let (status, err) = put(app, ann, &a.bob.token, json!({"admin": false})).await;
    assert_eq!(status, 403, "{err}");
    let (status, shown) = put(app, bob, &a.ann.token, json!({"admin": true})).await;
    assert_eq!((status, &shown["admin"]), (200, &json!(true)), "{shown}");
    let (_, shown) = call(app, Method::GET, &user(bob), &a.ann.token, None).await;
    assert_eq!(shown["admin"], true);
    // The new admin demotes the old one.
    let (status, shown) = put(app, ann, &a.bob.token, json!({"admin": "0"})).await;
    assert_eq!((status, &shown["admin"]), (200, &json!(false)), "{shown}");
    let (status, err) = put(app, bob, &a.bob.token, json!({})).await;
    assert_eq!(
        (status, &err["errors"]["admin"]),
        (400, &json!(["is required"]))
    );
    // It takes `manage`; someone outside the organization is not found.
    let flow_only = scoped(app, &a.bob, Scopes::FLOW).await;
    assert_eq!(
        put(app, ann, &flow_only, json!({"admin": true})).await.0,
        403
    );
    let eve = app.user("eve").await;
    assert_eq!(
        put(app, eve.id, &a.bob.token, json!({"admin": true}))
            .await
            .0,
        404
    );
}

async fn the_last_admin_stays(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let app = &a.app;
    let demote = || Some(json!({"admin": false}));
    let (status, err) = call(app, Method::PUT, &user(a.ann.id), &a.ann.token, demote()).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(
        err["message"],
        "An organization must keep at least one admin"
    );
    let (ann, bob) = (a.ann.token.as_str(), a.bob.token.as_str());
    steps(
        app,
        vec![
            (Method::DELETE, user(a.ann.id), ann, None, 409),
            // With a second admin, the first may step down or leave.
            (
                Method::PUT,
                user(a.bob.id),
                ann,
                Some(json!({"admin": true})),
                200,
            ),
            (Method::PUT, user(a.ann.id), ann, demote(), 200),
            (Method::DELETE, user(a.ann.id), ann, None, 204),
            (Method::DELETE, user(a.bob.id), bob, None, 409),
        ],
    )
    .await;
}

async fn two_admins_demoting_each_other_leave_one(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let (app, ann, bob) = (&a.app, a.ann.id, a.bob.id);
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    let admins = || async {
        let members = app.store.org_members(org.id).await.unwrap();
        members.iter().filter(|m| m.admin).count()
    };
    assert_eq!(
        put(app, bob, &a.ann.token, json!({"admin": true})).await.0,
        200
    );
    for _ in 0..5 {
        let demote = json!({"admin": false});
        let (x, y) = tokio::join!(
            put(app, bob, &a.ann.token, demote.clone()),
            put(app, ann, &a.bob.token, demote),
        );
        // One wins; the other finds itself demoted (403) or the last admin (409).
        let statuses = [x.0, y.0];
        assert!(statuses.contains(&200), "{statuses:?}");
        assert!(
            statuses.iter().all(|s| [200, 403, 409].contains(s)),
            "{statuses:?}"
        );
        assert_eq!(admins().await, 1, "{statuses:?}");
        // The remaining admin makes the other one admin again for the next round.
        let promote = json!({"admin": true});
        let first = put(app, ann, &a.bob.token, promote.clone()).await.0;
        let second = put(app, bob, &a.ann.token, promote).await.0;
        assert!(first == 200 || second == 200, "{first} {second}");
        assert_eq!(admins().await, 2);
    }
}

async fn removing_a_user_takes_it_out_of_the_organizations_flows(b: Backend) {
    let a = acme(TestApp::spawn_tuned(b, fast_sweeps()).await).await;
    let app = &a.app;
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    let main = app
        .flow(&org, "Main", AccessMode::Organization, &[&a.ann, &a.bob])
        .await;
    let other = app.org("Other", &a.bob).await;
    let elsewhere = app
        .flow(&other, "Elsewhere", AccessMode::Invitation, &[&a.bob])
        .await;
    let mut stream = StreamReader::open(app, &a.bob, "/stream/flows/acme/main", &[]).await;

    assert_eq!(
        call(app, Method::DELETE, &user(a.bob.id), &a.ann.token, None).await,
        (204, Value::Null)
    );
    let end = stream_end(&mut stream).await;
    assert_eq!(end["content"]["reason"], "left_flow", "{end}");
    assert_eq!(
        app.store.flow_membership(&main.id, a.bob.id).await.unwrap(),
        None
    );
    assert!(app
        .store
        .flow_membership(&elsewhere.id, a.bob.id)
        .await
        .unwrap()
        .is_some());
    // Bob is an outsider now: even the organization flow he could have joined is hidden.
    for path in [
        "/organizations/acme",
        "/flows/acme/main",
        "/flows/acme/main/messages",
    ] {
        assert_eq!(
            call(app, Method::GET, path, &a.bob.token, None).await.0,
            404,
            "{path}"
        );
    }
    assert_eq!(
        call(app, Method::DELETE, &user(a.bob.id), &a.ann.token, None)
            .await
            .0,
        404
    );
}

async fn members_may_leave_but_not_remove_others(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let app = &a.app;
    let cat = app.user("cat").await;
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    app.join_org(&org, &cat, false).await;
    let (status, err) = call(app, Method::DELETE, &user(cat.id), &a.bob.token, None).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(
        call(app, Method::DELETE, &user(a.bob.id), &a.bob.token, None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(app, Method::GET, "/organizations/acme", &a.bob.token, None)
            .await
            .0,
        404
    );
}
