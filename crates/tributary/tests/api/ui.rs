//! The web UI in real Chromium (see `chromium`): signing in and out, the flow list with
//! unread mention counts, chat rendering, the phone layout, the account page, and a chat
//! message that appears live in a second session.
//!
//! The UI suites run on SQLite only: they test the pages and the browser, and the API suites
//! already run every store call on both backends.

use serde_json::{json, Value};

use crate::chromium::Chrome;
use crate::helpers::Backend;
use crate::messaging::Room;

/// `/app/acme/main`
pub(crate) fn flow_page(r: &Room) -> String {
    format!(
        "/app/{}/{}",
        r.org.parameterized_name, r.flow.parameterized_name
    )
}

/// The element's bounding box: (x, y, width, height).
async fn rect(c: &Chrome, css: &str) -> (f64, f64, f64, f64) {
    c.find(css).await.rectangle().await.expect("rectangle")
}

#[tokio::test]
async fn sign_in_shows_flows_with_mention_counts_and_sign_out_ends_the_session() {
    let r = Room::new(Backend::Sqlite).await;
    let a = r
        .user_post(
            &r.bob,
            &r.path("/messages"),
            json!({"event": "message",
                   "content": "@ann can you check #deploy? Logs: https://logs.example.com/run/7"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json["id"].as_i64().unwrap();

    let ann = Chrome::start(&r.app.base_url).await;
    ann.goto("/app").await;
    assert!(
        ann.path().await.starts_with("/login"),
        "signed out: the login page"
    );
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    assert_eq!(ann.path().await, flow_page(&r), "/app opens the first flow");
    let current = ".flow-list a[aria-current=page]";
    assert_eq!(ann.text(&format!("{current} .flow-name")).await, "Main");
    let unread = ann.find(&format!("{current} .unread")).await;
    assert_eq!(
        unread.attr("data-unread").await.unwrap().as_deref(),
        Some("1")
    );

    // The mention, the tag and the link are marked up; the line is highlighted for Ann.
    let line = format!("#message-{id}");
    assert!(ann.exists(&format!("{line}.mentions-me .mention.me")).await);
    assert_eq!(ann.text(&format!("{line} .tag")).await, "#deploy");
    let link = ann.find(&format!("{line} .msg-body a")).await;
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("https://logs.example.com/run/7")
    );
    assert_eq!(ann.text(&format!("{line} .author")).await, "bob Tester");

    // Reading the mentions clears the count.
    ann.find("#mark-read").await.click().await.unwrap();
    ann.wait_for("the unread count to go", || async {
        (!ann.exists(".flow-list .unread").await).then_some(())
    })
    .await;

    // At phone width the inbox goes below the chat instead of beside it.
    ann.client.set_window_size(390, 844).await.unwrap();
    let chat = rect(&ann, ".pane.chat").await;
    let inbox = rect(&ann, ".pane.inbox").await;
    assert!(
        inbox.1 >= chat.1 + chat.3 - 1.0,
        "stacked panes: chat {chat:?}, inbox {inbox:?}"
    );
    assert!(
        inbox.2 <= 390.0 && chat.2 <= 390.0,
        "no horizontal overflow"
    );
    ann.screenshot("flow-phone").await;
    ann.client.set_window_size(1360, 860).await.unwrap();

    ann.find("form[action='/logout'] button")
        .await
        .click()
        .await
        .unwrap();
    ann.find("input[name=email]").await;
    ann.goto(&flow_page(&r)).await;
    assert!(
        ann.path().await.starts_with("/login"),
        "the session ended: the flow asks to log in again"
    );
    ann.close().await;
}

#[tokio::test]
async fn the_account_page_regenerates_the_api_token_once() {
    let r = Room::new(Backend::Sqlite).await;
    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    ann.find("a.who").await.click().await.unwrap();
    assert_eq!(ann.path().await, "/account");
    assert!(
        !ann.exists("#api-token").await,
        "no token is shown before regenerating"
    );
    ann.find("#regenerate-token").await.click().await.unwrap();
    let token = ann.text("#api-token").await;
    let me = |t: &str| {
        r.app
            .http
            .get(r.app.url("/user"))
            .basic_auth(t.to_owned(), Some(""))
            .send()
    };
    assert_eq!(
        me(&token).await.unwrap().status(),
        200,
        "the new token works"
    );
    assert_eq!(
        me(&r.ann.token).await.unwrap().status(),
        401,
        "the old one does not"
    );
    ann.goto("/account").await;
    assert!(!ann.exists("#api-token").await, "shown once");
    ann.close().await;
}

#[tokio::test]
async fn a_chat_message_appears_live_in_a_second_session() {
    let r = Room::new(Backend::Sqlite).await;
    let (ann, bob) = tokio::join!(
        Chrome::start(&r.app.base_url),
        Chrome::start(&r.app.base_url)
    );
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    bob.sign_in(&r.bob.email, &r.bob.password).await;
    ann.wait_live().await;
    bob.wait_live().await;
    // Gone if the page reloads.
    bob.js("window.__page = 'kept'; return true;").await;

    let text = "Deploying #release 2.4 now, @bob please watch https://grafana.example.com/d/api";
    let input = ann.find("#chat-input").await;
    input.send_keys(text).await.unwrap();
    input.send_keys("\u{E007}").await.unwrap(); // Enter sends
    ann.wait_js(
        "the composer to clear",
        "return document.getElementById('chat-input').value === '';",
    )
    .await;

    let seen = bob
        .wait_for("Ann's message in Bob's chat", || async {
            let lines = bob
                .js(
                    "return Array.from(document.querySelectorAll('#chat-messages > li'))\
                     .map(li => [li.id, li.textContent]);",
                )
                .await;
            lines.as_array()?.iter().find_map(|l| {
                let text = l[1].as_str()?;
                text.contains("Deploying")
                    .then(|| l[0].as_str().unwrap_or("").to_owned())
            })
        })
        .await;
    assert_eq!(
        bob.js("return window.__page;").await,
        Value::String("kept".into()),
        "the message arrived without a reload"
    );
    assert!(
        bob.exists(&format!("#{seen}.mentions-me .mention.me"))
            .await
    );
    assert_eq!(bob.text(&format!("#{seen} .author")).await, "ann Tester");
    // Ann sees her own line too, once.
    ann.wait_js(
        "Ann's own line, once",
        &format!("return document.querySelectorAll('#{seen}').length === 1;"),
    )
    .await;
    let stored = r.messages("?event=message").await;
    assert_eq!(stored.last().unwrap()["content"], text);
    ann.close().await;
    bob.close().await;
}

#[tokio::test]
async fn uploaded_images_render_and_other_files_show_their_links() {
    let r = Room::new(Backend::Sqlite).await;
    let pic =
        crate::web_files::upload(&r, "chart.png", "image/png", crate::web_files::real_png()).await;
    let doc = crate::web_files::upload(&r, "notes.pdf", "application/pdf", vec![1u8; 2048]).await;

    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    assert_eq!(ann.path().await, flow_page(&r));
    // The thumbnail loads through the page route and the signed redirect, under the page's CSP.
    let img = format!("#message-{} .attachment-image img", pic.id);
    ann.wait_js(
        "the uploaded image to render",
        &format!(
            "const i = document.querySelector('{img}');\
             return !!i && i.complete && i.naturalWidth === 200 && i.naturalHeight === 120;"
        ),
    )
    .await;
    let shown = ann.find(&img).await.rectangle().await.unwrap();
    assert_eq!((shown.2, shown.3), (100.0, 60.0), "shown at thumbnail size");
    assert_eq!(
        ann.find(&img).await.attr("alt").await.unwrap().as_deref(),
        Some("chart.png")
    );
    let link = format!("#message-{} a.attachment-file", doc.id);
    assert_eq!(ann.text(&link).await, "notes.pdf");
    assert_eq!(
        ann.text(&format!("#message-{} .file-size", doc.id)).await,
        "2.0 KB"
    );
    let href = ann.find(&link).await.attr("href").await.unwrap().unwrap();
    assert!(
        href.starts_with(&format!("{}/files/", flow_page(&r))),
        "{href}"
    );

    // A file uploaded while the page is open arrives live, image and all.
    ann.wait_live().await;
    let late =
        crate::web_files::upload(&r, "late.png", "image/png", crate::web_files::real_png()).await;
    ann.wait_js(
        "the live image to render",
        &format!(
            "const i = document.querySelector('#message-{} .attachment-image img');\
             return !!i && i.complete && i.naturalWidth === 200;",
            late.id
        ),
    )
    .await;
    ann.screenshot("flow-files").await;
    ann.close().await;
}
