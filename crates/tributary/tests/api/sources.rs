//! The Sources API (flowdock/api-docs docs/sources.md) and the setup and configuration redirects.

use serde_json::{json, Value};
use tributary_types::AccessMode::{Invitation, Organization};
use tributary_types::UpdateSource;

use crate::backend_tests;
use crate::browser::{location, query_param, Browser};
use crate::helpers::{Backend, TestApp};
use crate::oauth::{register, CALLBACK};
use crate::setup::{json_of, new_source, sent};

backend_tests!(
    sources_have_the_documented_shape_in_every_list,
    put_delete_and_the_flow_token_lifecycle,
    creating_needs_an_application_a_name_and_membership,
    setup_and_configuration_redirects_expand_the_uris,
);

/// Where the tests install their sources.
const MAIN: &str = "/flows/acme/main/sources";

async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let res = sent(
        app.http
            .post(app.url(path))
            .basic_auth(token, Some(""))
            .json(&body),
    )
    .await;
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn sources_have_the_documented_shape_in_every_list(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, org, _) = app.ann_in_main().await;
    app.flow(&org, "Other", Invitation, &[&ann]).await;
    let dev = register(&app, &ann, CALLBACK).await;
    let body = json!({"name": "Helsinki Lunch Poll", "external_url": "https://acme.example.com/polls/helsinki", "application_id": dev.id});
    let (status, created) = create(&app, &ann.token, "/flows/acme/main/integrations", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["flow_token"].as_str().unwrap().len(), 32);
    assert_eq!(
        created["url"],
        app.url(&format!("/flows/acme/main/sources/{id}"))
    );
    assert_eq!(
        created["external_url"],
        "https://acme.example.com/polls/helsinki"
    );
    assert_eq!(created["_links"], json!({}));
    let created_at = created["created_at"].as_str().unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );
    assert_eq!(
        created["application"],
        json!({
            "id": dev.id, "name": "Polldock", "icon_url": "https://icons.example/poll.png",
            "url": app.url(&format!("/oauth/applications/{}", dev.id)),
            "configuration_uri": dev.configuration_uri,
        })
    );
    for key in ["id", "avatar", "email", "name", "nick"] {
        assert!(!created["creator"][key].is_null(), "creator.{key}");
    }
    // Only the hash is stored: the token is not in the database.
    let stored = app.store.source_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.name, "Helsinki Lunch Poll");
    let token = created["flow_token"].as_str().unwrap();
    assert!(app
        .store
        .source_by_token_hash(token)
        .await
        .unwrap()
        .is_none());
    let by_hash = app
        .store
        .source_by_token_hash(&tributary::secrets::hash_token(token))
        .await
        .unwrap();
    assert_eq!(by_hash.map(|s| s.id), Some(id));
    let req = json!({"name": "Second", "application_id": dev.id});
    let (status, _) = create(&app, &ann.token, "/flows/acme/other/sources", req).await;
    assert_eq!(status, 201);

    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("flow_token");
    let all: Value = app.get_json("/sources", &ann.token).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0], expected);
    let in_flow = ann
        .client
        .sources()
        .list_in_flow("acme", "main")
        .await
        .unwrap();
    assert_eq!(in_flow.len(), 1);
    assert_eq!(serde_json::to_value(&in_flow[0]).unwrap(), expected);
    for path in [
        format!("/flows/acme/main/sources/{id}"),
        format!("/flows/acme/main/source/{id}"),
    ] {
        let one: Value = app.get_json(&path, &ann.token).await;
        assert_eq!(one, expected, "{path}");
    }
    // With the flow_token, /sources shows that source only.
    let mine: Value = json_of(
        app.http
            .get(app.url(&format!("/sources?flow_token={token}"))),
    )
    .await;
    assert_eq!(mine, json!([expected]));
    let res = sent(app.http.get(app.url("/sources?flow_token=nope"))).await;
    assert_eq!(res.status(), 401);
    // The application link answers the owner with the secret; anyone else gets the public
    // view once the application is published, and a 404 before.
    let bob = app.user("bob").await;
    let unpublished = bob.client.applications().get(dev.id).await.unwrap_err();
    assert_eq!(unpublished.status(), Some(404));
    tributary::apps::manage::set_published(&app.store, dev.id, true)
        .await
        .unwrap();
    let public = bob.client.applications().get(dev.id).await.unwrap();
    assert_eq!(public.client_secret, None);
    let own = ann.client.applications().get(dev.id).await.unwrap();
    assert_eq!(
        own.client_secret.as_deref(),
        Some(dev.client_secret.as_str())
    );
}

async fn put_delete_and_the_flow_token_lifecycle(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;
    let dev = register(&app, &ann, CALLBACK).await;
    let req = json!({"name": "Polls", "application_id": dev.id});
    let (_, created) = create(&app, &ann.token, MAIN, req).await;
    let id = created["id"].as_i64().unwrap();
    let token = created["flow_token"].as_str().unwrap().to_owned();
    let sources = ann.client.sources();
    let set = sources
        .update(
            "acme",
            "main",
            id,
            &UpdateSource {
                error_message: Some("Account disabled".into()),
                configuration_url: Some("https://polls.example/configure/1".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(set.error_message.as_deref(), Some("Account disabled"));
    assert_eq!(
        set.configuration_url.as_deref(),
        Some("https://polls.example/configure/1")
    );
    // An absent field stays; an empty error_message clears.
    let res = sent(
        app.http
            .put(app.url("/sources"))
            .form(&[("flow_token", token.as_str()), ("error_message", "")]),
    )
    .await;
    assert_eq!(res.status(), 200);
    let cleared: Value = res.json().await.unwrap();
    assert!(cleared.get("error_message").is_none(), "{cleared}");
    assert_eq!(
        cleared["configuration_url"],
        "https://polls.example/configure/1"
    );
    // Validation names the field and the limit.
    let err = sources
        .update(
            "acme",
            "main",
            id,
            &UpdateSource {
                error_message: Some("x".repeat(1001)),
                configuration_url: None,
            },
        )
        .await
        .unwrap_err();
    match err {
        tributary_sdk::Error::Validation { errors, .. } => {
            assert!(errors["error_message"][0].contains("1000"))
        }
        other => panic!("validation error expected, got {other:?}"),
    }
    let res = sent(
        app.http
            .put(app.url("/sources"))
            .json(&json!({"flow_token": token, "configuration_url": "javascript:alert(1)"})),
    )
    .await;
    assert_eq!(res.status(), 400);
    // PUT /sources without a token is 401.
    let res = sent(app.http.put(app.url("/sources")).json(&json!({}))).await;
    assert_eq!(res.status(), 401);
    // DELETE is 204; then the source is gone from the API and its token answers 410.
    let res = sent(
        app.http
            .delete(app.url(&format!("/flows/acme/main/sources/{id}")))
            .basic_auth(&ann.token, Some("")),
    )
    .await;
    assert_eq!(res.status(), 204);
    let err = sources.get("acme", "main", id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(sources.list().await.unwrap().is_empty());
    for res in [
        app.http
            .put(app.url("/sources"))
            .json(&json!({"flow_token": token, "error_message": "x"}))
            .send()
            .await
            .unwrap(),
        app.http
            .get(app.url(&format!("/sources?flow_token={token}")))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(res.status(), 410);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["reason"], "removed");
    }
}

async fn creating_needs_an_application_a_name_and_membership(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.acme(&ann, &[&bob]).await;
    app.flow(&org, "Main", Invitation, &[&ann]).await;
    app.flow(&org, "Open", Organization, &[&ann]).await;
    let dev = register(&app, &ann, CALLBACK).await;
    let bobs_app = register(&app, &bob, CALLBACK).await;
    // An API token names no application.
    let (status, body) = create(&app, &ann.token, MAIN, json!({"name": "x"})).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["message"].as_str().unwrap().contains("integration"));
    // Nor may it install someone else's application.
    let req = json!({"name": "x", "application_id": bobs_app.id});
    let (status, body) = create(&app, &ann.token, MAIN, req).await;
    assert_eq!(
        (status, body["errors"]["application_id"].is_array()),
        (400, true)
    );
    let req = json!({"name": " ", "application_id": dev.id});
    let (status, body) = create(&app, &ann.token, MAIN, req).await;
    assert_eq!(
        (status, body["errors"]["name"][0].as_str()),
        (400, Some("is required"))
    );
    let req = json!({"name": "x", "external_url": "ftp://x", "application_id": dev.id});
    let (status, body) = create(&app, &ann.token, MAIN, req).await;
    assert_eq!(
        (status, body["errors"]["external_url"].is_array()),
        (400, true)
    );
    // A user who is not in the flow: 404, and the flow's existence does not leak.
    let req = json!({"name": "x", "application_id": bobs_app.id});
    let (status, _) = create(&app, &bob.token, MAIN, req).await;
    assert_eq!(status, 404);
    let err = bob
        .client
        .sources()
        .list_in_flow("acme", "main")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    // An organization flow bob could join but has not: 403, join first.
    let req = json!({"name": "x", "application_id": bobs_app.id});
    let (status, _) = create(&app, &bob.token, "/flows/acme/open/sources", req).await;
    assert_eq!(status, 403);
    let open = bob.client.flows().get("acme", "open").await.unwrap();
    assert!(open.links["sources"].methods.is_empty());
    // With a user credential (every scope), a member's flow lists GET and POST.
    let main = ann.client.flows().get("acme", "main").await.unwrap();
    assert_eq!(main.links["sources"].methods, vec!["GET", "POST"]);
    assert_eq!(main.links["sources"].href, format!("{}/sources", main.url));
    // The SDK's create with a bearer token of the wrong app is impossible: no token, 401.
    let err = app
        .sdk()
        .sources()
        .create("acme", "main", &new_source("x"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
}

async fn setup_and_configuration_redirects_expand_the_uris(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme", &ann).await;
    let flow = app.flow(&org, "Main", Invitation, &[&ann, &bob]).await;
    let dev = register(&app, &ann, CALLBACK).await;
    let req = json!({"name": "Polls", "application_id": dev.id});
    let (_, created) = create(&app, &ann.token, MAIN, req).await;
    let id = created["id"].as_i64().unwrap();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String, token: String| {
        let c = no_redirects.clone();
        let url = app.url(&path);
        async move { c.get(url).basic_auth(token, Some("")).send().await.unwrap() }
    };
    // Configure: the app's configuration URI, placeholders expanded, integration_id and flow added.
    let res = get(
        format!("/flows/acme/main/sources/{id}/configure"),
        ann.token.clone(),
    )
    .await;
    let to = location(&res);
    assert!(
        to.starts_with("http://127.0.0.1:9/flowdock/configure?"),
        "{to}"
    );
    assert_eq!(query_param(&to, "source").unwrap(), id.to_string());
    assert_eq!(
        query_param(&to, "source_url").unwrap(),
        app.url(&format!("/flows/acme/main/sources/{id}"))
    );
    assert_eq!(query_param(&to, "integration_id").unwrap(), id.to_string());
    assert_eq!(query_param(&to, "flow").unwrap(), flow.id);
    // The source's own configuration_url wins once the integration sets one.
    ann.client
        .sources()
        .update(
            "acme",
            "main",
            id,
            &UpdateSource {
                error_message: None,
                configuration_url: Some("https://polls.example/c/7".into()),
            },
        )
        .await
        .unwrap();
    let res = get(
        format!("/flows/acme/main/sources/{id}/configure"),
        ann.token.clone(),
    )
    .await;
    assert_eq!(location(&res), "https://polls.example/c/7");
    // Setup: an unpublished app is only for its owner.
    let path = format!("/flows/acme/main/integrations/new?app={}", dev.id);
    let res = get(path.clone(), ann.token.clone()).await;
    assert!(location(&res).contains(&format!("flow={}", flow.id)));
    assert_eq!(get(path.clone(), bob.token.clone()).await.status(), 404);
    tributary::apps::manage::set_published(&app.store, dev.id, true)
        .await
        .unwrap();
    assert_eq!(get(path.clone(), bob.token.clone()).await.status(), 303);
    // A browser without a session is sent to log in, and back.
    let res = Browser::new(&app).get(&path).await;
    assert!(location(&res).starts_with("/login?return_to="));
}
