//! Inbox Settings in real Chromium (issue 18): an integration's health next to it, and the
//! "Rotate and end the old token now" button, whose page shows the new token once; the old
//! token then answers 410 `rotated`. A screenshot is saved under `target/screenshots/`.

use serde_json::json;

use crate::chromium::Chrome;
use crate::helpers::Backend;
use crate::messaging::{activity, Room};
use crate::ui::flow_page;

#[tokio::test]
async fn inbox_settings_shows_health_and_rotates_in_the_browser() {
    let r = Room::new(Backend::Sqlite).await;
    assert_eq!(r.token_post(activity("ext:1", "opened")).await.status, 200);
    assert_eq!(r.token_post(json!({"event": "message"})).await.status, 400);
    let id = r.source.id;

    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    ann.goto(&format!("{}/settings/inbox", flow_page(&r))).await;
    let health = format!("#source-health-{id}");
    assert_eq!(
        ann.text(&format!("{health} [data-health=posts]")).await,
        "1"
    );
    let rejected = ann.text(&format!("{health} [data-health=rejected]")).await;
    assert!(rejected.starts_with("1 · last: 400"), "{rejected}");
    assert!(rejected.contains("content is required"), "{rejected}");
    ann.screenshot("inbox-settings-health").await;

    ann.find(&format!("#rotate-now-source-{id}"))
        .await
        .click()
        .await
        .unwrap();
    let token = ann.text("#new-flow-token").await;
    assert_eq!(token.len(), 32, "{token}");
    assert!(ann.exists("#old-token-ended").await);

    let old = r.token_post(activity("ext:1", "old token")).await;
    assert_eq!(old.status, 410, "{}", old.text);
    assert_eq!(old.json["reason"], "rotated");
    let new = r
        .token_post_as(&token, activity("ext:1", "new token"))
        .await;
    assert_eq!(new.status, 200, "{}", new.text);

    // Back in the settings, the old token's 410 is the last rejection.
    ann.goto(&format!("{}/settings/inbox", flow_page(&r))).await;
    let rejected = ann.text(&format!("{health} [data-health=rejected]")).await;
    assert!(rejected.starts_with("2 · last: 410"), "{rejected}");
    ann.close().await;
}
