//! Store conformance for issue 4: OAuth codes and token families, sessions, the admin flag,
//! and the application and source updates, identical on SQLite and PostgreSQL.

use tributary::store::*;

use crate::backend_tests;
use crate::helpers::{Backend, TestDb};
use crate::store_conformance::{new_app, org};

backend_tests!(
    a_code_redeems_once_and_a_replay_revokes_its_family,
    rotation_happens_once_and_reuse_revokes_the_family,
    sessions_expire_and_end,
    app_and_source_updates_leave_clear_or_set,
);

async fn setup(b: Backend) -> (TestDb, DynStore, i64, i64) {
    let db = TestDb::new(b).await;
    let store = db.connect().await;
    let user = store
        .create_user(NewUser {
            email: "ann@example.com".into(),
            name: "Ann".into(),
            nick: "ann".into(),
            avatar: String::new(),
            website: None,
            password_hash: None,
            api_token_hash: "h-ann".into(),
        })
        .await
        .unwrap();
    let app = store
        .create_app(NewApp {
            icon_url: Some("https://i.example/a.png".into()),
            redirect_uri: "https://a.example/cb".into(),
            setup_uri: Some("https://a.example/setup".into()),
            ..new_app(user.id, "App")
        })
        .await
        .unwrap();
    (db, store, user.id, app.id)
}

fn token(
    app_id: i64,
    user_id: i64,
    family: &str,
    access: &str,
    refresh: Option<&str>,
) -> NewOAuthToken {
    NewOAuthToken {
        app_id,
        user_id,
        scopes: 3,
        family: family.into(),
        access_token_hash: access.into(),
        refresh_token_hash: refresh.map(str::to_owned),
        access_expires_at: now_millis() + 60_000,
    }
}

async fn a_code_redeems_once_and_a_replay_revokes_its_family(b: Backend) {
    let (_db, store, user, app) = setup(b).await;
    store
        .create_oauth_code(NewOAuthCode {
            code_hash: "code-1".into(),
            app_id: app,
            user_id: user,
            redirect_uri: None,
            scopes: 3,
            code_challenge: Some("c".repeat(43)),
            flow_id: None,
            expires_at: now_millis() + 60_000,
        })
        .await
        .unwrap();
    let code = store.oauth_code_by_hash("code-1").await.unwrap().unwrap();
    assert_eq!(
        (code.used_at, code.code_challenge.map(|c| c.len())),
        (None, Some(43))
    );
    let issued = store
        .redeem_oauth_code("code-1", token(app, user, "code-1", "a1", None))
        .await
        .unwrap()
        .expect("the first redemption issues");
    assert!(!issued.has_refresh);
    assert!(store
        .oauth_code_by_hash("code-1")
        .await
        .unwrap()
        .unwrap()
        .used_at
        .is_some());
    let replay = store
        .redeem_oauth_code("code-1", token(app, user, "code-1", "a2", None))
        .await
        .unwrap();
    assert!(replay.is_none());
    let first = store
        .oauth_token_by_access_hash("a1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.revoke_reason.as_deref(), Some("code_replayed"));
    assert!(store
        .oauth_token_by_access_hash("a2")
        .await
        .unwrap()
        .is_none());
}

async fn rotation_happens_once_and_reuse_revokes_the_family(b: Backend) {
    let (_db, store, user, app) = setup(b).await;
    let first = store
        .create_oauth_token(token(app, user, "fam", "a1", Some("r1")))
        .await
        .unwrap();
    assert!(first.has_refresh);
    assert_eq!(
        store
            .oauth_token_by_refresh_hash("r1")
            .await
            .unwrap()
            .unwrap()
            .id,
        first.id
    );
    let rotated = store
        .rotate_oauth_token(first.id, token(app, user, "fam", "a2", Some("r2")))
        .await
        .unwrap()
        .expect("rotates");
    assert_eq!(rotated.family, "fam");
    let old = store
        .oauth_token_by_access_hash("a1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.revoke_reason.as_deref(), Some("rotated"));
    assert_eq!(
        store.live_oauth_tokens_of_user(user).await.unwrap().len(),
        1
    );
    let reuse = store
        .rotate_oauth_token(first.id, token(app, user, "fam", "a3", Some("r3")))
        .await
        .unwrap();
    assert!(reuse.is_none());
    let second = store
        .oauth_token_by_access_hash("a2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.revoke_reason.as_deref(), Some("refresh_reused"));
    assert!(store
        .live_oauth_tokens_of_user(user)
        .await
        .unwrap()
        .is_empty());
    // A grant revoked by the user takes every token of that app.
    store
        .create_oauth_token(token(app, user, "other", "a4", None))
        .await
        .unwrap();
    store.revoke_oauth_grant(user, app).await.unwrap();
    assert!(store
        .live_oauth_tokens_of_user(user)
        .await
        .unwrap()
        .is_empty());
}

async fn sessions_expire_and_end(b: Backend) {
    let (_db, store, user, _) = setup(b).await;
    assert!(!store.user_is_admin(user).await.unwrap());
    store.set_user_admin(user, true).await.unwrap();
    assert!(store.user_is_admin(user).await.unwrap());
    assert!(matches!(
        store.set_user_admin(424242, true).await,
        Err(StoreError::NotFound(_))
    ));
    store
        .create_web_session("s1", user, now_millis() + 60_000)
        .await
        .unwrap();
    store
        .create_web_session("old", user, now_millis() - 1)
        .await
        .unwrap();
    assert_eq!(
        store.web_session_user("s1").await.unwrap().map(|u| u.id),
        Some(user)
    );
    assert!(store.web_session_user("old").await.unwrap().is_none());
    store.delete_web_session("s1").await.unwrap();
    assert!(store.web_session_user("s1").await.unwrap().is_none());
}

async fn app_and_source_updates_leave_clear_or_set(b: Backend) {
    let (_db, store, user, app) = setup(b).await;
    let changed = store
        .update_app(
            app,
            AppChanges {
                icon_url: Some(None),
                configuration_uri: Some(Some("https://a.example/conf".into())),
                published: Some(true),
                ..AppChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(changed.icon_url, None);
    assert_eq!(
        changed.setup_uri.as_deref(),
        Some("https://a.example/setup")
    );
    assert_eq!(
        changed.configuration_uri.as_deref(),
        Some("https://a.example/conf")
    );
    assert!(changed.published);
    assert_eq!(store.list_apps(true).await.unwrap().len(), 1);
    assert_eq!(
        store.app_by_client_id("cid").await.unwrap().map(|a| a.id),
        Some(app)
    );
    assert_eq!(store.apps_of_owner(user).await.unwrap().len(), 1);
    assert!(matches!(
        store.update_app(424242, AppChanges::default()).await,
        Err(StoreError::NotFound(_))
    ));
    let org = org(&store, "Acme").await;
    let flow = store
        .create_flow(
            NewFlow {
                id: "f-1".into(),
                org_id: org.id,
                name: "Main".into(),
                parameterized_name: "main".into(),
                access_mode: tributary_types::AccessMode::Invitation,
                join_token: "j".into(),
            },
            Some(user),
        )
        .await
        .unwrap();
    let source = store
        .create_source(NewSource {
            flow_id: flow.id.clone(),
            app_id: app,
            creator_id: Some(user),
            name: "S".into(),
            external_url: None,
            flow_token_hash: "t".into(),
        })
        .await
        .unwrap();
    let set = store
        .update_source(
            source.id,
            SourceChanges {
                error_message: Some(Some("broken".into())),
                configuration_url: Some(Some("https://a.example/c".into())),
            },
        )
        .await
        .unwrap();
    assert_eq!(set.error_message.as_deref(), Some("broken"));
    let cleared = store
        .update_source(
            source.id,
            SourceChanges {
                error_message: Some(None),
                configuration_url: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.error_message, None);
    assert_eq!(
        cleared.configuration_url.as_deref(),
        Some("https://a.example/c")
    );
    assert_eq!(store.sources_in_flow(&flow.id).await.unwrap().len(), 1);
    assert_eq!(store.sources_of_member(user).await.unwrap().len(), 1);
    store.remove_source(source.id, "removed").await.unwrap();
    assert!(store.sources_in_flow(&flow.id).await.unwrap().is_empty());
    assert!(store.sources_of_member(user).await.unwrap().is_empty());
}
