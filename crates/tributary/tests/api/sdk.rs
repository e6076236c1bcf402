//! The SDK against the real server (issue 9): OAuth through `tributary_sdk::oauth` (state,
//! PKCE, code exchange, refresh with rotation), the source created through the flow's
//! `links.sources`, typed activities and discussions shaping the thread, `set_error` and
//! `clear_error`, and the typed errors an integration acts on.

use tributary_sdk::oauth::OAuth;
use tributary_sdk::thread::{Action, Activity, Author, Discussion, StatusColor, Thread};
use tributary_sdk::types::CreateSource;
use tributary_sdk::{Error, Integration};

use crate::backend_tests;
use crate::browser::{query_param, Browser};
use crate::helpers::{Backend, TestApp};
use crate::oauth::{register, CALLBACK};

backend_tests!(
    oauth_authorizes_exchanges_and_refreshes,
    typed_messages_shape_the_thread_and_errors_are_typed,
);

async fn oauth_authorizes_exchanges_and_refreshes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, flow) = app.ann_in_main().await;
    let dev = register(&app, &ann, CALLBACK).await;
    let oauth = OAuth::new(&app.base_url, &dev.client_id, &dev.client_secret, CALLBACK).unwrap();
    let browser = Browser::new(&app);
    browser.login(&ann).await;

    let request = oauth.authorize_with(
        &["flow", "integration", "offline_access"],
        &[("flow", flow.id.as_str())],
    );
    let (consent, back) = browser.consent(&request.url, "approve").await;
    assert!(consent.contains("Main"), "the consent page names the flow");
    let state = query_param(&back, "state").unwrap();
    assert!(request.state_matches(&state));
    let code = query_param(&back, "code").unwrap();

    // A wrong verifier is refused with the RFC 6749 error, and does not burn the code.
    match oauth
        .exchange_code(&code, "wrong-verifier-wrong-verifier-wrong-verifier")
        .await
    {
        Err(Error::OAuth { error, .. }) => assert_eq!(error, "invalid_grant"),
        other => panic!("expected invalid_grant, got {other:?}"),
    }
    let tokens = oauth
        .exchange_code(&code, &request.pkce_verifier)
        .await
        .unwrap();
    assert_eq!(tokens.scopes, vec!["flow", "offline_access", "integration"]);
    assert_eq!(
        tokens.expires_in,
        Some(std::time::Duration::from_secs(7200))
    );
    let refresh = tokens
        .refresh_token
        .clone()
        .expect("offline_access brings one");

    // The token works: find the flow and create a source through its links.
    let api = oauth.client(&tokens);
    let found = api.flows().find(&flow.id).await.unwrap();
    let source = api
        .sources()
        .create_in(
            &found,
            &CreateSource {
                name: "Polls".into(),
                external_url: None,
            },
        )
        .await
        .unwrap();
    assert!(source.flow_token.is_some());
    assert_eq!(source.application.id, dev.id);

    // Refresh rotates; the old refresh token is spent.
    let fresh = oauth.refresh(&refresh).await.unwrap();
    assert_ne!(fresh.access_token, tokens.access_token);
    assert_ne!(fresh.refresh_token.as_deref(), Some(refresh.as_str()));
    assert_eq!(oauth.client(&fresh).users().me().await.unwrap().id, ann.id);
    assert!(matches!(
        oauth.refresh(&refresh).await,
        Err(Error::OAuth { .. })
    ));
}

async fn typed_messages_shape_the_thread_and_errors_are_typed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, flow) = app.ann_in_main().await;
    let dev = register(&app, &ann, CALLBACK).await;
    let (source, token) = crate::messaging::source(&app, &flow, &dev, "Polls").await;
    let integration = Integration::new(&app.base_url, &token);

    let thread = Thread::new("Lunch?")
        .body("<p>Where?</p>")
        .external_url("https://polls.example/1")
        .status(StatusColor::Purple, "open")
        .field("Pizza", "2")
        .field("Sushi", "1")
        .action(Action::view("Open", "https://polls.example/1"))
        .action(Action::update(
            "Vote: Pizza",
            "https://polls.example/1/vote/1",
        ));
    let posted = integration
        .post_activity_and_wait(&Activity::new(
            "polls:1",
            Author::new("Ann").avatar("https://a.example/ann.png"),
            "created the poll",
            thread.clone(),
        ))
        .await
        .unwrap();
    let t = posted.thread.expect("the thread state");
    assert_eq!(t.external_thread_id.as_deref(), Some("polls:1"));
    assert_eq!(t.status.as_ref().unwrap().color, "purple");
    let fields: Vec<(&str, &str)> = t
        .fields
        .iter()
        .map(|f| (f.label.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(fields, vec![("Pizza", "2"), ("Sushi", "1")]);
    assert_eq!(t.actions[1]["@type"], "UpdateAction");
    assert_eq!(
        t.actions[1]["target"]["urlTemplate"],
        "https://polls.example/1/vote/1"
    );
    assert_eq!(posted.author.unwrap().name, "Ann");

    integration
        .post_discussion(&Discussion::new(
            "polls:1",
            Author::new("Bob"),
            "commented",
            "Sushi!",
            thread.status(StatusColor::Red, "closed"),
        ))
        .await
        .unwrap();
    let t = ann
        .client
        .threads()
        .get("acme", "main", posted.thread_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(t.status.unwrap().color, "red");
    assert_eq!((t.activities, t.external_comments), (1, 1));

    // Field errors are typed, and so is the error message of the source.
    let too_long = Thread::new("x".repeat(1001));
    match integration
        .post_activity(&Activity::new(
            "polls:2",
            Author::new("Ann"),
            "created",
            too_long,
        ))
        .await
    {
        Err(Error::Validation { errors, .. }) => assert!(errors.contains_key("thread.title")),
        other => panic!("expected a validation error, got {other:?}"),
    }
    let shown = integration
        .set_error("Polls cannot be posted")
        .await
        .unwrap();
    assert_eq!(
        shown.error_message.as_deref(),
        Some("Polls cannot be posted")
    );
    assert_eq!(
        integration.source().await.unwrap().error_message.as_deref(),
        Some("Polls cannot be posted")
    );
    assert_eq!(integration.clear_error().await.unwrap().error_message, None);

    // Removed: every call says so, with the reason.
    tributary::sources::remove_source(&app.store, source.id, "removed")
        .await
        .unwrap();
    match integration
        .post_activity(&Activity::new(
            "polls:1",
            Author::new("Ann"),
            "x",
            Thread::new("x"),
        ))
        .await
    {
        Err(Error::SourceGone { reason }) => assert_eq!(reason, "removed"),
        other => panic!("expected SourceGone, got {other:?}"),
    }
    assert!(matches!(
        integration.set_error("x").await,
        Err(Error::SourceGone { .. })
    ));
}
