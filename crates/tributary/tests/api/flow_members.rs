//! Issue 17, point 4: adding and removing flow members (flowdock/api-docs docs/users.md, "Add
//! a user to flow"), and `PUT /flows/:org/:flow` refusing before it writes. A removed member's
//! streams end and its next request is a non-member's.

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
    members_add_users_of_the_organization_by_id_or_email,
    only_those_who_run_a_flow_manage_its_members,
    removing_a_member_ends_its_streams_and_its_access,
    only_organization_admins_remove_admins,
    a_refused_flow_change_writes_nothing,
);

struct Team {
    app: TestApp,
    ann: TestUser,
    bob: TestUser,
    cat: TestUser,
}

/// Ann administers Acme and is in Main (invitation) with Bob; Cat is a member of Acme only.
async fn team(app: TestApp) -> Team {
    let (ann, bob, cat) = (
        app.user("ann").await,
        app.user("bob").await,
        app.user("cat").await,
    );
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.join_org(&org, &cat, false).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann, &bob])
        .await;
    Team { app, ann, bob, cat }
}

async fn members(app: &TestApp, token: &str) -> Vec<i64> {
    let (status, users) = call(app, Method::GET, "/flows/acme/main/users", token, None).await;
    assert_eq!(status, 200, "{users}");
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect()
}

async fn members_add_users_of_the_organization_by_id_or_email(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let (app, bob) = (&t.app, &t.bob);
    let eve = app.user("eve").await;
    let add = |body: Value| {
        call(
            app,
            Method::POST,
            "/flows/acme/main/users",
            &bob.token,
            Some(body),
        )
    };

    assert_eq!(add(json!({"id": t.cat.id})).await, (200, json!({})));
    assert_eq!(
        members(app, &t.cat.token).await,
        vec![t.ann.id, bob.id, t.cat.id]
    );
    // Adding a member again changes nothing, not even its closed tab.
    let closed = json!({"open": false});
    let (status, _) = call(
        app,
        Method::PUT,
        "/flows/acme/main",
        &t.cat.token,
        Some(closed),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        add(json!({"id": t.cat.id.to_string()})).await,
        (200, json!({}))
    );
    let (_, flow) = call(app, Method::GET, "/flows/acme/main", &t.cat.token, None).await;
    assert_eq!(
        (&flow["joined"], &flow["open"]),
        (&json!(true), &json!(false))
    );

    // Someone outside the organization, and no one at all, get the same answer.
    for (body, field) in [
        (json!({"id": eve.id}), "id"),
        (json!({"id": 999_999}), "id"),
        (json!({"email": eve.email}), "email"),
        (json!({"email": "nobody@example.com"}), "email"),
    ] {
        let (status, err) = add(body).await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(
            err["errors"][field],
            json!(["is not a member of the flow's organization"])
        );
    }
    let (status, err) = add(json!({})).await;
    assert_eq!(
        (status, &err["errors"]["id"]),
        (400, &json!(["is required"]))
    );
    let (status, err) = add(json!({"id": "x"})).await;
    assert_eq!(status, 400, "{err}");

    // By email, in any case, as the web page adds people.
    let dan = app.user("dan").await;
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    app.join_org(&org, &dan, false).await;
    let upper = json!({"email": dan.email.to_uppercase()});
    assert_eq!(add(upper).await, (200, json!({})));
    assert!(members(app, &bob.token).await.contains(&dan.id));
}

async fn only_those_who_run_a_flow_manage_its_members(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let app = &t.app;
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    app.flow(&org, "Lobby", AccessMode::Organization, &[&t.bob])
        .await;
    app.flow(&org, "Secret", AccessMode::Invitation, &[&t.bob])
        .await;
    let eve = app.user("eve").await;
    let add = |path: &'static str, token: String, id: i64| async move {
        call(app, Method::POST, path, &token, Some(json!({"id": id})))
            .await
            .0
    };
    // Cat has not joined: an invitation flow does not exist for her, an organization flow
    // asks her to join first; an outsider sees nothing.
    assert_eq!(
        add("/flows/acme/main/users", t.cat.token.clone(), t.cat.id).await,
        404
    );
    assert_eq!(
        add("/flows/acme/lobby/users", t.cat.token.clone(), t.cat.id).await,
        403
    );
    assert_eq!(
        add("/flows/acme/lobby/users", eve.token.clone(), eve.id).await,
        404
    );
    let (status, _) = call(
        app,
        Method::DELETE,
        &format!("/flows/acme/main/users/{}", t.bob.id),
        &eve.token,
        None,
    )
    .await;
    assert_eq!(status, 404);
    // An organization admin runs every flow of it, joined or not.
    assert_eq!(
        add("/flows/acme/secret/users", t.ann.token.clone(), t.cat.id).await,
        200
    );
    assert!(app
        .store
        .flow_membership(
            &app.store
                .flow_by_name("acme", "secret")
                .await
                .unwrap()
                .unwrap()
                .id,
            t.cat.id
        )
        .await
        .unwrap()
        .is_some());
    // Managing members is `manage`; `flow` alone reads them.
    let flow_only = scoped(app, &t.bob, Scopes::FLOW).await;
    let (status, err) = call(
        app,
        Method::POST,
        "/flows/acme/main/users",
        &flow_only,
        Some(json!({"id": t.cat.id})),
    )
    .await;
    assert_eq!(status, 403, "{err}");
    assert!(err["message"].as_str().unwrap().contains("manage"), "{err}");
    let manage = scoped(app, &t.bob, Scopes::MANAGE).await;
    let (status, _) = call(
        app,
        Method::POST,
        "/flows/acme/main/users",
        &manage,
        Some(json!({"id": t.cat.id})),
    )
    .await;
    assert_eq!(status, 200);
}

async fn removing_a_member_ends_its_streams_and_its_access(b: Backend) {
    let settings = Settings {
        keepalive: Duration::from_millis(200),
        ..Settings::default()
    };
    let t = team(TestApp::spawn_tuned(b, settings).await).await;
    let (app, bob) = (&t.app, &t.bob);
    let mut stream = StreamReader::open(app, bob, "/stream/flows/acme/main", &[]).await;
    let path = format!("/flows/acme/main/users/{}", bob.id);

    assert_eq!(
        call(app, Method::DELETE, &path, &t.ann.token, None).await,
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
    // An invitation flow Bob is no longer in does not exist for him.
    for path in ["/flows/acme/main", "/flows/acme/main/messages"] {
        assert_eq!(
            call(app, Method::GET, path, &bob.token, None).await.0,
            404,
            "{path}"
        );
    }
    assert_eq!(members(app, &t.ann.token).await, vec![t.ann.id]);
    // Removing again, or someone who never was a member: 404.
    assert_eq!(
        call(app, Method::DELETE, &path, &t.ann.token, None).await.0,
        404
    );
    let cat = format!("/flows/acme/main/users/{}", t.cat.id);
    assert_eq!(
        call(app, Method::DELETE, &cat, &t.ann.token, None).await.0,
        404
    );
    assert_eq!(
        call(
            app,
            Method::DELETE,
            "/flows/acme/main/users/x",
            &t.ann.token,
            None
        )
        .await
        .0,
        404
    );
}

async fn only_organization_admins_remove_admins(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let app = &t.app;
    let add = json!({"id": t.cat.id});
    assert_eq!(
        call(
            app,
            Method::POST,
            "/flows/acme/main/users",
            &t.bob.token,
            Some(add)
        )
        .await
        .0,
        200
    );
    let remove = |who: i64, token: String| async move {
        let path = format!("/flows/acme/main/users/{who}");
        call(app, Method::DELETE, &path, &token, None).await
    };
    let (status, err) = remove(t.ann.id, t.bob.token.clone()).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(remove(t.cat.id, t.bob.token.clone()).await.0, 204);
    // Anyone may leave.
    assert_eq!(remove(t.bob.id, t.bob.token.clone()).await.0, 204);
    assert_eq!(members(app, &t.ann.token).await, vec![t.ann.id]);
}

async fn a_refused_flow_change_writes_nothing(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let app = &t.app;
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    let lobby = app
        .flow(&org, "Lobby", AccessMode::Organization, &[&t.bob])
        .await;
    // Joining and archiving at once: archiving is for admins, and the join is not kept.
    let body = json!({"open": true, "disabled": true});
    let (status, err) = call(
        app,
        Method::PUT,
        "/flows/acme/lobby",
        &t.cat.token,
        Some(body),
    )
    .await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(
        app.store
            .flow_membership(&lobby.id, t.cat.id)
            .await
            .unwrap(),
        None
    );
    // Joining and renaming at once is a member's right.
    let body = json!({"open": true, "name": "Hall"});
    let (status, flow) = call(
        app,
        Method::PUT,
        "/flows/acme/lobby",
        &t.cat.token,
        Some(body),
    )
    .await;
    assert_eq!(
        (status, &flow["name"], &flow["joined"]),
        (200, &json!("Hall"), &json!(true))
    );
    // An organization admin renames and archives a flow it has not joined.
    let body = json!({"name": "Old Hall", "disabled": true, "access_mode": "invitation"});
    let (status, flow) = call(
        app,
        Method::PUT,
        "/flows/acme/lobby",
        &t.ann.token,
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{flow}");
    assert_eq!(
        (
            &flow["name"],
            &flow["disabled"],
            &flow["joined"],
            &flow["access_mode"]
        ),
        (
            &json!("Old Hall"),
            &json!(true),
            &json!(false),
            &json!("invitation")
        )
    );
    let (status, err) = call(
        app,
        Method::PUT,
        "/flows/acme/lobby",
        &t.ann.token,
        Some(json!({"access_mode": "secret"})),
    )
    .await;
    assert_eq!(status, 400, "{err}");
}
