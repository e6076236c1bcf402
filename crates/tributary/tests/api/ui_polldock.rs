//! Issue 9's end-to-end test in real Chromium: Tributary and Polldock run as their own
//! processes (`polldock_guide::Guide`), and one headless Chromium, with the flow in one tab
//! and Polldock in another, does what a person would: adds Polldock from Inbox Settings,
//! consents and confirms, sees the "new integration" item, watches a poll arrive live,
//! votes from the flow (authenticating at the link the integration answers with, then
//! voting again), opens Configure, sees the error message Polldock sets, and removes the
//! source, after which Polldock's next post gets 410 and it forgets the flow.

use fantoccini::wd::WindowHandle;
use serde_json::Value;

use crate::chromium::Chrome;
use crate::polldock_harness::Guide;

/// The flow page and Polldock, side by side in two tabs.
struct Tabs {
    chrome: Chrome,
    flow: WindowHandle,
    polldock: WindowHandle,
}

impl Tabs {
    async fn to_flow(&self) {
        self.chrome
            .client
            .switch_to_window(self.flow.clone())
            .await
            .unwrap();
    }

    async fn to_polldock(&self, url: &str) {
        self.chrome
            .client
            .switch_to_window(self.polldock.clone())
            .await
            .unwrap();
        self.chrome.client.goto(url).await.unwrap();
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.chrome.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.chrome.find(css).await.click().await.unwrap();
    }

    /// Creates a poll in Polldock's own page.
    async fn create_poll(&self, g: &Guide, question: &str, options: &str) {
        self.to_polldock(&format!("{}/", g.polldock)).await;
        self.chrome
            .js(&format!(
                "document.getElementById('question').value = {};\
                 document.getElementById('options').value = {};",
                Value::from(question),
                Value::from(options)
            ))
            .await;
        self.click("#create-poll").await;
        // The poll's own page, where Polldock redirects once the poll exists.
        self.chrome.find("h1#poll-question").await;
    }

    /// Approves the consent page Tributary shows.
    async fn approve(&self) {
        self.click("button[name=decision][value=approve]").await;
    }
}

/// The value of a thread card's field, once the card shows it.
fn field_script(thread: &str, label: &str, value: &str) -> String {
    format!(
        "const card = document.getElementById('thread-{thread}'); if (!card) return false;\
         return [...card.querySelectorAll('table.fields tr')].some(tr =>\
           tr.querySelector('th').textContent.trim() === '{label}' &&\
           tr.querySelector('td').textContent.trim() === '{value}');"
    )
}

#[tokio::test]
async fn a_person_runs_the_whole_guide_in_chromium() {
    let g = Guide::start().await;
    let chrome = Chrome::start(&g.tributary).await;
    chrome.sign_in(&g.ann_email, &g.ann_password).await;
    let flow = chrome.client.window().await.unwrap();
    let polldock = chrome.client.new_window(true).await.unwrap().handle;
    let t = Tabs {
        chrome,
        flow,
        polldock,
    };
    let c = &t.chrome;
    t.to_flow().await;

    // Inbox Settings → Add integration → Polldock's setup endpoint, which wants a sign-in.
    c.goto("/app/acme/main/settings/inbox").await;
    t.click(&format!("#add-integration [data-app-id='{}'] a", g.app_id))
        .await;
    c.find("#sign-in").await;
    let setup = c.client.current_url().await.unwrap();
    assert!(
        setup.as_str().starts_with(&format!(
            "{}/login?return_to=%2Fflowdock%2Fsetup%3Fflow%3D",
            g.polldock
        )),
        "{setup}"
    );
    t.type_into("#name", "Ann").await;
    t.click("#sign-in").await;
    // Consent in Tributary, then Polldock's confirmation screen names the flow.
    t.approve().await;
    assert_eq!(c.text("#flow-name").await, "Main");
    t.click("#confirm").await;
    assert!(c.text("#added").await.contains("Main"));
    t.click("#back-to-flow").await;
    c.wait_js(
        "the new integration item",
        "return document.body.innerText.includes('New integration: Polldock (Polldock polls)');",
    )
    .await;
    let source_id = g.source().await.unwrap()["id"].as_i64().unwrap();

    // A poll created in Polldock appears live, with its status and fields.
    c.wait_live().await;
    t.create_poll(&g, "Lunch on Friday?", "Pizza\nSushi").await;
    let poll_url = c.client.current_url().await.unwrap().to_string();
    t.to_flow().await;
    let thread = g.thread("polldock:poll:1").await.expect("the thread");
    let id = thread["id"].as_str().unwrap().to_owned();
    c.wait_js("the poll's card", &field_script(&id, "Pizza", "0"))
        .await;
    let card = format!("#thread-{id}");
    // The badge shows the value in capitals (CSS), so compare without case.
    assert!(c
        .text(&format!("{card} .status"))
        .await
        .eq_ignore_ascii_case("open"));
    assert_eq!(
        c.find(&format!("{card} .status"))
            .await
            .attr("data-color")
            .await
            .unwrap()
            .as_deref(),
        Some("green")
    );

    // Vote from the flow: Polldock does not know Ann's Flowdock account yet.
    let pizza = format!("{card} button[data-action-url$='/actions/1']");
    assert_eq!(c.text(&pizza).await, "Vote: Pizza");
    t.click(&pizza).await;
    let link = c
        .find(&format!(
            "{card} .action-result[data-outcome=authenticate] a.action-authenticate"
        ))
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.starts_with(&format!("{}/pair?claim=", g.polldock)),
        "{link}"
    );
    t.to_polldock(&link).await;
    t.click("#pair").await;
    t.approve().await;
    c.find("#paired").await;
    t.to_flow().await;
    t.click(&pizza).await;
    c.wait_js("the vote in the card", &field_script(&id, "Pizza", "1"))
        .await;
    c.screenshot("polldock-flow").await;
    // The thread view shows the same buttons.
    t.click(&format!("{card} a.open-thread")).await;
    let sushi = c
        .find("#thread-state button[data-action-url$='/actions/2']")
        .await;
    assert_eq!(sushi.text().await.unwrap(), "Vote: Sushi");
    assert!(sushi.is_enabled().await.unwrap());
    t.to_polldock(&poll_url).await;
    assert_eq!(
        c.text("strong[data-label='Pizza']").await,
        "1",
        "recorded in Polldock"
    );

    // Configure reaches Polldock's configuration page with the right ids.
    t.to_flow().await;
    c.goto("/app/acme/main/settings/inbox").await;
    t.click(&format!("#source-{source_id} .source-actions a.secondary"))
        .await;
    assert_eq!(c.text("#integration-id").await, source_id.to_string());
    assert_eq!(c.text("#flow-id").await, g.flow_id);

    // A posting problem that persists shows in Inbox Settings.
    let long = "Why? ".repeat(300);
    t.create_poll(&g, long.trim(), "Yes\nNo").await;
    t.to_flow().await;
    c.goto("/app/acme/main/settings/inbox").await;
    assert!(c
        .text(&format!("#source-error-{source_id}"))
        .await
        .contains("Polldock cannot post to this flow"));

    // Removing the source: Polldock's next post gets 410 and it deletes its record.
    t.click(&format!("#remove-source-{source_id}")).await;
    t.click("#confirm-remove").await;
    c.find("#notice").await;
    t.create_poll(&g, "Anyone there?", "Yes\nNo").await;
    t.to_polldock(&format!("{}/integrations", g.polldock)).await;
    c.find("#integrations").await;
    assert!(
        !c.exists("#integrations li").await,
        "Polldock forgot the flow"
    );
    t.chrome.close().await;
}
