//! The conformance suite's cases for developer applications and sources, the records a
//! `flow_token` resolves to: the same cases against the SQLite and PostgreSQL backends.

use tributary::store::*;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_app, new_flow, new_user, org, store};

backend_tests!(
    sources_are_found_by_token_and_removal_keeps_the_first_reason,
    apps_need_an_owner,
    the_password_grant_is_off_until_an_admin_allows_it,
);

/// The user a@x.io, in the organization Acme, a member of its flow `f` (main).
async fn owner_of_flow_f(s: &DynStore) -> UserRecord {
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let o = org(s, "Acme").await;
    s.create_flow(
        new_flow("f", o.id, "main", AccessMode::Invitation),
        Some(a.id),
    )
    .await
    .unwrap();
    a
}

async fn sources_are_found_by_token_and_removal_keeps_the_first_reason(b: Backend) {
    let (_db, s) = store(b).await;
    let a = owner_of_flow_f(&s).await;
    let app = s
        .create_app(NewApp {
            setup_uri: Some("http://localhost/setup".into()),
            ..new_app(a.id, "App")
        })
        .await
        .unwrap();
    assert_eq!(s.app_by_id(app.id).await.unwrap(), Some(app.clone()));
    let new_source = |hash: &str| NewSource {
        flow_id: "f".into(),
        app_id: app.id,
        creator_id: Some(a.id),
        name: "repo".into(),
        external_url: Some("https://example.com/repo".into()),
        flow_token_hash: hash.into(),
    };
    let src = s.create_source(new_source("tokhash")).await.unwrap();
    assert_eq!(
        (src.flow_id.as_str(), src.app_id, src.creator_id),
        ("f", app.id, Some(a.id))
    );
    assert_eq!((src.removed_at, src.error_message.clone()), (None, None));
    assert_eq!(
        s.source_by_token_hash("tokhash").await.unwrap(),
        Some(src.clone())
    );
    assert_eq!(s.source_by_id(src.id).await.unwrap(), Some(src.clone()));
    assert_eq!(s.source_by_token_hash("other").await.unwrap(), None);
    // A post's one read: the same source, its application and its flow, column for column.
    let context = s
        .source_context_by_token_hash("tokhash")
        .await
        .unwrap()
        .expect("the token's source");
    assert_eq!(context.source, src);
    assert_eq!(context.app, app);
    assert_eq!(Some(context.flow), s.flow_by_id("f").await.unwrap());
    assert_eq!(s.source_context_by_token_hash("other").await.unwrap(), None);

    let removed = s.remove_source(src.id, "removed").await.unwrap();
    assert!(removed.removed_at.is_some());
    assert_eq!(removed.removal_reason.as_deref(), Some("removed"));
    let again = s.remove_source(src.id, "flow_deleted").await.unwrap();
    assert_eq!(
        (again.removed_at, again.removal_reason),
        (removed.removed_at, Some("removed".into()))
    );
    assert!(s
        .source_by_token_hash("tokhash")
        .await
        .unwrap()
        .unwrap()
        .removed_at
        .is_some());
    // Removed sources are still found, so that their token is answered 410, not 401.
    assert_eq!(
        s.source_context_by_token_hash("tokhash")
            .await
            .unwrap()
            .map(|c| c.source.removal_reason),
        Some(Some("removed".into()))
    );
    assert!(matches!(
        s.remove_source(src.id + 9, "removed").await,
        Err(StoreError::NotFound(_))
    ));
    let bad = NewSource {
        flow_id: "nope".into(),
        ..new_source("h2")
    };
    assert!(matches!(
        s.create_source(bad).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn apps_need_an_owner(b: Backend) {
    let (_db, s) = store(b).await;
    let res = s
        .create_app(NewApp {
            client_secret: "s".into(),
            published: true,
            ..new_app(4242, "App")
        })
        .await;
    assert!(matches!(res, Err(StoreError::NotFound(_))), "{res:?}");
}

/// Issue 15: the `password_grant` mark (migration 0008) starts off, and every read of an
/// application returns it, the `flow_token` read's join included.
async fn the_password_grant_is_off_until_an_admin_allows_it(b: Backend) {
    let (_db, s) = store(b).await;
    let a = owner_of_flow_f(&s).await;
    let app = s.create_app(new_app(a.id, "Script")).await.unwrap();
    assert!(!app.password_grant);
    let allow = |on: bool| AppChanges {
        password_grant: Some(on),
        ..AppChanges::default()
    };
    let marked = s.update_app(app.id, allow(true)).await.unwrap();
    assert!(marked.password_grant);
    assert_eq!(
        (marked.name.as_str(), marked.published),
        ("Script", false),
        "nothing else changes"
    );
    assert_eq!(s.app_by_id(app.id).await.unwrap(), Some(marked.clone()));
    assert_eq!(
        s.app_by_client_id("cid").await.unwrap(),
        Some(marked.clone())
    );
    s.create_source(NewSource {
        flow_id: "f".into(),
        app_id: app.id,
        creator_id: None,
        name: "repo".into(),
        external_url: None,
        flow_token_hash: "tok".into(),
    })
    .await
    .unwrap();
    let context = s
        .source_context_by_token_hash("tok")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(context.app, marked);
    let unmarked = s.update_app(app.id, allow(false)).await.unwrap();
    assert!(!unmarked.password_grant);
    // Other changes leave the mark alone.
    s.update_app(app.id, allow(true)).await.unwrap();
    let renamed = s
        .update_app(
            app.id,
            AppChanges {
                name: Some("Script 2".into()),
                ..AppChanges::default()
            },
        )
        .await
        .unwrap();
    assert!(renamed.password_grant);
}

mod flow_token {
    use tributary::error::ApiError;

    use crate::helpers::{Backend, TestApp};

    crate::backend_tests!(a_removed_sources_token_is_gone_and_an_unknown_one_unauthorized);

    async fn a_removed_sources_token_is_gone_and_an_unknown_one_unauthorized(b: Backend) {
        let app = TestApp::spawn(b).await;
        let (ann, _, flow) = app.ann_in_main().await;
        let hook = tributary::apps::create_app(
            &app.store,
            tributary::apps::CreateApp {
                owner_email: ann.email.clone(),
                name: "Hook".into(),
                redirect_uri: "http://127.0.0.1:9/cb".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let (src, token) = tributary::sources::create_source(
            &app.store,
            &flow,
            hook.id,
            Some(ann.id),
            "repo",
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            tributary::auth::flow_token::source_for_token(&app.store, &token)
                .await
                .unwrap()
                .id,
            src.id
        );
        // The one read a post makes answers the same way.
        let context = tributary::auth::flow_token::source_context_for_token(&app.store, &token)
            .await
            .unwrap();
        assert_eq!((context.source.id, context.app.id), (src.id, hook.id));
        assert_eq!(context.flow.id, flow.id);
        let unknown = tributary::auth::flow_token::source_for_token(&app.store, "0000")
            .await
            .unwrap_err();
        assert!(matches!(unknown, ApiError::Unauthorized(_)), "{unknown:?}");
        tributary::sources::remove_source(&app.store, src.id, "flow_deleted")
            .await
            .unwrap();
        match tributary::auth::flow_token::source_for_token(&app.store, &token)
            .await
            .unwrap_err()
        {
            ApiError::Gone { reason, .. } => assert_eq!(reason, "flow_deleted"),
            other => panic!("expected 410, got {other:?}"),
        }
        match tributary::auth::flow_token::source_context_for_token(&app.store, &token)
            .await
            .unwrap_err()
        {
            ApiError::Gone { reason, .. } => assert_eq!(reason, "flow_deleted"),
            other => panic!("expected 410, got {other:?}"),
        }
    }
}
