//! The conformance suite's cases for source health and `flow_token` rotation (issue 18): the
//! same cases against the SQLite and PostgreSQL backends.

use tributary::store::*;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(rejections_count_and_rotations_retire_hashes,);

async fn rejections_count_and_rotations_retire_hashes(b: Backend) {
    // The messaging fixture's source, whose token hash is replaced here by known ones.
    let room = Room::new(b).await;
    let (s, src) = (&room.app.store, &room.source);
    s.rotate_flow_token(src.id, "h1", 0).await.unwrap();
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
