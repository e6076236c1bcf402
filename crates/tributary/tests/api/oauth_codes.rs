//! The token endpoint's answers to bad codes: wrong redirect URI, wrong secret, expired,
//! replayed (its tokens revoked), and PKCE mismatches.

use oauth2::basic::BasicErrorResponseType;
use oauth2::{
    AuthorizationCode, ClientSecret, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    TokenResponse,
};

use crate::backend_tests;
use crate::browser::{location, query_param};
use crate::helpers::{Backend, TestApp};
use crate::oauth::{
    approve, grant, oauth_client, oauth_http, register, signed_in, status_of_user, token_request,
    CALLBACK,
};

backend_tests!(
    a_wrong_redirect_uri_is_refused_at_both_ends,
    a_wrong_client_secret_is_invalid_client,
    an_expired_code_is_refused,
    a_replayed_code_revokes_the_tokens_issued_from_it,
    pkce_mismatch_and_downgrade_are_refused,
);

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
    let verifier = "v".repeat(43);
    let pkce = [
        ("code", code.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, body) = token_request(
        &app,
        &[grant("authorization_code", &dev), pkce.to_vec()].concat(),
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
