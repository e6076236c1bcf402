//! Tokens after issue: refresh rotation and reuse, revocation (RFC 7009 and the Authorized
//! applications page), the password grant, and scope enforcement.

use oauth2::{AuthorizationCode, RefreshToken, TokenResponse};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::oauth::{
    approve, grant, oauth_client, oauth_http, register, signed_in, status_of_user, token_request,
    CALLBACK,
};
use crate::setup::new_source;

backend_tests!(
    refresh_needs_offline_access_and_rotates,
    a_reused_refresh_token_revokes_its_family,
    revoked_tokens_stop_working,
    the_password_grant_works_for_scripts,
    scopes_are_enforced_per_endpoint,
);

async fn refresh_needs_offline_access_and_rotates(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;
    let client = oauth_client(&app, &dev);
    // Without offline_access: no refresh token, and refreshing with anything fails.
    let (code, verifier, _) = approve(&browser, &client, &["flow"]).await;
    let online = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http())
        .await
        .unwrap();
    assert!(online.refresh_token().is_none());
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("refresh_token", online.access_token().secret()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // With it: a refresh token that rotates on use.
    let (code, verifier, _) = approve(&browser, &client, &["flow", "offline_access"]).await;
    let offline = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http())
        .await
        .unwrap();
    let first_refresh = offline.refresh_token().expect("offline_access brings one");
    let renewed = client
        .exchange_refresh_token(first_refresh)
        .request_async(&oauth_http())
        .await
        .unwrap();
    let second_refresh = renewed.refresh_token().expect("a rotated refresh token");
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    assert_eq!(
        status_of_user(&app, renewed.access_token().secret()).await,
        200
    );
    assert_eq!(
        status_of_user(&app, offline.access_token().secret()).await,
        401,
        "rotation retires the old access token"
    );
}

async fn a_reused_refresh_token_revokes_its_family(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let client = oauth_client(&app, &dev);
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("username", &ann.email),
            ("password", &ann.password),
            ("scope", "flow offline_access"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let old = RefreshToken::new(body["refresh_token"].as_str().unwrap().to_owned());
    let renewed = client
        .exchange_refresh_token(&old)
        .request_async(&oauth_http())
        .await
        .unwrap();
    let reuse = client
        .exchange_refresh_token(&old)
        .request_async(&oauth_http())
        .await;
    assert!(reuse.is_err());
    assert_eq!(
        status_of_user(&app, renewed.access_token().secret()).await,
        401,
        "a reused refresh token revokes the tokens rotated from it"
    );
    let again = client
        .exchange_refresh_token(renewed.refresh_token().unwrap())
        .request_async(&oauth_http())
        .await;
    assert!(again.is_err());
}

async fn revoked_tokens_stop_working(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let password_token = |scope: &'static str| {
        let app = &app;
        let dev = &dev;
        let ann = &ann;
        async move {
            let (status, body) = token_request(
                app,
                &[
                    ("grant_type", "password"),
                    ("client_id", &dev.client_id),
                    ("client_secret", &dev.client_secret),
                    ("username", &ann.email),
                    ("password", &ann.password),
                    ("scope", scope),
                ],
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    // RFC 7009 with the access token.
    let body = password_token("flow").await;
    let bearer = body["access_token"].as_str().unwrap();
    assert_eq!(status_of_user(&app, bearer).await, 200);
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&dev.client_id, Some(&dev.client_secret))
        .form(&[("token", bearer)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status_of_user(&app, bearer).await, 401);
    // Revoking a refresh token revokes its access token too.
    let body = password_token("flow offline_access").await;
    let bearer = body["access_token"].as_str().unwrap();
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("token", body["refresh_token"].as_str().unwrap()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status_of_user(&app, bearer).await, 401);
    // An unknown token answers 200 too; a client that does not authenticate does not.
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .basic_auth(&dev.client_id, Some(&dev.client_secret))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .post(app.url("/oauth/revoke"))
        .form(&[("token", "unknown"), ("client_id", &dev.client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // The user revokes the application on the Authorized applications page.
    let body = password_token("flow").await;
    let bearer = body["access_token"].as_str().unwrap();
    let browser = signed_in(&app, &ann).await;
    let page = browser.page("/account/authorized_applications").await;
    assert!(page.contains("Polldock"));
    assert!(page.contains("Read and send messages in your flows"));
    let token = crate::browser::csrf(&page);
    let res = browser
        .post(
            &format!("/account/authorized_applications/{}/revoke", dev.id),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(status_of_user(&app, bearer).await, 401);
    let page = browser.page("/account/authorized_applications").await;
    assert!(!page.contains("Polldock"));
}

async fn the_password_grant_works_for_scripts(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;
    let dev = register(&app, &ann, "urn:ietf:wg:oauth:2.0:oob").await;
    // Form-encoded request, form-encoded answer by default (flowdock/api-docs docs/authentication.md).
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", dev.client_id.as_str()),
            ("client_secret", dev.client_secret.as_str()),
            ("username", ann.email.as_str()),
            ("password", ann.password.as_str()),
            ("scope", "flow integration"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.unwrap();
    let pairs: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(pairs["token_type"], "bearer");
    assert_eq!(pairs["scope"], "flow integration");
    assert_eq!(pairs["expires_in"], "7200");
    assert!(!pairs.contains_key("refresh_token"));
    let bearer = &pairs["access_token"];
    // The token works as a header and as ?access_token=, on every REST endpoint.
    let flows = app
        .sdk()
        .with_bearer(bearer)
        .flows()
        .list(false)
        .await
        .unwrap();
    assert_eq!(flows.len(), 1);
    let res = app
        .http
        .get(app.url(&format!("/flows?access_token={bearer}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["flowdock-user"], ann.id.to_string().as_str());
    // A JSON request with Accept: application/json gets JSON.
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .header("accept", "application/json")
        .json(&json!({
            "grant_type": "password", "client_id": dev.client_id,
            "client_secret": dev.client_secret, "username": ann.email, "password": ann.password,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["scope"], "flow private");
    // Wrong password, unknown grant, no client.
    let wrong = [
        ("username", ann.email.as_str()),
        ("password", "wrong-password"),
    ];
    let (status, body) =
        token_request(&app, &[grant("password", &dev), wrong.to_vec()].concat()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = token_request(&app, &grant("client_credentials", &dev)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("username", &ann.email),
            ("password", &ann.password),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

async fn scopes_are_enforced_per_endpoint(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, flow) = app.ann_in_main().await;
    let dev = register(&app, &ann, CALLBACK).await;
    let token = |scope: &'static str| {
        let (app, dev, ann) = (&app, &dev, &ann);
        async move {
            let login = [
                ("username", ann.email.as_str()),
                ("password", &ann.password),
                ("scope", scope),
            ];
            let (_, body) =
                token_request(app, &[grant("password", dev), login.to_vec()].concat()).await;
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    // `profile` alone reads the profile but no flow.
    let profile = app.sdk().with_bearer(token("profile").await);
    assert_eq!(profile.users().me().await.unwrap().id, ann.id);
    let err = profile.flows().list(false).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.to_string().contains("flow"), "{err}");
    // `flow` without `integration`: the flow lists sources as GET only, and POST is 403.
    let flow_only = token("flow").await;
    let found = app
        .sdk()
        .with_bearer(&flow_only)
        .flows()
        .find(&flow.id)
        .await
        .unwrap();
    assert_eq!(found.links["sources"].methods, vec!["GET"]);
    let err = app
        .sdk()
        .with_bearer(&flow_only)
        .sources()
        .create("acme", "main", &new_source("x"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.to_string().contains("integration"), "{err}");
    // `profile integration`, as the example app asks: it may find the flow and add a source.
    let integration = app.sdk().with_bearer(token("profile integration").await);
    integration.flows().find(&flow.id).await.unwrap();
    let created = integration
        .sources()
        .create("acme", "main", &new_source("Polls"))
        .await
        .unwrap();
    assert!(created.flow_token.is_some());
    // Application secrets need `manage`.
    let err = integration.applications().list().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
}
