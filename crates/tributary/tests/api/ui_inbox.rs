//! The team inbox in real Chromium: an integration's activity arriving live and its card
//! changing status in place, the thread view and its reply composer, Inbox Settings with an
//! integration's `error_message` (also on the flow's avatar list), and removing an
//! integration, after which its token is gone (410). Screenshots of the flow page, the thread
//! view and Inbox Settings are saved under `target/screenshots/`.

use serde_json::{json, Value};

use crate::chromium::Chrome;
use crate::helpers::Backend;
use crate::messaging::{send, Room};
use crate::ui::flow_page;

fn pull_request(ext: &str, title: &str, color: &str, value: &str) -> Value {
    json!({
        "event": "activity",
        "author": {"name": "Antti Pitkänen"},
        "title": title,
        "external_thread_id": ext,
        "thread": {
            "title": "Fix race in the thread API",
            "body": "<p>Counts were read before the commit. This moves the read <b>after</b> it.</p>",
            "external_url": "https://github.example.com/acme/widgets/pull/42",
            "status": {"color": color, "value": value},
            "fields": [{"label": "Repository", "value": "acme/widgets"},
                       {"label": "Author", "value": "<a href=\"mailto:antti@example.com\">Antti</a>"}],
            "actions": [{"@type": "ViewAction", "name": "Diff",
                         "url": "https://github.example.com/acme/widgets/pull/42/files"}]
        }
    })
}

/// The card's status colour, its position in the inbox and how many cards the thread has.
async fn card_state(c: &Chrome, thread: &str) -> Value {
    c.js(&format!(
        "const cards = Array.from(document.querySelectorAll('#inbox-threads > article'));\
         const mine = cards.filter(a => a.dataset.thread === {t});\
         return mine.length ? [mine[0].dataset.status, cards.indexOf(mine[0]), mine.length,\
             mine[0].querySelector('[data-count=activities]').textContent] : null;",
        t = json!(thread)
    ))
    .await
}

#[tokio::test]
async fn an_activity_arrives_live_then_changes_status_in_place() {
    let r = Room::new(Backend::Sqlite).await;
    // Some life in the flow, and a mention waiting in another flow, for the screenshot.
    let support = r
        .app
        .flow(
            &r.org,
            "Support",
            tributary_types::AccessMode::Invitation,
            &[&r.ann, &r.bob],
        )
        .await;
    let mention = send(
        r.as_user(
            &r.bob,
            reqwest::Method::POST,
            &format!("/flows/acme/{}/messages", support.parameterized_name),
        )
        .json(&json!({"event": "message", "content": "@ann can you take ticket 431?"})),
    )
    .await;
    assert_eq!(mention.status, 201, "{}", mention.text);
    for (who, text) in [
        (&r.bob, "Morning! Standup in 10 minutes."),
        (&r.ann, "The release branch is cut, #qa please start. Notes: https://wiki.example.com/release/2.4"),
        (&r.bob, "@ann the thread API fix is up for review."),
    ] {
        let a = r
            .user_post(who, &r.path("/messages"), json!({"event": "message", "content": text}))
            .await;
        assert_eq!(a.status, 201);
    }
    let older = r
        .token_post(json!({
            "event": "activity", "author": {"name": "ci"}, "title": "Build started",
            "external_thread_id": "build-981",
            "thread": {"title": "Nightly build #981", "status": {"color": "yellow", "value": "running"},
                       "fields": [{"label": "Branch", "value": "main"}]}
        }))
        .await;
    assert_eq!(older.status, 200, "{}", older.text);

    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    ann.wait_live().await;
    ann.js("window.__page = 'kept'; return true;").await;

    let first = r
        .token_post(pull_request(
            "pr-42",
            "Opened pull request",
            "green",
            "open",
        ))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let thread = first.json["thread_id"].as_str().unwrap().to_owned();
    let card = format!("#thread-{thread}");
    let live = ann
        .wait_for("the new thread's card", || async {
            let s = card_state(&ann, &thread).await;
            (!s.is_null()).then_some(s)
        })
        .await;
    assert_eq!(live, json!(["green", 0, 1, "1"]), "a green card on top");
    assert_eq!(
        ann.text(&format!("{card} .thread-title a")).await,
        "Fix race in the thread API"
    );
    assert_eq!(
        ann.find(&format!("{card} .thread-title a"))
            .await
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some("https://github.example.com/acme/widgets/pull/42")
    );
    assert_eq!(ann.text(&format!("{card} .app-name")).await, "GitHub");
    assert_eq!(
        ann.text(&format!("{card} .status")).await.to_lowercase(),
        "open"
    );
    assert_eq!(
        ann.text(&format!("{card} .fields tr:first-child td")).await,
        "acme/widgets"
    );
    assert!(ann
        .text(&format!("{card} .thread-body"))
        .await
        .contains("after it"));
    assert_eq!(ann.text(&format!("{card} .actions a")).await, "Diff");

    let second = r
        .token_post(pull_request(
            "pr-42",
            "Requested changes",
            "red",
            "changes requested",
        ))
        .await;
    assert_eq!(second.status, 200);
    let changed = ann
        .wait_for("the card to turn red", || async {
            let s = card_state(&ann, &thread).await;
            (s[0] == "red").then_some(s)
        })
        .await;
    assert_eq!(
        changed,
        json!(["red", 0, 1, "2"]),
        "the same card, updated where it was"
    );
    let colour = ann
        .find(&format!("{card} .status"))
        .await
        .css_value("background-color")
        .await
        .unwrap();
    assert_eq!(colour, "rgba(217, 45, 32, 1)", "the badge is red");
    assert_eq!(
        ann.js("return window.__page;").await,
        json!("kept"),
        "no reload"
    );
    ann.wait_js(
        "the update highlight to fade",
        "return !document.querySelector('.updated');",
    )
    .await;
    ann.screenshot("flow").await;

    // The thread view: the state on top, every message in order, and a reply composer.
    ann.find(&format!("{card} .open-thread"))
        .await
        .click()
        .await
        .unwrap();
    ann.find("#thread-items").await;
    ann.wait_live().await;
    let titles = ann
        .js(
            "return Array.from(document.querySelectorAll('#thread-items .msg-title'))\
             .map(e => e.textContent);",
        )
        .await;
    assert_eq!(titles, json!(["Opened pull request", "Requested changes"]));
    assert_eq!(
        ann.text("#thread-state .status").await.to_lowercase(),
        "changes requested"
    );
    let reply = ann.find("#reply-input").await;
    reply.send_keys("I'll take this one.").await.unwrap();
    reply.send_keys("\u{E007}").await.unwrap();
    ann.wait_js(
        "the reply in the thread",
        "return Array.from(document.querySelectorAll('#thread-items .msg-body'))\
         .some(e => e.textContent.includes(\"I'll take this one.\"));",
    )
    .await;
    ann.wait_js(
        "the thread's comment count to update",
        "return document.querySelector('#thread-state [data-count=comments]').textContent === '1';",
    )
    .await;
    let stored = r.messages("?event=message").await;
    assert_eq!(
        stored.last().unwrap()["thread_id"],
        json!(thread),
        "posted into the thread"
    );
    ann.screenshot("thread").await;
    ann.close().await;
}

/// Sets the source's error through `PUT /sources` with its own token, as an integration does.
async fn report_error(r: &Room, message: &str) {
    let a = send(
        r.app
            .http
            .put(r.app.url("/sources"))
            .json(&json!({"flow_token": r.token, "error_message": message})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn an_error_message_shows_in_inbox_settings_and_on_the_avatar_list() {
    let r = Room::new(Backend::Sqlite).await;
    let jira = r
        .app
        .store
        .create_app(tributary::store::NewApp {
            owner_id: r.bob.id,
            name: "Jira".into(),
            icon_url: None,
            client_id: tributary::secrets::new_token(16),
            client_secret: tributary::secrets::new_token(32),
            redirect_uri: "http://127.0.0.1:9/cb".into(),
            setup_uri: Some("http://127.0.0.1:9/setup".into()),
            configuration_uri: Some("http://127.0.0.1:9/configure".into()),
            published: true,
        })
        .await
        .unwrap();
    let (board, _) = crate::messaging::source(&r.app, &r.flow, &jira, "Platform board").await;
    let message = "GitHub answered 401 Bad credentials: reauthorize the integration";
    report_error(&r, message).await;

    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    ann.find(".flow-tabs a[href$='/settings/inbox']")
        .await
        .click()
        .await
        .unwrap();
    let row = format!("#source-{}", r.source.id);
    assert!(ann.exists(&format!("{row}.has-error")).await);
    assert!(ann
        .text(&format!("#source-error-{}", r.source.id))
        .await
        .contains(message));
    assert!(ann
        .text(&format!("{row} .source-name"))
        .await
        .contains("acme/widgets"));
    assert!(
        !ann.exists(&format!("#source-error-{}", board.id)).await,
        "only the failing one"
    );
    // Configure only where the application has a configuration URI.
    assert!(
        !ann.exists(&format!("{row} .source-actions a.secondary"))
            .await
    );
    let configure = ann
        .find(&format!("#source-{} .source-actions a.secondary", board.id))
        .await;
    assert_eq!(configure.text().await.unwrap(), "Configure");
    // "Add integration" lists the published application and starts its setup.
    let add = ann
        .find(&format!("#add-integration [data-app-id='{}'] a", jira.id))
        .await;
    assert!(add
        .attr("href")
        .await
        .unwrap()
        .unwrap()
        .ends_with(&format!("/integrations/new?app={}", jira.id)));
    ann.screenshot("inbox-settings").await;

    // The avatar list in the flow header marks the failing source; focus shows the message.
    ann.goto(&flow_page(&r)).await;
    let avatar = format!(".source-avatar[data-source-id='{}']", r.source.id);
    assert!(ann.exists(&format!("{avatar}.has-error")).await);
    assert!(
        !ann.exists(&format!(
            ".source-avatar[data-source-id='{}'].has-error",
            board.id
        ))
        .await
    );
    let tip = format!("#source-tip-{}", r.source.id);
    assert!(
        !ann.find(&tip).await.is_displayed().await.unwrap(),
        "hidden until asked"
    );
    ann.js(&format!(
        "document.querySelector(\"{avatar} a\").focus(); return true;"
    ))
    .await;
    assert!(
        ann.find(&tip).await.is_displayed().await.unwrap(),
        "shown on focus"
    );
    assert!(ann.text(&tip).await.contains(message));

    // Clearing the error clears the marks.
    report_error(&r, "").await;
    ann.goto(&flow_page(&r)).await;
    ann.find(&avatar).await;
    assert!(!ann.exists(".source-avatar.has-error").await);
    ann.close().await;
}

#[tokio::test]
async fn removing_an_integration_in_the_ui_makes_its_token_gone() {
    let r = Room::new(Backend::Sqlite).await;
    let before = r
        .token_post(
            json!({"event": "activity", "author": {"name": "ci"}, "title": "Deployed",
                           "external_thread_id": "d-1", "thread": {"title": "Deploy"}}),
        )
        .await;
    assert_eq!(before.status, 200, "the token works before");

    let ann = Chrome::start(&r.app.base_url).await;
    ann.sign_in(&r.ann.email, &r.ann.password).await;
    ann.goto(&format!("{}/settings/inbox", flow_page(&r))).await;
    ann.find(&format!("#remove-source-{}", r.source.id))
        .await
        .click()
        .await
        .unwrap();
    // A confirmation step first: nothing is removed yet.
    ann.find("#confirm-remove").await;
    assert!(r.stored_source().await.removed_at.is_none());
    ann.find("#confirm-remove").await.click().await.unwrap();
    assert!(ann
        .text("#notice")
        .await
        .contains("acme/widgets was removed"));
    assert!(!ann.exists(&format!("#source-{}", r.source.id)).await);

    let after = r
        .token_post(
            json!({"event": "activity", "author": {"name": "ci"}, "title": "Deployed",
                           "external_thread_id": "d-2", "thread": {"title": "Deploy"}}),
        )
        .await;
    assert_eq!(after.status, 410, "{}", after.text);
    assert_eq!(after.json["reason"], "removed");
    ann.close().await;
}
