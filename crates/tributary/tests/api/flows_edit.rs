//! Flows: creating, validating, renaming, opening and disabling them
//! (flowdock/api-docs docs/flows.md).

use serde_json::{json, Value};
use tributary_types::AccessMode::{Invitation, Organization};
use tributary_types::{AccessMode, UpdateFlow};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::setup::{json_of, sent};

backend_tests!(
    create_flow_answers_201_and_joins_the_creator,
    create_flow_validates_its_name,
    update_flow_renames_and_changes_access_mode,
    open_joins_an_organization_flow_and_closes_it_again,
    only_org_admins_disable_flows_and_disabled_flows_leave_the_list,
);

async fn create_flow_answers_201_and_joins_the_creator(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, eve) = (app.user("ann").await, app.user("eve").await);
    app.org("Acme", &ann).await;

    let res = sent(
        app.http
            .post(app.url("/flows/acme"))
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"name": "My flow"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: tributary_types::Flow = res.json().await.unwrap();
    assert_eq!(
        (created.name.as_str(), created.parameterized_name.as_str()),
        ("My flow", "my-flow")
    );
    assert!(created.joined && created.open);
    assert_eq!(created.access_mode, AccessMode::Invitation);
    assert!(created
        .users
        .unwrap()
        .iter()
        .any(|u| u.id == ann.id && u.in_flow == Some(true)));

    // A second flow of the same name gets its own parameterized name.
    let again = ann.client.flows().create("acme", "My flow").await.unwrap();
    assert_eq!(again.parameterized_name, "my-flow-2");
    assert_ne!(again.id, created.id);
    // Form-encoded bodies work too.
    let res = sent(
        app.http
            .post(app.url("/flows/acme"))
            .basic_auth(&ann.token, Some(""))
            .form(&[("name", "Formed")]),
    )
    .await;
    assert_eq!(res.status(), 201);
    // Outside the organization, the organization does not exist.
    assert_eq!(
        eve.client
            .flows()
            .create("acme", "Mine")
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
}

async fn create_flow_validates_its_name(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    app.org("Acme", &ann).await;
    let long = "x".repeat(101);
    for (body, field) in [
        (json!({"name": long}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({}), "name"),
        (
            json!({"name": "ok", "access_mode": "secret"}),
            "access_mode",
        ),
    ] {
        let res = sent(
            app.http
                .post(app.url("/flows/acme"))
                .basic_auth(&ann.token, Some(""))
                .json(&body),
        )
        .await;
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["message"], "Validation error");
        assert!(err["errors"][field].is_array(), "{err}");
    }
    let err: Value = json_of(
        app.http
            .post(app.url("/flows/acme"))
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"name": long})),
    )
    .await;
    assert_eq!(
        err["errors"]["name"][0],
        "is too long (101 characters, the limit is 100)"
    );
    assert_eq!(
        ann.client
            .flows()
            .create("acme", &"y".repeat(100))
            .await
            .unwrap()
            .name
            .len(),
        100
    );
}

async fn update_flow_renames_and_changes_access_mode(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;

    let changes = UpdateFlow {
        name: Some("Renamed".into()),
        access_mode: Some(AccessMode::Link),
        ..Default::default()
    };
    let f = ann
        .client
        .flows()
        .update("acme", "main", &changes)
        .await
        .unwrap();
    assert_eq!(f.name, "Renamed");
    assert_eq!(f.parameterized_name, "main", "renaming keeps the URL");
    assert_eq!(f.access_mode, AccessMode::Link);
    assert!(f.join_url.is_some());
    assert_eq!(
        ann.client.flows().get("acme", "main").await.unwrap().name,
        "Renamed"
    );

    let res = sent(
        app.http
            .put(app.url("/flows/acme/main"))
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"access_mode": "nope"})),
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = sent(
        app.http
            .put(app.url("/flows/acme/main"))
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"name": ""})),
    )
    .await;
    assert_eq!(res.status(), 400);
}

async fn open_joins_an_organization_flow_and_closes_it_again(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Lobby", Organization, &[&ann]).await;

    // Not joined yet: changing metadata is refused, joining is allowed.
    let rename = UpdateFlow {
        name: Some("Mine".into()),
        ..Default::default()
    };
    assert_eq!(
        bob.client
            .flows()
            .update("acme", "lobby", &rename)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let res = sent(
        app.http
            .put(app.url("/flows/acme/lobby"))
            .basic_auth(&bob.token, Some(""))
            .form(&[("open", "1")]),
    )
    .await;
    assert_eq!(res.status(), 200);
    let joined: tributary_types::Flow = res.json().await.unwrap();
    assert!(joined.joined && joined.open);
    assert_eq!(bob.client.flows().list(false).await.unwrap().len(), 1);

    let closed = bob
        .client
        .flows()
        .update(
            "acme",
            "lobby",
            &UpdateFlow {
                open: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(closed.joined && !closed.open);
    let listed = bob.client.flows().list(false).await.unwrap();
    assert!(listed[0].joined && !listed[0].open);
}

async fn only_org_admins_disable_flows_and_disabled_flows_leave_the_list(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Main", Invitation, &[&ann, &bob]).await;

    let disable = UpdateFlow {
        disabled: Some(true),
        ..Default::default()
    };
    assert_eq!(
        bob.client
            .flows()
            .update("acme", "main", &disable)
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    let f = ann
        .client
        .flows()
        .update("acme", "main", &disable)
        .await
        .unwrap();
    assert!(f.disabled);
    assert!(ann.client.flows().list(false).await.unwrap().is_empty());
    assert!(ann.client.flows().all().await.unwrap().is_empty());
    // Members still reach it directly, so that an admin can enable it again.
    let enable = UpdateFlow {
        disabled: Some(false),
        ..Default::default()
    };
    assert!(
        !ann.client
            .flows()
            .update("acme", "main", &enable)
            .await
            .unwrap()
            .disabled
    );
    assert_eq!(bob.client.flows().list(false).await.unwrap().len(), 1);
}
