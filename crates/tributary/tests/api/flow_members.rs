//! Issue 17, point 4: adding and removing flow members (flowdock/api-docs docs/users.md, "Add
//! a user to flow"), and `PUT /flows/:org/:flow` refusing before it writes. A removed member's
//! streams end and its next request is a non-member's.

use reqwest::Method;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::call::{call, fast_sweeps, scoped, steps, stream_end, MAIN};
use crate::helpers::{Backend, TestApp, TestUser};
use crate::stream_reader::StreamReader;

backend_tests!(
    members_add_users_of_the_organization_by_id_or_email,
    only_those_who_run_a_flow_manage_its_members,
    removing_a_member_ends_its_streams_and_its_access,
    only_organization_admins_remove_admins,
    a_refused_flow_change_writes_nothing,
);

pub(crate) struct Team {
    pub app: TestApp,
    pub ann: TestUser,
    pub bob: TestUser,
    pub cat: TestUser,
}

/// Ann administers Acme and is in Main (invitation) with Bob; Cat is a member of Acme only.
pub(crate) async fn team(app: TestApp) -> Team {
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

/// `POST` to the users of `flow` in Acme, adding `body`.
async fn add(app: &TestApp, flow: &str, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, &users(flow), token, Some(body)).await
}

fn users(flow: &str) -> String {
    format!("/flows/acme/{flow}/users")
}

fn member(flow: &str, who: impl std::fmt::Display) -> String {
    format!("/flows/acme/{flow}/users/{who}")
}

async fn members_add_users_of_the_organization_by_id_or_email(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let (app, bob, cat) = (&t.app, &t.bob.token, &t.cat);
    let eve = app.user("eve").await;

    assert_eq!(
        add(app, "main", bob, json!({"id": cat.id})).await,
        (200, json!({}))
    );
    assert_eq!(
        members(app, &cat.token).await,
        vec![t.ann.id, t.bob.id, cat.id]
    );
    // Adding a member again changes nothing, not even its closed tab.
    steps(
        app,
        vec![(
            Method::PUT,
            MAIN.into(),
            &cat.token,
            Some(json!({"open": false})),
            200,
        )],
    )
    .await;
    let again = add(app, "main", bob, json!({"id": cat.id.to_string()})).await;
    assert_eq!(again, (200, json!({})));
    let (_, flow) = call(app, Method::GET, "/flows/acme/main", &cat.token, None).await;
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
        let (status, err) = add(app, "main", bob, body).await;
        assert_eq!(status, 400, "{err}");
        let reason = json!(["is not a member of the flow's organization"]);
        assert_eq!(err["errors"][field], reason);
    }
    let (status, err) = add(app, "main", bob, json!({})).await;
    assert_eq!(
        (status, &err["errors"]["id"]),
        (400, &json!(["is required"]))
    );
    assert_eq!(add(app, "main", bob, json!({"id": "x"})).await.0, 400);

    // By email, in any case, as the web page adds people.
    let dan = app.user("dan").await;
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    app.join_org(&org, &dan, false).await;
    let upper = json!({"email": dan.email.to_uppercase()});
    assert_eq!(add(app, "main", bob, upper).await, (200, json!({})));
    assert!(members(app, bob).await.contains(&dan.id));
}

async fn only_those_who_run_a_flow_manage_its_members(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let (app, cat) = (&t.app, &t.cat);
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    app.flow(&org, "Lobby", AccessMode::Organization, &[&t.bob])
        .await;
    let secret = app
        .flow(&org, "Secret", AccessMode::Invitation, &[&t.bob])
        .await;
    let eve = app.user("eve").await;
    let adding = |id: i64| Some(json!({"id": id}));
    let flow_only = scoped(app, &t.bob, Scopes::FLOW).await;
    let manage = scoped(app, &t.bob, Scopes::MANAGE).await;
    steps(
        app,
        vec![
            // Cat has not joined: an invitation flow does not exist for her, an
            // organization flow asks her to join first; an outsider sees nothing.
            (Method::POST, users("main"), &cat.token, adding(cat.id), 404),
            (
                Method::POST,
                users("lobby"),
                &cat.token,
                adding(cat.id),
                403,
            ),
            (
                Method::POST,
                users("lobby"),
                &eve.token,
                adding(eve.id),
                404,
            ),
            (
                Method::DELETE,
                member("main", t.bob.id),
                &eve.token,
                None,
                404,
            ),
            // Managing members is `manage`; `flow` alone reads them.
            (Method::POST, users("main"), &flow_only, adding(cat.id), 403),
            (Method::POST, users("main"), &manage, adding(cat.id), 200),
            // An organization admin runs every flow of it, joined or not.
            (
                Method::POST,
                users("secret"),
                &t.ann.token,
                adding(cat.id),
                200,
            ),
        ],
    )
    .await;
    let joined = app.store.flow_membership(&secret.id, cat.id).await.unwrap();
    assert!(joined.is_some());
}

async fn removing_a_member_ends_its_streams_and_its_access(b: Backend) {
    let t = team(TestApp::spawn_tuned(b, fast_sweeps()).await).await;
    let (app, bob, ann) = (&t.app, &t.bob, t.ann.token.as_str());
    let mut stream = StreamReader::open(app, bob, "/stream/flows/acme/main", &[]).await;
    let path = member("main", bob.id);

    assert_eq!(
        call(app, Method::DELETE, &path, ann, None).await,
        (204, Value::Null)
    );
    let end = stream_end(&mut stream).await;
    assert_eq!(end["content"]["reason"], "left_flow", "{end}");
    assert_eq!(members(app, ann).await, vec![t.ann.id]);
    steps(
        app,
        vec![
            // An invitation flow Bob is no longer in does not exist for him.
            (Method::GET, MAIN.into(), &bob.token, None, 404),
            (
                Method::GET,
                format!("{MAIN}/messages"),
                &bob.token,
                None,
                404,
            ),
            // Removing again, or someone who never was a member: 404.
            (Method::DELETE, path.clone(), ann, None, 404),
            (Method::DELETE, member("main", t.cat.id), ann, None, 404),
            (Method::DELETE, member("main", "x"), ann, None, 404),
        ],
    )
    .await;
}

async fn only_organization_admins_remove_admins(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let (app, bob) = (&t.app, t.bob.token.as_str());
    steps(
        app,
        vec![
            (
                Method::POST,
                users("main"),
                bob,
                Some(json!({"id": t.cat.id})),
                200,
            ),
            (Method::DELETE, member("main", t.ann.id), bob, None, 403),
            (Method::DELETE, member("main", t.cat.id), bob, None, 204),
            // Anyone may leave.
            (Method::DELETE, member("main", t.bob.id), bob, None, 204),
        ],
    )
    .await;
    assert_eq!(members(app, &t.ann.token).await, vec![t.ann.id]);
}

/// `PUT /flows/acme/lobby` with `body`.
async fn put_lobby(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::PUT, "/flows/acme/lobby", token, Some(body)).await
}

async fn a_refused_flow_change_writes_nothing(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let (app, cat, ann) = (&t.app, t.cat.token.as_str(), t.ann.token.as_str());
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    let lobby = app
        .flow(&org, "Lobby", AccessMode::Organization, &[&t.bob])
        .await;
    // Joining and archiving at once: archiving is for admins, and the join is not kept.
    let (status, err) = put_lobby(app, cat, json!({"open": true, "disabled": true})).await;
    assert_eq!(status, 403, "{err}");
    let membership = app
        .store
        .flow_membership(&lobby.id, t.cat.id)
        .await
        .unwrap();
    assert_eq!(membership, None);
    // Joining and renaming at once is a member's right.
    let (status, flow) = put_lobby(app, cat, json!({"open": true, "name": "Hall"})).await;
    assert_eq!(
        (status, &flow["name"], &flow["joined"]),
        (200, &json!("Hall"), &json!(true))
    );
    // An organization admin renames and archives a flow it has not joined.
    let body = json!({"name": "Old Hall", "disabled": true, "access_mode": "invitation"});
    let (status, flow) = put_lobby(app, ann, body).await;
    assert_eq!(status, 200, "{flow}");
    let seen = [
        &flow["name"],
        &flow["disabled"],
        &flow["joined"],
        &flow["access_mode"],
    ];
    assert_eq!(
        seen,
        [
            &json!("Old Hall"),
            &json!(true),
            &json!(false),
            &json!("invitation")
        ]
    );
    let (status, err) = put_lobby(app, ann, json!({"access_mode": "secret"})).await;
    assert_eq!(status, 400, "{err}");
}
