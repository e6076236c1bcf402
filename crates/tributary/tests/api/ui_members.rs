//! Issue 17, point 4, in real Chromium: an organization member creates a flow from the
//! organization's page, renames it, adds and removes a member and archives it on the flow's
//! settings page; an admin makes another user admin and removes a user from the organization;
//! and a user edits their own profile, seeing why a change was refused. On SQLite, as the
//! other UI suites (the API suites run the same domain calls on both backends).

use tributary_types::AccessMode;

use crate::chromium::Chrome;
use crate::flow_members::team;
use crate::helpers::{Backend, TestApp};

/// Replaces the text of the input `css` and submits its form with the button `submit`.
async fn fill_and_submit(c: &Chrome, fields: &[(&str, &str)], submit: &str) {
    for (css, value) in fields {
        let input = c.find(css).await;
        input.clear().await.expect("clear the input");
        input.send_keys(value).await.expect("type");
    }
    c.find(submit).await.click().await.expect("submit");
}

/// Waits until the element `css` of the page shows `text` (after a form's post the old page
/// may still be there for a moment).
async fn shows(c: &Chrome, css: &str, text: &str) {
    let script = format!(
        "return document.querySelector({css})?.textContent.trim() === {text};",
        css = serde_json::json!(css),
        text = serde_json::json!(text)
    );
    c.wait_js(&format!("{css} to show {text:?}"), &script).await;
}

#[tokio::test]
async fn flows_members_organization_users_and_the_profile_from_the_pages() {
    let t = team(TestApp::spawn(Backend::Sqlite).await).await;
    let (app, ann, bob, cat) = (&t.app, &t.ann, &t.bob, &t.cat);
    let org = app.store.org_by_name("acme").await.unwrap().unwrap();

    let c = Chrome::start(&app.base_url).await;
    c.sign_in(&ann.email, &ann.password).await;
    // The flow header's organization name leads to the organization's page.
    c.find(".flow-org-name").await.click().await.unwrap();
    c.find("#create-flow-form").await;
    assert_eq!(c.path().await, "/manage/acme");
    fill_and_submit(
        &c,
        &[("#create-flow-form input[name=name]", "Ops Room")],
        "#create-flow",
    )
    .await;
    c.wait_for("the new flow's page", || async {
        (c.path().await == "/app/acme/ops-room").then_some(())
    })
    .await;
    shows(&c, ".flow-list a[aria-current=page] .flow-name", "Ops Room").await;

    // Rename it and open it to the organization.
    c.find("#flow-settings-tab").await.click().await.unwrap();
    c.find("#flow-form").await;
    c.js("document.querySelector('#flow-form select').value = 'organization'; return null;")
        .await;
    fill_and_submit(
        &c,
        &[("#flow-form input[name=name]", "Operations")],
        "#save-flow",
    )
    .await;
    shows(&c, "#notice", "The flow was saved.").await;
    shows(&c, ".flow-title h1", "Operations").await;
    let flow = app
        .store
        .flow_by_name("acme", "ops-room")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (flow.name.as_str(), flow.access_mode),
        ("Operations", AccessMode::Organization)
    );

    // Add Cat by email, then remove her.
    fill_and_submit(
        &c,
        &[("#add-member-form input[name=email]", &cat.email)],
        "#add-member",
    )
    .await;
    shows(&c, "#notice", "The member was added.").await;
    assert!(c.exists(&format!("#member-{}", cat.id)).await);
    let bad = "nobody@example.com";
    fill_and_submit(
        &c,
        &[("#add-member-form input[name=email]", bad)],
        "#add-member",
    )
    .await;
    assert!(c
        .text("#settings-error")
        .await
        .contains("not a member of the flow's organization"));
    c.find(&format!("#remove-member-{}", cat.id))
        .await
        .click()
        .await
        .unwrap();
    shows(&c, "#notice", "The member was removed.").await;
    assert!(!c.exists(&format!("#member-{}", cat.id)).await);
    assert_eq!(
        app.store.flow_membership(&flow.id, cat.id).await.unwrap(),
        None
    );

    // Archive it: it leaves the sidebar, its settings stay for enabling it again.
    c.find("#archive-flow").await.click().await.unwrap();
    c.find("#archived-note").await;
    assert!(c.exists("#unarchive-flow").await);
    assert!(
        app.store
            .flow_by_id(&flow.id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    c.screenshot("flow_settings").await;

    // The organization's users: make Bob an admin, remove Cat from Acme.
    c.goto("/manage/acme").await;
    c.find(&format!("#promote-{}", bob.id))
        .await
        .click()
        .await
        .unwrap();
    shows(&c, "#notice", "The admin flag was changed.").await;
    let bob_row = c.find(&format!("#org-user-{}", bob.id)).await;
    assert_eq!(
        bob_row.attr("data-admin").await.unwrap().as_deref(),
        Some("true")
    );
    c.find(&format!("#remove-user-{}", cat.id))
        .await
        .click()
        .await
        .unwrap();
    let removed = "The user was removed from the organization and its flows.";
    shows(&c, "#notice", removed).await;
    assert!(!c.exists(&format!("#org-user-{}", cat.id)).await);
    assert_eq!(
        app.store.org_membership(org.id, cat.id).await.unwrap(),
        None
    );
    c.screenshot("organization").await;

    // The profile: a taken email is refused with its reason, a new nick is saved.
    c.goto("/account").await;
    fill_and_submit(
        &c,
        &[("#profile-form input[name=email]", &bob.email)],
        "#save-profile",
    )
    .await;
    shows(&c, "#profile-error", "email is already taken").await;
    fill_and_submit(
        &c,
        &[
            ("#profile-form input[name=email]", &ann.email),
            ("#profile-form input[name=nick]", "annie"),
        ],
        "#save-profile",
    )
    .await;
    c.find("#profile-saved").await;
    assert_eq!(
        app.store.user_by_id(ann.id).await.unwrap().unwrap().nick,
        "annie"
    );
    c.close().await;
}
