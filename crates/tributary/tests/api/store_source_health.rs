//! The conformance suite's cases for source health and `flow_token` rotation (issue 18): the
//! same cases against the SQLite and PostgreSQL backends.

use tributary::store::*;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_flow, new_user, org, store};

backend_tests!(rejections_count_and_rotations_retire_hashes,);

async fn rejections_count_and_rotations_retire_hashes(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let o = org(&s, "Acme").await;
    s.create_flow(
        new_flow("f", o.id, "main", AccessMode::Invitation),
        Some(a.id),
    )
    .await
    .unwrap();
    let app = s
        .create_app(NewApp {
            owner_id: a.id,
            name: "App".into(),
            icon_url: None,
            client_id: "cid".into(),
            client_secret: "secret".into(),
            redirect_uri: "http://localhost/cb".into(),
            setup_uri: None,
            configuration_uri: None,
            published: false,
        })
        .await
        .unwrap();
    let src = s
        .create_source(NewSource {
            flow_id: "f".into(),
            app_id: app.id,
            creator_id: Some(a.id),
            name: "repo".into(),
            external_url: None,
            flow_token_hash: "h1".into(),
        })
        .await
        .unwrap();
    let now = now_millis();
    let empty = s.source_health(src.id, now - 1000, now).await.unwrap();
    assert_eq!(empty, SourceHealthRecord::default());

    s.record_source_rejection(src.id, 400, "Validation error")
        .await
        .unwrap();
    s.record_source_rejection(src.id, 410, "Gone")
        .await
        .unwrap();
    let h = s.source_health(src.id, now - 1000, now).await.unwrap();
    assert_eq!(h.rejected, 2);
    let last = h.last_rejection.unwrap();
    assert_eq!((last.status, last.message.as_str()), (410, "Gone"));

    // Rotate with a long grace, then again with none: both old hashes end now.
    s.rotate_flow_token(src.id, "h2", now + 60_000)
        .await
        .unwrap();
    assert_eq!(
        s.source_by_token_hash("h2").await.unwrap().map(|x| x.id),
        Some(src.id)
    );
    assert_eq!(s.source_by_token_hash("h1").await.unwrap(), None);
    let retired = s.retired_flow_token("h1").await.unwrap().unwrap();
    assert_eq!(
        (
            retired.source_id,
            retired.valid_until,
            retired.current_hash.as_str()
        ),
        (src.id, now + 60_000, "h2")
    );
    let h = s.source_health(src.id, now - 1000, now).await.unwrap();
    assert_eq!(h.grace_until, Some(now + 60_000));
    s.rotate_flow_token(src.id, "h3", now).await.unwrap();
    for old in ["h1", "h2"] {
        let r = s.retired_flow_token(old).await.unwrap().unwrap();
        assert_eq!(
            (r.valid_until, r.current_hash.as_str()),
            (now, "h3"),
            "{old}"
        );
    }
    assert_eq!(s.retired_flow_token("h3").await.unwrap(), None);
    let h = s.source_health(src.id, now - 1000, now).await.unwrap();
    assert_eq!(h.grace_until, None);
    assert!(matches!(
        s.rotate_flow_token(987_654, "h4", now).await,
        Err(StoreError::NotFound(_))
    ));
}
