//! Invitations and join links in real Chromium (SQLite only, as every UI suite): Ann invites
//! Carol from the flow's "Invite people" page (no SMTP server: the page shows the link),
//! revokes another invitation, and Carol signs up through the link and lands in the flow;
//! Bob, signed in, opens the flow's join link and joins with one click.

use tributary_types::AccessMode;

use crate::chromium::Chrome;
use crate::helpers::{Backend, TestApp};

async fn type_into(c: &Chrome, css: &str, text: &str) {
    c.find(css).await.send_keys(text).await.expect("type");
}

async fn click(c: &Chrome, css: &str) {
    c.find(css).await.click().await.expect("click");
}

#[tokio::test]
async fn an_invitee_signs_up_through_the_invitation_link_and_lands_in_the_flow() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&ann])
        .await;
    let c = Chrome::start(&app.base_url).await;
    c.sign_in(&ann.email, &ann.password).await;
    c.goto("/app/acme/main").await;
    click(&c, "#invite-tab").await;
    assert_eq!(c.path().await, "/app/acme/main/invitations");
    assert!(c.exists("#no-pending").await);

    // Two invitations; the second is revoked.
    for email in ["dave@example.com", "carol@example.com"] {
        type_into(&c, "#invite-email", email).await;
        type_into(&c, "#invite-message", "Join us in Main").await;
        click(&c, "#send-invitation").await;
        c.find(&format!(".invitation-link[data-email='{email}']"))
            .await;
    }
    let link = c
        .text(".invitation-link[data-email='carol@example.com']")
        .await;
    assert!(link.starts_with(&app.url("/invite/")), "{link}");
    c.screenshot("invitations").await;
    let dave = c
        .js("return document.querySelector('#pending-invitations li').dataset.invitationId;")
        .await;
    click(&c, &format!("#revoke-{}", dave.as_str().unwrap())).await;
    c.wait_js(
        "dave's invitation to go",
        "return document.querySelectorAll('#pending-invitations li').length === 1;",
    )
    .await;
    assert!(c
        .text("#pending-invitations")
        .await
        .contains("carol@example.com"));

    // Ann signs out; Carol opens the link in the same browser.
    click(&c, "form[action='/logout'] button").await;
    c.find("input[name=email]").await;
    c.goto(link.strip_prefix(&app.base_url).unwrap()).await;
    assert!(c.text("#join-intro").await.contains("invited"));
    let email = c
        .js("return document.querySelector('#signup-form input[name=email]').value;")
        .await;
    assert_eq!(email, "carol@example.com", "the address is filled in");
    type_into(&c, "#signup-form input[name=name]", "Carol Jones").await;
    type_into(&c, "#signup-form input[name=nick]", "carol").await;
    type_into(&c, "#signup-form input[name=password]", "carol-secret").await;
    c.screenshot("invitation-sign-up").await;
    click(&c, "#sign-up").await;
    c.wait_js(
        "the flow page",
        "return location.pathname === '/app/acme/main' && !!document.querySelector('.flow-title');",
    )
    .await;
    assert_eq!(c.text(".flow-title h1").await, "Main");
    let carol = app
        .store
        .user_by_email("carol@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(carol.nick, "carol");
    c.close().await;
}

#[tokio::test]
async fn a_signed_in_user_joins_by_the_flows_link() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let org = app.org("Acme", &ann).await;
    let flow = app.flow(&org, "Main", AccessMode::Link, &[&ann]).await;
    // Bob has a flow of his own elsewhere, so that signing in lands on a flow page.
    let elsewhere = app.org("Elsewhere", &bob).await;
    app.flow(&elsewhere, "Lobby", AccessMode::Invitation, &[&bob])
        .await;
    let c = Chrome::start(&app.base_url).await;
    c.sign_in(&bob.email, &bob.password).await;
    c.goto(&format!("/invitations/{}-main", flow.join_token))
        .await;
    assert!(c.text("#join-intro").await.contains("Main"));
    click(&c, "#join-flow").await;
    c.wait_js(
        "the flow page",
        "return location.pathname === '/app/acme/main' && !!document.querySelector('.flow-title');",
    )
    .await;
    assert!(app
        .store
        .flow_membership(&flow.id, bob.id)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        app.store.org_membership(org.id, bob.id).await.unwrap(),
        Some(false)
    );
    c.close().await;
}
