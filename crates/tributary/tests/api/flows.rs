//! Flows: flowdock/api-docs docs/flows.md, plus `links` (DESIGN §2).

use serde_json::{json, Value};
use tributary_types::{AccessMode, UpdateFlow};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    flows_with_users_carry_links_joined_open_and_the_caller,
    flows_all_adds_joinable_organization_flows,
    a_flow_shows_its_users_and_hides_from_outsiders,
    find_gets_a_flow_by_id,
    create_flow_answers_201_and_joins_the_creator,
    create_flow_validates_its_name,
    update_flow_renames_and_changes_access_mode,
    open_joins_an_organization_flow_and_closes_it_again,
    only_org_admins_disable_flows_and_disabled_flows_leave_the_list,
    flow_users_lists_members_only,
);

async fn flows_with_users_carry_links_joined_open_and_the_caller(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    let flow = app
        .flow(&org, "Main Room", AccessMode::Invitation, &[&ann])
        .await;

    let res = app
        .http
        .get(app.url("/flows?users=1"))
        .basic_auth(&ann.token, Some(""))
        .send()
        .await
        .unwrap();
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

    let plain: Value = app
        .http
        .get(app.url("/flows"))
        .basic_auth(&ann.token, Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(plain[0].get("users").is_none(), "users only with users=1");
    assert!(bob.client.flows().list(false).await.unwrap().is_empty());
}

async fn flows_all_adds_joinable_organization_flows(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.flow(&org, "Open Plan", AccessMode::Organization, &[&ann])
        .await;
    app.flow(&org, "Secret", AccessMode::Invitation, &[&ann])
        .await;
    app.flow(&org, "Mine", AccessMode::Invitation, &[&bob])
        .await;

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
    let (ann, bob, eve) = (
        app.user("ann").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.flow(&org, "Secret", AccessMode::Invitation, &[&ann])
        .await;
    app.flow(&org, "Lobby", AccessMode::Organization, &[&ann])
        .await;

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
    let flow = app
        .flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;

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
    let res = app
        .http
        .get(app.url("/flows/find"))
        .basic_auth(&ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Validation error", "errors": {"id": ["is required"]}})
    );
}

async fn create_flow_answers_201_and_joins_the_creator(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, eve) = (app.user("ann").await, app.user("eve").await);
    app.org("Acme", &ann).await;

    let res = app
        .http
        .post(app.url("/flows/acme"))
        .basic_auth(&ann.token, Some(""))
        .json(&json!({"name": "My flow"}))
        .send()
        .await
        .unwrap();
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
    let res = app
        .http
        .post(app.url("/flows/acme"))
        .basic_auth(&ann.token, Some(""))
        .form(&[("name", "Formed")])
        .send()
        .await
        .unwrap();
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
        let res = app
            .http
            .post(app.url("/flows/acme"))
            .basic_auth(&ann.token, Some(""))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["message"], "Validation error");
        assert!(err["errors"][field].is_array(), "{err}");
    }
    let err: Value = app
        .http
        .post(app.url("/flows/acme"))
        .basic_auth(&ann.token, Some(""))
        .json(&json!({"name": long}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;

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

    let res = app
        .http
        .put(app.url("/flows/acme/main"))
        .basic_auth(&ann.token, Some(""))
        .json(&json!({"access_mode": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .put(app.url("/flows/acme/main"))
        .basic_auth(&ann.token, Some(""))
        .json(&json!({"name": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

async fn open_joins_an_organization_flow_and_closes_it_again(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.flow(&org, "Lobby", AccessMode::Organization, &[&ann])
        .await;

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
    let res = app
        .http
        .put(app.url("/flows/acme/lobby"))
        .basic_auth(&bob.token, Some(""))
        .form(&[("open", "1")])
        .send()
        .await
        .unwrap();
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
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann, &bob])
        .await;

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

async fn flow_users_lists_members_only(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob, eve) = (
        app.user("ann").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;

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
