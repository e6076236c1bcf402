//! Inbox Settings shows each integration's health and rotates its `flow_token` (issue 18):
//! the new token is shown once on the answer page, and "end the old token now" makes the
//! old one answer 410 `rotated` at once.

use serde_json::json;

use crate::backend_tests;
use crate::browser::{by_id, csrf, Browser};
use crate::helpers::Backend;
use crate::messaging::{activity, Room};

backend_tests!(inbox_settings_shows_health_and_rotates_the_token,);

async fn inbox_settings_shows_health_and_rotates_the_token(b: Backend) {
    let room = Room::new(b).await;
    assert_eq!(
        room.token_post(activity("ext:1", "opened")).await.status,
        200
    );
    assert_eq!(
        room.token_post(json!({"event": "message"})).await.status,
        400
    );
    let id = room.source.id;
    let ann = Browser::new(&room.app);
    ann.login(&room.ann).await;
    let settings = "/app/acme/main/settings/inbox";
    let page = ann.page(settings).await;
    assert!(
        page.contains(&format!("id=\"source-health-{id}\"")),
        "{page}"
    );
    let health = &page[page.find(&format!("source-health-{id}")).unwrap()..];
    assert!(health.contains("data-health=\"posts\">1<"), "{health}");
    assert!(
        health.contains("data-health=\"rejected\">1 · last: 400"),
        "{health}"
    );
    assert!(page.contains(&format!("id=\"rotate-source-{id}\"")));

    // Without the form's CSRF token nothing happens.
    let path = format!("/app/acme/main/sources/{id}/rotate");
    let forged = ann.post(&path, &[("grace", "0")]).await;
    assert!(forged.status().is_client_error(), "{}", forged.status());
    assert_eq!(room.token_post(activity("ext:1", "x")).await.status, 200);

    let token = csrf(&page);
    let res = ann
        .post(&path, &[("csrf_token", &token), ("grace", "0")])
        .await;
    assert_eq!(res.status(), 200);
    let shown = res.text().await.unwrap();
    let new = by_id(&shown, "new-flow-token");
    assert_eq!(new.len(), 32, "{shown}");
    assert!(shown.contains("id=\"old-token-ended\""), "{shown}");
    let old = room.token_post(activity("ext:1", "old")).await;
    assert_eq!(old.status, 410);
    assert_eq!(old.json["reason"], "rotated");
    assert_eq!(
        room.token_post_as(&new, activity("ext:1", "new"))
            .await
            .status,
        200
    );
    // The settings page never shows a token.
    let again = ann.page(settings).await;
    assert!(!again.contains(&new));

    // With the default grace, the page says until when the old token works.
    let res = ann.post(&path, &[("csrf_token", &csrf(&again))]).await;
    let shown = res.text().await.unwrap();
    assert!(shown.contains("id=\"old-token-grace\""), "{shown}");
    assert_eq!(
        room.token_post_as(&new, activity("ext:1", "grace"))
            .await
            .status,
        200
    );

    // Carl is not in the flow: he cannot rotate it.
    let carl_user = room.app.user("carl").await;
    let carl = Browser::new(&room.app);
    carl.login(&carl_user).await;
    let carls_page = carl.page("/account").await;
    let res = carl
        .post(&path, &[("csrf_token", &csrf(&carls_page)), ("grace", "0")])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        room.token_post_as(&new, activity("ext:1", "still"))
            .await
            .status,
        200
    );
}
