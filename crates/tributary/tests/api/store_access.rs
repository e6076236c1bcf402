//! Store conformance for issue 15, point 4: disabling accounts, removing flow members, and the
//! stream sweeper's batched re-read, identical on SQLite and PostgreSQL.

use tributary::store::*;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_app, new_flow, new_user, org, store};

backend_tests!(
    accounts_disable_and_enable,
    members_are_removed_once,
    the_access_report_names_only_what_still_exists,
);

async fn accounts_disable_and_enable(b: Backend) {
    let (_db, s) = store(b).await;
    let u = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    s.set_user_disabled(u.id, true).await.unwrap();
    assert!(s.user_by_id(u.id).await.unwrap().unwrap().disabled);
    s.set_user_disabled(u.id, false).await.unwrap();
    assert!(!s.user_by_id(u.id).await.unwrap().unwrap().disabled);
    assert!(matches!(
        s.set_user_disabled(u.id + 99, true).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn members_are_removed_once(b: Backend) {
    let (_db, s) = store(b).await;
    let u = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let o = org(&s, "Acme").await;
    let f = s
        .create_flow(new_flow("f1", o.id, "main", AccessMode::Invitation), None)
        .await
        .unwrap();
    s.set_flow_member(&f.id, u.id, true).await.unwrap();
    assert!(s.remove_flow_member(&f.id, u.id).await.unwrap());
    assert_eq!(s.flow_membership(&f.id, u.id).await.unwrap(), None);
    assert!(!s.remove_flow_member(&f.id, u.id).await.unwrap());
    assert!(!s.remove_flow_member("nope", u.id).await.unwrap());
}

async fn the_access_report_names_only_what_still_exists(b: Backend) {
    let (_db, s) = store(b).await;
    let mut ann = new_user("ann@x.io", "ann-token");
    ann.password_hash = Some("$argon2id$v=19$...".into());
    let ann = s.create_user(ann).await.unwrap();
    let bob = s
        .create_user(new_user("bob@x.io", "bob-token"))
        .await
        .unwrap();
    let o = org(&s, "Acme").await;
    let main = s
        .create_flow(new_flow("f1", o.id, "main", AccessMode::Invitation), None)
        .await
        .unwrap();
    let old = s
        .create_flow(new_flow("f2", o.id, "old", AccessMode::Invitation), None)
        .await
        .unwrap();
    for f in [&main, &old] {
        s.set_flow_member(&f.id, ann.id, true).await.unwrap();
    }
    s.update_flow(
        &old.id,
        FlowChanges {
            disabled: Some(true),
            ..FlowChanges::default()
        },
    )
    .await
    .unwrap();
    let app = s
        .create_app(NewApp {
            redirect_uri: "https://a.example/cb".into(),
            ..new_app(ann.id, "App")
        })
        .await
        .unwrap();
    let expires = now_millis() + 60_000;
    for access in ["live", "revoked"] {
        s.create_oauth_token(NewOAuthToken {
            app_id: app.id,
            user_id: ann.id,
            scopes: 1,
            family: access.into(),
            access_token_hash: access.into(),
            refresh_token_hash: None,
            access_expires_at: expires,
        })
        .await
        .unwrap();
    }
    let revoked = s.oauth_token_by_access_hash("revoked").await.unwrap();
    s.revoke_oauth_token(revoked.unwrap().id, "revoked_by_client")
        .await
        .unwrap();
    s.create_web_session("session", ann.id, expires)
        .await
        .unwrap();
    s.set_user_disabled(bob.id, true).await.unwrap();

    let report = s
        .stream_access(AccessQuery {
            users: vec![ann.id, bob.id, 4242],
            access_tokens: vec!["live".into(), "revoked".into(), "unknown".into()],
            sessions: vec!["session".into(), "ended".into()],
            memberships: vec![
                (ann.id, main.id.clone()),
                (ann.id, old.id.clone()),
                (bob.id, main.id.clone()),
                (ann.id, "nope".into()),
            ],
        })
        .await
        .unwrap();
    let mut users = report.users.clone();
    users.sort_by_key(|u| u.id);
    assert_eq!(
        users,
        vec![
            UserAccess {
                id: ann.id,
                disabled: false,
                api_token_hash: "ann-token".into(),
                password_hash: Some("$argon2id$v=19$...".into()),
            },
            UserAccess {
                id: bob.id,
                disabled: true,
                api_token_hash: "bob-token".into(),
                password_hash: None,
            },
        ]
    );
    let mut tokens = report.access_tokens.clone();
    tokens.sort_by(|a, b| a.hash.cmp(&b.hash));
    assert_eq!(
        tokens,
        vec![
            TokenAccess {
                hash: "live".into(),
                expires_at: expires,
                revoked: false
            },
            TokenAccess {
                hash: "revoked".into(),
                expires_at: expires,
                revoked: true
            },
        ]
    );
    assert_eq!(
        report.sessions,
        vec![TokenAccess {
            hash: "session".into(),
            expires_at: expires,
            revoked: false
        }]
    );
    let mut members = report.memberships.clone();
    members.sort_by(|a, b| a.flow_id.cmp(&b.flow_id));
    assert_eq!(
        members,
        vec![
            MemberAccess {
                user_id: ann.id,
                flow_id: main.id.clone(),
                flow_disabled: false
            },
            MemberAccess {
                user_id: ann.id,
                flow_id: old.id.clone(),
                flow_disabled: true
            },
        ]
    );
    // Nothing asked, nothing read.
    assert_eq!(
        s.stream_access(AccessQuery::default()).await.unwrap(),
        AccessReport::default()
    );
}
