//! The OAuth 2.0 provider (docs/authentication.md, DESIGN §6): the authorization-code flow
//! driven by the `oauth2` crate through real login and consent form posts, and every
//! negative case of issue 4.

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use serde_json::{json, Value};
use tributary::store::AppRecord;
use tributary_types::{AccessMode, CreateSource, UpdateSource};

use crate::backend_tests;
use crate::browser::{location, query_param, Browser};
use crate::helpers::{Backend, TestApp, TestUser};

backend_tests!(
    an_integration_runs_the_whole_authorization_code_flow,
    a_wrong_redirect_uri_is_refused_at_both_ends,
    a_wrong_client_secret_is_invalid_client,
    an_expired_code_is_refused,
    a_replayed_code_revokes_the_tokens_issued_from_it,
    pkce_mismatch_and_downgrade_are_refused,
    deny_and_state_go_back_to_the_client,
    out_of_band_clients_read_the_code_from_a_page,
    refresh_needs_offline_access_and_rotates,
    a_reused_refresh_token_revokes_its_family,
    revoked_tokens_stop_working,
    the_password_grant_works_for_scripts,
    scopes_are_enforced_per_endpoint,
);

pub type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub const CALLBACK: &str = "http://127.0.0.1:9/auth/flowdock/callback";

/// A developer application owned by `owner`, registered through the domain API.
pub async fn register(app: &TestApp, owner: &TestUser, redirect_uri: &str) -> AppRecord {
    tributary::apps::create_app(
        &app.store,
        tributary::apps::CreateApp {
            owner_email: owner.email.clone(),
            name: "Polldock".into(),
            icon_url: Some("https://icons.example/poll.png".into()),
            redirect_uri: redirect_uri.into(),
            setup_uri: Some(
                "http://127.0.0.1:9/flowdock/setup?flow={flow_id}&flow_url={flow_url}".into(),
            ),
            configuration_uri: Some(
                "http://127.0.0.1:9/flowdock/configure?source={source_id}&source_url={source_url}"
                    .into(),
            ),
            published: false,
        },
    )
    .await
    .expect("register application")
}

pub fn oauth_client(app: &TestApp, dev: &AppRecord) -> OAuthClient {
    BasicClient::new(ClientId::new(dev.client_id.clone()))
        .set_client_secret(ClientSecret::new(dev.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(dev.redirect_uri.clone()).unwrap())
}

/// The HTTP client the `oauth2` crate uses; redirects off, as its docs advise.
pub fn oauth_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs the browser half: authorize with `scopes` and PKCE, approve, and return the code,
/// its verifier and the consent page.
pub async fn approve(
    browser: &Browser,
    client: &OAuthClient,
    scopes: &[&str],
) -> (String, PkceCodeVerifier, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for s in scopes {
        req = req.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, state) = req.url();
    let (page, back) = browser.consent(url.as_str(), "approve").await;
    assert!(back.starts_with(CALLBACK), "{back}");
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = query_param(&back, "code").expect("a code");
    (code, verifier, page)
}

async fn signed_in(app: &TestApp, user: &TestUser) -> Browser {
    let browser = Browser::new(app);
    browser.login(user).await;
    browser
}

async fn status_of_user(app: &TestApp, bearer: &str) -> u16 {
    app.http
        .get(app.url("/user"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn an_integration_runs_the_whole_authorization_code_flow(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    let flow = app
        .flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;

    // Step 2: Tributary sends the user to the app's setup endpoint with the flow.
    let res = browser
        .get(&format!("/flows/acme/main/integrations/new?app={}", dev.id))
        .await;
    let setup = location(&res);
    assert!(
        setup.starts_with("http://127.0.0.1:9/flowdock/setup?"),
        "{setup}"
    );
    assert_eq!(
        query_param(&setup, "flow").as_deref(),
        Some(flow.id.as_str())
    );
    let flow_url = query_param(&setup, "flow_url").unwrap();
    assert_eq!(flow_url, app.url("/flows/acme/main"));

    // Step 3: the app authorizes with the oauth2 crate; the user logs in and consents.
    let client = oauth_client(&app, &dev);
    let (code, verifier, page) = approve(&browser, &client, &["flow", "integration"]).await;
    assert!(page.contains("Polldock"));
    assert!(page.contains("Add integrations (sources) to your flows"));
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http())
        .await
        .expect("the code exchanges for a token");
    assert!(
        token.refresh_token().is_none(),
        "no offline_access, no refresh token"
    );
    let granted: Vec<_> = token
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(granted, vec!["flow", "integration"]);
    let bearer = token.access_token().secret().clone();

    // Step 4: find the flow, follow links.sources, create the source.
    let api = app.sdk().with_bearer(&bearer);
    let found = api.flows().find(&flow.id).await.unwrap();
    let sources = &found.links["sources"];
    assert_eq!(sources.methods, vec!["GET", "POST"]);
    let res = app
        .http
        .post(&sources.href)
        .bearer_auth(&bearer)
        .json(&json!({"name": "All polls", "external_url": "https://polls.example/all"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["flowdock-user"], ann.id.to_string().as_str());
    let source: Value = res.json().await.unwrap();
    let flow_token = source["flow_token"]
        .as_str()
        .expect("flow_token")
        .to_owned();
    assert_eq!(source["name"], "All polls");
    assert_eq!(source["application"]["id"], json!(dev.id));
    assert_eq!(
        source["application"]["configuration_uri"],
        json!(dev.configuration_uri)
    );
    assert_eq!(source["creator"]["id"], json!(ann.id));
    let id = source["id"].as_i64().unwrap();
    assert_eq!(source["url"], format!("{flow_url}/sources/{id}"));

    // The token appears only in the creation answer.
    let listed = api.sources().list_in_flow("acme", "main").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].flow_token.is_none());

    // Additional steps: report a problem with the flow_token, then clear it.
    let sdk = app.sdk();
    let updated = sdk
        .sources()
        .update_with_token(
            &flow_token,
            &UpdateSource {
                error_message: Some("Reconnect your poll account".into()),
                configuration_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        updated.error_message.as_deref(),
        Some("Reconnect your poll account")
    );
    let cleared = sdk
        .sources()
        .update_with_token(
            &flow_token,
            &UpdateSource {
                error_message: Some(String::new()),
                configuration_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.error_message, None);

    // Remove the integration: 204, then its token is gone.
    api.sources().delete("acme", "main", id).await.unwrap();
    let err = sdk
        .sources()
        .update_with_token(&flow_token, &UpdateSource::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(410));
    assert!(matches!(err, tributary_sdk::Error::SourceGone { ref reason } if reason == "removed"));
}

async fn a_wrong_redirect_uri_is_refused_at_both_ends(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;
    // At the authorization endpoint: an error page, never a redirect to the stranger.
    let res = browser
        .get(&format!(
            "/oauth/authorize?client_id={}&response_type=code&redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
            dev.client_id
        ))
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("redirect_uri does not match"));
    // At the token endpoint: a code bound to the callback does not exchange for another URI.
    let client = oauth_client(&app, &dev);
    let (code, verifier, _) = approve(&browser, &client, &[]).await;
    let err = oauth_client(&app, &dev)
        .set_redirect_uri(RedirectUrl::new("http://127.0.0.1:9/other".into()).unwrap())
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http())
        .await
        .unwrap_err();
    match err {
        RequestTokenError::ServerResponse(e) => {
            assert_eq!(*e.error(), BasicErrorResponseType::InvalidGrant)
        }
        other => panic!("invalid_grant expected, got {other:?}"),
    }
}

async fn a_wrong_client_secret_is_invalid_client(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;
    let (code, verifier, _) = approve(&browser, &oauth_client(&app, &dev), &[]).await;
    let err = oauth_client(&app, &dev)
        .set_client_secret(ClientSecret::new("not-the-secret".into()))
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.secret().clone()))
        .request_async(&oauth_http())
        .await
        .unwrap_err();
    match err {
        RequestTokenError::ServerResponse(e) => {
            assert_eq!(*e.error(), BasicErrorResponseType::InvalidClient)
        }
        other => panic!("invalid_client expected, got {other:?}"),
    }
    // The same with the secret in the body (client_secret_post): 401 and the RFC shape.
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &dev.client_id),
            ("client_secret", "nope"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    // The failed attempts did not burn the code: the real client still redeems it.
    oauth_client(&app, &dev)
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http())
        .await
        .expect("the right secret works");
}

async fn an_expired_code_is_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    // A code issued eleven minutes ago, written the way the consent page writes codes.
    let code = "0123456789abcdef0123456789abcdef";
    app.store
        .create_oauth_code(tributary::store::NewOAuthCode {
            code_hash: tributary::secrets::hash_token(code),
            app_id: dev.id,
            user_id: ann.id,
            redirect_uri: None,
            scopes: 3,
            code_challenge: None,
            flow_id: None,
            expires_at: tributary::store::now_millis() - 60_000,
        })
        .await
        .unwrap();
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("code", code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

async fn a_replayed_code_revokes_the_tokens_issued_from_it(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;
    let client = oauth_client(&app, &dev);
    let (code, verifier, _) = approve(&browser, &client, &["flow", "offline_access"]).await;
    let verifier_text = verifier.secret().clone();
    let first = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .set_pkce_verifier(verifier)
        .request_async(&oauth_http())
        .await
        .unwrap();
    let bearer = first.access_token().secret().clone();
    assert_eq!(status_of_user(&app, &bearer).await, 200);
    let replay = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier_text))
        .request_async(&oauth_http())
        .await
        .unwrap_err();
    assert!(matches!(replay, RequestTokenError::ServerResponse(ref e)
        if *e.error() == BasicErrorResponseType::InvalidGrant));
    assert_eq!(
        status_of_user(&app, &bearer).await,
        401,
        "the replay revoked the token"
    );
    let refresh = client
        .exchange_refresh_token(first.refresh_token().unwrap())
        .request_async(&oauth_http())
        .await;
    assert!(refresh.is_err(), "and its refresh token");
}

async fn pkce_mismatch_and_downgrade_are_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;
    let client = oauth_client(&app, &dev);
    let (code, verifier, _) = approve(&browser, &client, &[]).await;
    let base = [
        ("grant_type", "authorization_code"),
        ("client_id", dev.client_id.as_str()),
        ("client_secret", dev.client_secret.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
    ];
    let other = PkceCodeVerifier::new("x".repeat(50));
    for extra in [vec![("code_verifier", other.secret().as_str())], vec![]] {
        let mut form = base.to_vec();
        form.extend(extra);
        let (status, body) = token_request(&app, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
        let why = body["error_description"].as_str().unwrap();
        assert!(why.contains("code_verifier"), "{why}");
    }
    // A wrong verifier does not burn the code for the real client.
    let mut form = base.to_vec();
    form.push(("code_verifier", verifier.secret()));
    assert_eq!(token_request(&app, &form).await.0, 200);

    // `plain` is refused at the authorization endpoint, back at the client.
    let url = format!(
        "/oauth/authorize?client_id={}&response_type=code&state=s1&code_challenge={}&code_challenge_method=plain",
        dev.client_id,
        "a".repeat(43)
    );
    let back = location(&browser.get(&url).await);
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("s1"));

    // A verifier for a code that had no challenge is a downgrade: refused.
    let (_, no_pkce) = browser
        .consent(
            &format!(
                "/oauth/authorize?client_id={}&response_type=code",
                dev.client_id
            ),
            "approve",
        )
        .await;
    let code = query_param(&no_pkce, "code").unwrap();
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("code", &code),
            ("code_verifier", &"v".repeat(43)),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("no code_challenge"));
}

async fn deny_and_state_go_back_to_the_client(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, CALLBACK).await;
    let browser = signed_in(&app, &ann).await;
    // No redirect_uri: the registered one is used.
    let url = format!(
        "/oauth/authorize?client_id={}&response_type=code&state=xyz%20123",
        dev.client_id
    );
    let (_, back) = browser.consent(&url, "deny").await;
    assert!(back.starts_with(CALLBACK));
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("xyz 123"));
    assert_eq!(query_param(&back, "code"), None);
    // An unknown scope goes back as invalid_scope.
    let back = location(
        &browser
            .get(&format!(
                "/oauth/authorize?client_id={}&response_type=code&scope=flow%20root&state=q",
                dev.client_id
            ))
            .await,
    );
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_scope")
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some("q"));
    // Not signed in: the login page first, then back to the same request.
    let stranger = Browser::new(&app);
    let res = stranger.get(&url).await;
    let login = location(&res);
    assert!(
        login.starts_with("/login?return_to=%2Foauth%2Fauthorize"),
        "{login}"
    );
}

async fn out_of_band_clients_read_the_code_from_a_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let dev = register(&app, &ann, "urn:ietf:wg:oauth:2.0:oob").await;
    let browser = signed_in(&app, &ann).await;
    let url = format!(
        "/oauth/authorize?client_id={}&response_type=code&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob",
        dev.client_id
    );
    let (_, back) = browser.consent(&url, "approve").await;
    let prefix = app.url("/oauth/authorize/");
    assert!(back.starts_with(&prefix), "{back}");
    let code = back[prefix.len()..].to_owned();
    let page = browser.page(&back).await;
    assert_eq!(crate::browser::by_id(&page, "code"), code);
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("code", &code),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "flow private", "the default scopes");
}

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
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    let dev = register(&app, &ann, "urn:ietf:wg:oauth:2.0:oob").await;
    // Form-encoded request, form-encoded answer by default (docs/authentication.md).
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
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "password"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
            ("username", &ann.email),
            ("password", "wrong-password"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, body) = token_request(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &dev.client_id),
            ("client_secret", &dev.client_secret),
        ],
    )
    .await;
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
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    let flow = app
        .flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    let dev = register(&app, &ann, CALLBACK).await;
    let token = |scope: &'static str| {
        let (app, dev, ann) = (&app, &dev, &ann);
        async move {
            let (_, body) = token_request(
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
        .create(
            "acme",
            "main",
            &CreateSource {
                name: "x".into(),
                external_url: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert!(err.to_string().contains("integration"), "{err}");
    // `profile integration`, as the example app asks: it may find the flow and add a source.
    let integration = app.sdk().with_bearer(token("profile integration").await);
    integration.flows().find(&flow.id).await.unwrap();
    let created = integration
        .sources()
        .create(
            "acme",
            "main",
            &CreateSource {
                name: "Polls".into(),
                external_url: None,
            },
        )
        .await
        .unwrap();
    assert!(created.flow_token.is_some());
    // Application secrets need `manage`.
    let err = integration.applications().list().await.unwrap_err();
    assert_eq!(err.status(), Some(403));
}
