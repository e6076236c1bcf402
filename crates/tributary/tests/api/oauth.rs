//! The OAuth 2.0 provider (flowdock/api-docs docs/authentication.md, DESIGN §6): the authorization-code flow
//! driven by the `oauth2` crate through real login and consent form posts, and every
//! negative case of issue 4.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde_json::{json, Value};
use tributary::store::AppRecord;
use tributary_types::UpdateSource;

use crate::backend_tests;
use crate::browser::{location, query_param, Browser};
use crate::helpers::{Backend, TestApp, TestUser};

backend_tests!(
    an_integration_runs_the_whole_authorization_code_flow,
    deny_and_state_go_back_to_the_client,
    out_of_band_clients_read_the_code_from_a_page,
);

pub(crate) type OAuthClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub(crate) const CALLBACK: &str = "http://127.0.0.1:9/auth/flowdock/callback";

/// A developer application owned by `owner`, registered through the domain API.
pub(crate) async fn register(app: &TestApp, owner: &TestUser, redirect_uri: &str) -> AppRecord {
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
            // The tests' scripts use the password grant, which an admin allows (issue 15).
            password_grant: true,
        },
    )
    .await
    .expect("register application")
}

pub(crate) fn oauth_client(app: &TestApp, dev: &AppRecord) -> OAuthClient {
    BasicClient::new(ClientId::new(dev.client_id.clone()))
        .set_client_secret(ClientSecret::new(dev.client_secret.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(dev.redirect_uri.clone()).unwrap())
}

/// The HTTP client the `oauth2` crate uses; redirects off, as its docs advise.
pub(crate) fn oauth_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs the browser half: authorize with `scopes` and PKCE, approve, and return the code,
/// its verifier and the consent page.
pub(crate) async fn approve(
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

pub(crate) async fn signed_in(app: &TestApp, user: &TestUser) -> Browser {
    let browser = Browser::new(app);
    browser.login(user).await;
    browser
}

pub(crate) async fn status_of_user(app: &TestApp, bearer: &str) -> u16 {
    app.http
        .get(app.url("/user"))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub(crate) async fn token_request(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
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

/// A token request's first fields: the grant type `kind` and `dev`'s client credentials.
pub(crate) fn grant<'a>(kind: &'a str, dev: &'a AppRecord) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", kind),
        ("client_id", &dev.client_id),
        ("client_secret", &dev.client_secret),
    ]
}

async fn an_integration_runs_the_whole_authorization_code_flow(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, flow) = app.ann_in_main().await;
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

    // Creating the source announced it in the team inbox, posted as the source itself.
    let ann_name = ann.client.users().me().await.unwrap().name;
    let filter = tributary_sdk::MessageFilter {
        event: Some("activity".into()),
        ..Default::default()
    };
    let inbox = api.messages().list("acme", "main", &filter).await.unwrap();
    assert_eq!(inbox.len(), 1, "one 'new integration' item");
    let item = serde_json::to_value(&inbox[0]).unwrap();
    assert_eq!(item["user"], "0");
    let title = item["thread"]["title"].as_str().unwrap();
    assert!(
        title.contains(&dev.name) && title.contains("All polls"),
        "{title}"
    );
    assert!(
        item["thread"]["body"].as_str().unwrap().contains(&ann_name),
        "{item}"
    );
    assert_eq!(item["thread"]["source"]["id"], json!(id));

    // Step 5: post to the team inbox with the flow_token, exactly as the guide shows.
    let res = app
        .http
        .post(app.url("/messages"))
        .json(&json!({
            "flow_token": flow_token,
            "event": "activity",
            "author": {"name": "anttipitkanen", "avatar": "https://avatars.example/u/946511"},
            "title": "Opened pull request",
            "external_thread_id": "github:component:pr:42",
            "thread": {
                "title": "Fix bug in thread API",
                "body": "Body with <b>HTML</b> formatting",
                "external_url": "https://github.example/flowdock/component/pull/42",
                "status": {"color": "green", "value": "open"}
            }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));
    let inbox = api.messages().list("acme", "main", &filter).await.unwrap();
    let posted = serde_json::to_value(inbox.last().unwrap()).unwrap();
    assert_eq!(posted["title"], "Opened pull request");
    assert_eq!(
        posted["thread"]["status"],
        json!({"color": "green", "value": "open"})
    );
    assert_eq!(posted["external_thread_id"], "github:component:pr:42");

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
    let oob = [
        ("code", code.as_str()),
        ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
    ];
    let (status, body) = token_request(
        &app,
        &[grant("authorization_code", &dev), oob.to_vec()].concat(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "flow private", "the default scopes");
}
