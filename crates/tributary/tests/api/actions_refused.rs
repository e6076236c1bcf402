//! Thread actions that are refused: private targets without the operator's permission, outsiders, unknown threads and removed sources (issue 9).

use crate::actions::{click, setup};
use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    private_targets_need_the_operators_permission,
    actions_of_removed_sources_and_other_flows_are_refused,
);

async fn private_targets_need_the_operators_permission(b: Backend) {
    let app = TestApp::spawn_with(b, |state| state.actions.allow_private_targets = false).await;
    let s = setup(app).await;
    let (status, result) = click(&s, &s.ann, "1").await;
    assert_eq!(status, 200);
    assert_eq!(result["outcome"], "refused");
    assert!(
        result["message"].as_str().unwrap().contains("127.0.0.1"),
        "{result}"
    );
    assert!(s.seen.lock().unwrap().is_empty(), "nothing was sent");
    let attempts = s
        .app
        .store
        .action_attempts_of_source(s.source_id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].attempt.status, None);
    assert_eq!(
        attempts[0].attempt.outcome,
        tributary::store::ActionOutcome::Refused
    );
}

async fn actions_of_removed_sources_and_other_flows_are_refused(b: Backend) {
    let s = setup(TestApp::spawn(b).await).await;
    let eve = s.app.user("eve").await;
    assert_eq!(click(&s, &eve, "1").await.0, 404, "eve cannot see the flow");
    let res = s
        .app
        .http
        .post(
            s.app
                .url("/flows/acme/main/threads/no-such-thread/actions/1"),
        )
        .basic_auth(&s.ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    tributary::sources::remove_source(&s.app.store, s.source_id, "removed")
        .await
        .unwrap();
    let (status, body) = click(&s, &s.ann, "1").await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["reason"], "removed");
    assert!(s.seen.lock().unwrap().is_empty());
    // And the integration learns of it from its next post.
    assert!(matches!(
        s.integration.clear_error().await,
        Err(tributary_sdk::Error::SourceGone { .. })
    ));
    let _ = &s.dev;
}
