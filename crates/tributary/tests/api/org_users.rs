//! Issue 17, point 4: `GET`, `PUT` and `DELETE /organizations/:org/users/:id`. Organization
//! admins make and unmake admins and remove users; removing a user takes it out of the
//! organization's flows and ends its streams; the last admin stays.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::call::{call, scoped};
use crate::helpers::{Backend, Settings, TestApp, TestUser};
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

async fn admins_make_and_unmake_admins(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let app = &a.app;
    let promote = Some(json!({"admin": true}));
    let (status, err) = call(
        app,
        Method::PUT,
        &user(a.ann.id),
        &a.bob.token,
        Some(json!({"admin": false})),
    )
    .await;
    assert_eq!(status, 403, "{err}");
    let (status, bob) = call(
        app,
        Method::PUT,
        &user(a.bob.id),
        &a.ann.token,
        promote.clone(),
    )
    .await;
    assert_eq!((status, &bob["admin"]), (200, &json!(true)), "{bob}");
    let (_, shown) = call(app, Method::GET, &user(a.bob.id), &a.ann.token, None).await;
    assert_eq!(shown["admin"], true);
    // The new admin demotes the old one.
    let (status, ann) = call(
        app,
        Method::PUT,
        &user(a.ann.id),
        &a.bob.token,
        Some(json!({"admin": "0"})),
    )
    .await;
    assert_eq!((status, &ann["admin"]), (200, &json!(false)), "{ann}");
    let (status, err) = call(
        app,
        Method::PUT,
        &user(a.bob.id),
        &a.bob.token,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, &err["errors"]["admin"]),
        (400, &json!(["is required"]))
    );
    // It takes `manage`.
    let flow_only = scoped(app, &a.bob, Scopes::FLOW).await;
    assert_eq!(
        call(
            app,
            Method::PUT,
            &user(a.ann.id),
            &flow_only,
            promote.clone()
        )
        .await
        .0,
        403
    );
    let eve = app.user("eve").await;
    assert_eq!(
        call(app, Method::PUT, &user(eve.id), &a.bob.token, promote)
            .await
            .0,
        404
    );
}

async fn the_last_admin_stays(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let app = &a.app;
    let demote = Some(json!({"admin": false}));
    let (status, err) = call(
        app,
        Method::PUT,
        &user(a.ann.id),
        &a.ann.token,
        demote.clone(),
    )
    .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(
        err["message"],
        "An organization must keep at least one admin"
    );
    assert_eq!(
        call(app, Method::DELETE, &user(a.ann.id), &a.ann.token, None)
            .await
            .0,
        409
    );
    // With a second admin, the first may step down or leave.
    let promote = Some(json!({"admin": true}));
    assert_eq!(
        call(app, Method::PUT, &user(a.bob.id), &a.ann.token, promote)
            .await
            .0,
        200
    );
    assert_eq!(
        call(app, Method::PUT, &user(a.ann.id), &a.ann.token, demote)
            .await
            .0,
        200
    );
    assert_eq!(
        call(app, Method::DELETE, &user(a.ann.id), &a.ann.token, None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(app, Method::DELETE, &user(a.bob.id), &a.bob.token, None)
            .await
            .0,
        409
    );
}

async fn two_admins_demoting_each_other_leave_one(b: Backend) {
    let a = acme(TestApp::spawn(b).await).await;
    let app = &a.app;
    let promote = Some(json!({"admin": true}));
    assert_eq!(
        call(app, Method::PUT, &user(a.bob.id), &a.ann.token, promote)
            .await
            .0,
        200
    );
    for _ in 0..5 {
        let demote = Some(json!({"admin": false}));
        let (bob, ann) = (user(a.bob.id), user(a.ann.id));
        let (x, y) = tokio::join!(
            call(app, Method::PUT, &bob, &a.ann.token, demote.clone()),
            call(app, Method::PUT, &ann, &a.bob.token, demote.clone()),
        );
        let mut statuses = [x.0, y.0];
        statuses.sort();
        let org = app.store.org_by_name("acme").await.unwrap().unwrap();
        let admins = app
            .store
            .org_members(org.id)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.admin)
            .count();
        assert_eq!(admins, 1, "{statuses:?}");
        // The one who lost its flag (or kept it, when the other was refused) makes the other
        // admin again for the next round.
        let restore = Some(json!({"admin": true}));
        let (first, second) = (
            call(
                app,
                Method::PUT,
                &user(a.ann.id),
                &a.bob.token,
                restore.clone(),
            )
            .await,
            call(app, Method::PUT, &user(a.bob.id), &a.ann.token, restore).await,
        );
        assert!(first.0 == 200 || second.0 == 200, "{first:?} {second:?}");
        assert!(
            statuses.contains(&200) && statuses.iter().all(|s| [200, 403, 409].contains(s)),
            "{statuses:?}"
        );
        let admins = app
            .store
            .org_members(org.id)
            .await
            .unwrap()
            .iter()
            .filter(|m| m.admin)
            .count();
        assert_eq!(admins, 2);
    }
}

async fn removing_a_user_takes_it_out_of_the_organizations_flows(b: Backend) {
    let settings = Settings {
        keepalive: Duration::from_millis(200),
        ..Settings::default()
    };
    let a = acme(TestApp::spawn_tuned(b, settings).await).await;
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
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match stream.next_json().await {
                Some(v) if v["event"] == "stream-end" => return v,
                Some(_) => continue,
                None => panic!("the stream closed without a stream-end event"),
            }
        }
    })
    .await
    .expect("the stream ends within a few keep-alives");
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
