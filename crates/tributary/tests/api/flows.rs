//! Flows: flowdock/api-docs docs/flows.md, plus `links` (DESIGN §2).

use serde_json::{json, Value};
use tributary_types::AccessMode::{Invitation, Organization};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::setup::sent;

backend_tests!(
    flows_with_users_carry_links_joined_open_and_the_caller,
    flows_all_adds_joinable_organization_flows,
    a_flow_shows_its_users_and_hides_from_outsiders,
    find_gets_a_flow_by_id,
    flow_users_lists_members_only,
);

async fn flows_with_users_carry_links_joined_open_and_the_caller(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.acme(&ann, &[&bob]).await;
    let flow = app.flow(&org, "Main Room", Invitation, &[&ann]).await;

    let res = sent(
        app.http
            .get(app.url("/flows?users=1"))
            .basic_auth(&ann.token, Some("")),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["flowdock-user"], ann.id.to_string().as_str());
    let flows: Value = res.json().await.unwrap();
    let f = &flows[0];
    assert_eq!(flows.as_array().unwrap().len(), 1);
    assert_eq!(f["id"], json!(flow.id));
    assert!(f["id"].is_string());
    assert_eq!(f["parameterized_name"], "main-room");
    assert_eq!(
        (f["joined"].clone(), f["open"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(f["access_mode"], "invitation");
    assert_eq!(f["url"], format!("{}/flows/acme/main-room", app.base_url));
    assert_eq!(f["web_url"], format!("{}/app/acme/main-room", app.base_url));
    assert!(
        f.get("join_url").is_none(),
        "invitation flows have no join_url"
    );
    assert_eq!(f["organization"]["parameterized_name"], "acme");
    assert_eq!(
        f["links"]["self"],
        json!({"href": f["url"], "methods": ["GET", "PUT"]})
    );
    assert_eq!(
        f["links"]["users"]["href"],
        format!("{}/flows/acme/main-room/users", app.base_url)
    );
    let users = f["users"].as_array().unwrap();
    let me = users
        .iter()
        .find(|u| u["id"] == json!(ann.id))
        .expect("the caller is among the users");
    assert!(me["id"].is_number());
    assert_eq!(me["in_flow"], true);
    for key in ["nick", "name", "email", "avatar"] {
        assert!(me[key].is_string(), "{key}");
    }
    let bob_entry = users
        .iter()
        .find(|u| u["id"] == json!(bob.id))
        .expect("org members are listed");
    assert_eq!(bob_entry["in_flow"], false);

    let plain: Value = app.get_json("/flows", &ann.token).await;
    assert!(plain[0].get("users").is_none(), "users only with users=1");
    assert!(bob.client.flows().list(false).await.unwrap().is_empty());
}

async fn flows_all_adds_joinable_organization_flows(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Open Plan", Organization, &[&ann]).await;
    app.flow(&org, "Secret", Invitation, &[&ann]).await;
    app.flow(&org, "Mine", Invitation, &[&bob]).await;

    let all = bob.client.flows().all().await.unwrap();
    let seen: Vec<_> = all
        .iter()
        .map(|f| (f.parameterized_name.as_str(), f.joined, f.open))
        .collect();
    assert_eq!(
        seen,
        vec![("mine", true, true), ("open-plan", false, false)]
    );
    let open_plan = &all[1];
    assert_eq!(
        open_plan
            .join_url
            .as_deref()
            .map(|u| u.starts_with(&format!("{}/invitations/", app.base_url))),
        Some(true)
    );
    assert_eq!(bob.client.flows().list(false).await.unwrap().len(), 1);
}

async fn a_flow_shows_its_users_and_hides_from_outsiders(b: Backend) {
    let app = TestApp::spawn(b).await;
    let [ann, bob, eve] = app.users(["ann", "bob", "eve"]).await;
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Secret", Invitation, &[&ann]).await;
    app.flow(&org, "Lobby", Organization, &[&ann]).await;

    let f = ann.client.flows().get("acme", "secret").await.unwrap();
    assert_eq!(
        f.users
            .as_ref()
            .map(|u| u.iter().filter(|u| u.in_flow == Some(true)).count()),
        Some(1)
    );
    // Not a member of an invitation flow, or not in the organization: the flow does not exist.
    for err in [
        bob.client.flows().get("acme", "secret").await.unwrap_err(),
        eve.client.flows().get("acme", "lobby").await.unwrap_err(),
        ann.client.flows().get("acme", "nope").await.unwrap_err(),
        ann.client.flows().get("nope", "secret").await.unwrap_err(),
    ] {
        assert_eq!(err.status(), Some(404), "{err}");
    }
    let lobby = bob.client.flows().get("acme", "lobby").await.unwrap();
    assert!(!lobby.joined);
    assert_eq!(lobby.links["users"].methods, Vec::<String>::new());
}

async fn find_gets_a_flow_by_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, eve) = (app.user("ann").await, app.user("eve").await);
    let org = app.org("Acme", &ann).await;
    let flow = app.flow(&org, "Main", Invitation, &[&ann]).await;

    let found = ann.client.flows().find(&flow.id).await.unwrap();
    assert_eq!(found, ann.client.flows().get("acme", "main").await.unwrap());
    assert_eq!(
        eve.client
            .flows()
            .find(&flow.id)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert_eq!(
        ann.client
            .flows()
            .find("missing")
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    let res = sent(
        app.http
            .get(app.url("/flows/find"))
            .basic_auth(&ann.token, Some("")),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Validation error", "errors": {"id": ["is required"]}})
    );
}

async fn flow_users_lists_members_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let [ann, bob, eve] = app.users(["ann", "bob", "eve"]).await;
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Main", Invitation, &[&ann]).await;

    let users = ann.client.flows().users("acme", "main").await.unwrap();
    assert_eq!(users.iter().map(|u| u.id).collect::<Vec<_>>(), vec![ann.id]);
    assert_eq!(users[0].email, ann.email);
    assert_eq!(
        eve.client
            .flows()
            .users("acme", "main")
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
}
