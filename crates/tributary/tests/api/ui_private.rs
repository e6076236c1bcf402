//! Issue 17, point 2, in real Chromium: starting a private conversation from a person's
//! name in a flow's chat, the list of conversations, and a private message that appears
//! live on the other participant's conversation page (SQLite only, as the other UI suites).

use serde_json::{json, Value};

use crate::chromium::Chrome;
use crate::helpers::Backend;
use crate::messaging::Room;
use crate::ui::flow_page;

/// The ids and texts of the chat lines on the page.
async fn lines(c: &Chrome) -> Vec<(String, String)> {
    let v = c
        .js(
            "return Array.from(document.querySelectorAll('#chat-messages > li'))\
             .map(li => [li.id, li.textContent]);",
        )
        .await;
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    let s = |i: usize| l[i].as_str().unwrap_or("").to_owned();
                    (s(0), s(1))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_private_conversation_starts_from_a_name_and_updates_live() {
    let r = Room::new(Backend::Sqlite).await;
    let a = r
        .user_post(
            &r.bob,
            &r.path("/messages"),
            json!({"event": "message", "content": "hello all"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json["id"].as_i64().unwrap();
    let (ann, bob) = tokio::join!(
        Chrome::start(&r.app.base_url),
        Chrome::start(&r.app.base_url)
    );
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    bob.sign_in(&r.bob.email, &r.bob.password).await;
    assert_eq!(ann.path().await, flow_page(&r));
    // Bob's name on his message leads Ann to their conversation; her own name would not.
    ann.find(&format!("#message-{id} a.private-link"))
        .await
        .click()
        .await
        .unwrap();
    let with_bob = format!("/app/~private/{}", r.bob.id);
    ann.wait_for("the conversation page", || async {
        (ann.path().await == with_bob).then_some(())
    })
    .await;
    assert!(ann.exists("#chat-empty:not([hidden])").await);
    ann.wait_live().await;

    // Bob sees the conversation Ann opened in his list, and opens it.
    bob.goto("/app/~private").await;
    assert_eq!(bob.text("#conversations a").await, "@ann");
    bob.find("#conversations a").await.click().await.unwrap();
    let with_ann = format!("/app/~private/{}", r.ann.id);
    bob.wait_for("Bob's conversation page", || async {
        (bob.path().await == with_ann).then_some(())
    })
    .await;
    bob.wait_live().await;
    bob.js("window.__page = 'kept'; return true;").await;

    let input = ann.find("#chat-input").await;
    input.send_keys("just between us").await.unwrap();
    input.send_keys("\u{E007}").await.unwrap(); // Enter sends
    bob.wait_for("Ann's private message on Bob's page", || async {
        lines(&bob)
            .await
            .into_iter()
            .find(|(_, text)| text.contains("just between us"))
    })
    .await;
    assert_eq!(
        bob.js("return window.__page;").await,
        Value::String("kept".into()),
        "the message arrived without a reload"
    );
    ann.wait_js(
        "Ann's own line, once",
        "return document.querySelectorAll('#chat-messages > li').length === 1;",
    )
    .await;
    // Bob answers; Ann's page shows it live, and the flow's chat has neither.
    let reply = bob.find("#chat-input").await;
    reply.send_keys("agreed").await.unwrap();
    reply.send_keys("\u{E007}").await.unwrap();
    ann.wait_for("Bob's answer on Ann's page", || async {
        lines(&ann)
            .await
            .into_iter()
            .find(|(_, t)| t.contains("agreed"))
    })
    .await;
    let stored = r
        .app
        .http
        .get(r.app.url(&format!("/private/{}/messages", r.bob.id)));
    let stored = crate::messaging::send(stored.basic_auth(&r.ann.token, Some("")))
        .await
        .json;
    let texts: Vec<&str> = stored
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(texts, ["just between us", "agreed"]);
    ann.goto(&flow_page(&r)).await;
    let flow_lines = lines(&ann).await;
    assert!(
        flow_lines.iter().all(|(_, t)| !t.contains("between us")),
        "{flow_lines:?}"
    );
    ann.close().await;
    bob.close().await;
}
