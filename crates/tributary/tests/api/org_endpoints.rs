//! Issue 17's last endpoints: `GET /organizations/find?id=`, `PUT /organizations/:org` (the
//! display name, by admins) and `GET /flows/:org` (an organization's flows), and that the
//! static `/flows/all` and `/flows/find` keep winning over `/flows/:org`.

use reqwest::Method;
use serde_json::{json, Value};
use tributary::auth::Scopes;
use tributary::store::NewOrg;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::call::{call, scoped};
use crate::helpers::{Backend, TestApp, TestUser};

backend_tests!(
    an_organization_is_found_by_id_by_its_members_only,
    admins_rename_their_organization,
    the_name_is_checked_after_the_caller,
    an_organizations_flows_are_those_the_caller_sees,
    static_flow_routes_win_over_an_organization_named_like_them,
);

struct Acme {
    app: TestApp,
    ann: TestUser,
    bob: TestUser,
    eve: TestUser,
    id: i64,
}

/// Ann administers Acme; Bob is a member of it; Eve has an organization of her own.
async fn acme(b: Backend) -> Acme {
    let app = TestApp::spawn(b).await;
    let (ann, bob, eve) = (
        app.user("ann").await,
        app.user("bob").await,
        app.user("eve").await,
    );
    let org = app.org("Acme", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.org("Elsewhere", &eve).await;
    Acme {
        id: org.id,
        app,
        ann,
        bob,
        eve,
    }
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    call(app, Method::GET, path, token, None).await
}

async fn an_organization_is_found_by_id_by_its_members_only(b: Backend) {
    let a = acme(b).await;
    let app = &a.app;
    let (status, by_name) = get(app, "/organizations/acme", &a.bob.token).await;
    assert_eq!(status, 200, "{by_name}");
    let find = format!("/organizations/find?id={}", a.id);
    let (status, by_id) = get(app, &find, &a.bob.token).await;
    assert_eq!(status, 200, "{by_id}");
    assert_eq!(by_id, by_name, "the same JSON as by name");
    assert_eq!(by_id["users"].as_array().map(Vec::len), Some(2));
    // An outsider, an unknown or malformed id, and the id no user belongs to: 404, never 403.
    for (path, token) in [
        (find.clone(), &a.eve.token),
        ("/organizations/find?id=999999".to_owned(), &a.ann.token),
        ("/organizations/find?id=x".to_owned(), &a.ann.token),
        ("/organizations/find?id=0".to_owned(), &a.ann.token),
    ] {
        assert_eq!(get(app, &path, token).await.0, 404, "{path}");
    }
    let (status, err) = get(app, "/organizations/find", &a.ann.token).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["errors"]["id"].is_array(), "{err}");
    // The scope of `GET /organizations/:org`: `flow` or `manage`, not `profile` alone.
    let profile = scoped(app, &a.bob, Scopes::PROFILE).await;
    assert_eq!(get(app, &find, &profile).await.0, 403);
    let flow = scoped(app, &a.bob, Scopes::FLOW).await;
    assert_eq!(get(app, &find, &flow).await, (200, by_name));
}

async fn put_name(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    call(app, Method::PUT, "/organizations/acme", token, Some(body)).await
}

async fn admins_rename_their_organization(b: Backend) {
    let a = acme(b).await;
    let app = &a.app;
    let flow = app
        .flow(&org_of(&a).await, "Main", AccessMode::Invitation, &[&a.ann])
        .await;
    let (status, org) = put_name(app, &a.ann.token, json!({"name": "  Acme Corp "})).await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["name"], "Acme Corp");
    assert_eq!(org["parameterized_name"], "acme", "the URLs stay");
    assert_eq!(org["id"], json!(a.id));
    assert_eq!(
        get(app, "/organizations/acme", &a.bob.token).await,
        (200, org.clone())
    );
    let path = format!("/flows/acme/{}", flow.parameterized_name);
    let (_, shown) = get(app, &path, &a.ann.token).await;
    assert_eq!(shown["organization"]["name"], "Acme Corp");
    // A member may not, an outsider does not see the organization, `flow` alone manages nothing.
    let (status, err) = put_name(app, &a.bob.token, json!({"name": "Bob's"})).await;
    assert_eq!(status, 403, "{err}");
    assert_eq!(
        put_name(app, &a.eve.token, json!({"name": "Eve's"}))
            .await
            .0,
        404
    );
    let flow_only = scoped(app, &a.ann, Scopes::FLOW).await;
    assert_eq!(put_name(app, &flow_only, json!({"name": "X"})).await.0, 403);
    let manage = scoped(app, &a.ann, Scopes::MANAGE).await;
    let (status, org) = put_name(app, &manage, json!({"name": "Acme"})).await;
    assert_eq!((status, &org["name"]), (200, &json!("Acme")));
    // A form body, as the docs allow.
    let res = app
        .http
        .put(app.url("/organizations/acme"))
        .basic_auth(&a.ann.token, Some(""))
        .form(&[("name", "Acme Form")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let org: Value = res.json().await.unwrap();
    assert_eq!(org["name"], "Acme Form");
}

async fn org_of(a: &Acme) -> tributary::store::OrgRecord {
    a.app.store.org_by_name("acme").await.unwrap().unwrap()
}

async fn the_name_is_checked_after_the_caller(b: Backend) {
    let a = acme(b).await;
    let app = &a.app;
    let long = "x".repeat(101);
    for body in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": long}),
    ] {
        let (status, err) = put_name(app, &a.ann.token, body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert!(err["errors"]["name"].is_array(), "{body}: {err}");
        assert!(err["message"].is_string(), "{err}");
        // Who may not rename learns that first, whatever the body.
        assert_eq!(put_name(app, &a.bob.token, body.clone()).await.0, 403);
        assert_eq!(put_name(app, &a.eve.token, body).await.0, 404);
    }
    let (status, _) = put_name(app, &a.ann.token, json!({"name": "y".repeat(100)})).await;
    assert_eq!(status, 200, "100 characters are enough");
    let (status, err) = put_name(app, &a.ann.token, json!({"name": {"no": 1}})).await;
    assert_eq!(status, 400, "{err}");
    let (_, org) = get(app, "/organizations/acme", &a.ann.token).await;
    assert_eq!(
        org["name"],
        json!("y".repeat(100)),
        "refused changes change nothing"
    );
}

fn names(list: &Value) -> Vec<&str> {
    let mut names: Vec<&str> = list
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    names.sort();
    names
}

async fn an_organizations_flows_are_those_the_caller_sees(b: Backend) {
    let a = acme(b).await;
    let app = &a.app;
    let org = org_of(&a).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&a.ann])
        .await;
    app.flow(&org, "Lobby", AccessMode::Organization, &[&a.ann])
        .await;
    app.flow(&org, "Secret", AccessMode::Invitation, &[]).await;
    let beta = app.org("Beta", &a.ann).await;
    app.flow(&beta, "Other", AccessMode::Invitation, &[&a.ann, &a.bob])
        .await;

    let (status, ann) = get(app, "/flows/acme", &a.ann.token).await;
    assert_eq!(status, 200, "{ann}");
    assert_eq!(
        names(&ann),
        ["Lobby", "Main"],
        "not Beta's, not one Ann is not in"
    );
    // The same items as `GET /flows/all`.
    let (_, all) = get(app, "/flows/all", &a.ann.token).await;
    for f in ann.as_array().unwrap() {
        assert!(all.as_array().unwrap().contains(f), "{f}");
        assert!(f["users"].is_null(), "no users unless asked");
    }
    // Bob has joined nothing of Acme's, but sees the organization-mode flow he may join.
    let (status, bob) = get(app, "/flows/acme?users=1", &a.bob.token).await;
    assert_eq!((status, names(&bob)), (200, vec!["Lobby"]));
    assert_eq!(bob[0]["joined"], false);
    assert!(bob[0]["users"].is_array(), "users=1 as on `GET /flows`");
    // An outsider and an unknown organization: 404; a `profile` token reads no flows.
    assert_eq!(get(app, "/flows/acme", &a.eve.token).await.0, 404);
    assert_eq!(get(app, "/flows/nope", &a.ann.token).await.0, 404);
    let profile = scoped(app, &a.ann, Scopes::PROFILE).await;
    assert_eq!(get(app, "/flows/acme", &profile).await.0, 403);
    // `POST /flows/:org` still creates on the same path.
    let body = Some(json!({"name": "New"}));
    let (status, made) = call(app, Method::POST, "/flows/acme", &a.bob.token, body).await;
    assert_eq!(status, 201, "{made}");
    let (_, bob) = get(app, "/flows/acme", &a.bob.token).await;
    assert_eq!(names(&bob), ["Lobby", "New"]);
}

async fn static_flow_routes_win_over_an_organization_named_like_them(b: Backend) {
    let a = acme(b).await;
    let app = &a.app;
    // The names are reserved, so only the store can make such organizations.
    for pname in ["all", "find"] {
        let org = app
            .store
            .create_org(NewOrg {
                name: pname.to_owned(),
                parameterized_name: pname.to_owned(),
                user_limit: 0,
            })
            .await
            .unwrap();
        app.join_org(&org, &a.ann, true).await;
    }
    let main = app
        .flow(&org_of(&a).await, "Main", AccessMode::Invitation, &[&a.ann])
        .await;
    let (status, all) = get(app, "/flows/all", &a.ann.token).await;
    assert_eq!((status, names(&all)), (200, vec!["Main"]), "GET /flows/all");
    let (status, found) = get(app, &format!("/flows/find?id={}", main.id), &a.ann.token).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["id"], json!(main.id), "one flow, not a list");
    let (status, err) = get(app, "/flows/find", &a.ann.token).await;
    assert_eq!(status, 400, "find's own answer without an id: {err}");
    assert!(err["errors"]["id"].is_array(), "{err}");
}
