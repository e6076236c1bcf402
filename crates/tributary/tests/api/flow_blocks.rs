//! Issue 17, point 4: blocking a user from a flow, `PUT /flows/:org/:flow/users/:id` with
//! `disabled` (flowdock/api-docs docs/users.md). A block removes the member, ends its
//! streams, and keeps it out (joining, being added) until it is lifted.

use reqwest::Method;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::call::{call, fast_sweeps, scoped, steps, stream_end, MAIN};
use crate::flow_members::team;
use crate::helpers::{Backend, TestApp};
use crate::stream_reader::StreamReader;

backend_tests!(
    a_block_removes_a_member_and_keeps_it_out_until_lifted,
    only_organization_admins_block_admins,
);

fn member(flow: &str, who: impl std::fmt::Display) -> String {
    format!("/flows/acme/{flow}/users/{who}")
}

fn block(disabled: bool) -> Option<Value> {
    Some(json!({ "disabled": disabled }))
}

async fn a_block_removes_a_member_and_keeps_it_out_until_lifted(b: Backend) {
    let t = team(TestApp::spawn_tuned(b, fast_sweeps()).await).await;
    let (app, ann, bob) = (&t.app, t.ann.token.as_str(), &t.bob);
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();
    let lobby = app
        .flow(&org, "Lobby", AccessMode::Organization, &[&t.ann, bob])
        .await;
    let mut stream = StreamReader::open(app, bob, "/stream/flows/acme/main", &[]).await;

    let (status, answer) = call(app, Method::PUT, &member("main", bob.id), ann, block(true)).await;
    assert_eq!((status, answer), (200, json!({})));
    let end = stream_end(&mut stream).await;
    assert_eq!(end["content"]["reason"], "left_flow", "{end}");
    let re_add = || Some(json!({"id": bob.id}));
    steps(
        app,
        vec![
            (Method::GET, MAIN.into(), &bob.token, None, 404),
            // Nobody adds a blocked user back, not even an admin.
            (Method::POST, format!("{MAIN}/users"), ann, re_add(), 403),
            // Blocking again changes nothing.
            (Method::PUT, member("main", bob.id), ann, block(true), 200),
            (Method::PUT, member("lobby", bob.id), ann, block(true), 200),
        ],
    )
    .await;
    // Blocked from an organization flow, Bob cannot join it himself either.
    let join = Some(json!({"open": true}));
    let (status, err) = call(app, Method::PUT, "/flows/acme/lobby", &bob.token, join).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(err["message"], "This user is blocked from the flow");
    assert_eq!(
        app.store.flow_membership(&lobby.id, bob.id).await.unwrap(),
        None
    );
    // Lifting the block does not add him back; it lets him be added or join again.
    steps(
        app,
        vec![
            (Method::PUT, member("main", bob.id), ann, block(false), 200),
            (Method::GET, MAIN.into(), &bob.token, None, 404),
            (Method::POST, format!("{MAIN}/users"), ann, re_add(), 200),
            (Method::GET, MAIN.into(), &bob.token, None, 200),
        ],
    )
    .await;
}

async fn only_organization_admins_block_admins(b: Backend) {
    let t = team(TestApp::spawn(b).await).await;
    let (app, bob) = (&t.app, t.bob.token.as_str());
    let eve = app.user("eve").await;
    let flow_only = scoped(app, &t.bob, Scopes::FLOW).await;
    let (status, err) = call(
        app,
        Method::PUT,
        &member("main", t.cat.id),
        bob,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, &err["errors"]["disabled"]),
        (400, &json!(["is required"]))
    );
    steps(
        app,
        vec![
            (Method::PUT, member("main", t.ann.id), bob, block(true), 403),
            (Method::PUT, member("main", t.bob.id), bob, block(true), 403),
            (Method::PUT, member("main", eve.id), bob, block(true), 404),
            (Method::PUT, member("main", "x"), bob, block(true), 404),
            (
                Method::PUT,
                member("main", t.cat.id),
                &flow_only,
                block(true),
                403,
            ),
            // A regular member blocks someone of the organization who is not in the flow yet.
            (Method::PUT, member("main", t.cat.id), bob, block(true), 200),
            (
                Method::PUT,
                member("main", t.cat.id),
                &eve.token,
                block(false),
                404,
            ),
        ],
    )
    .await;
    let cat = Some(json!({"id": t.cat.id}));
    let (status, _) = call(app, Method::POST, "/flows/acme/main/users", bob, cat).await;
    assert_eq!(status, 403);
}
