//! Users and organizations: flowdock/api-docs docs/users.md and flowdock/api-docs docs/organizations.md.

use serde_json::Value;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    current_user_is_the_caller,
    users_lists_flow_mates_and_admins_see_their_org,
    user_by_id_needs_a_shared_organization,
    organizations_list_with_members_and_admin_flags,
    organization_of_others_is_not_found,
    organization_users_carry_admin_flag,
);

async fn current_user_is_the_caller(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let me = ann.client.users().me().await.unwrap();
    assert_eq!(me.id, ann.id);
    assert_eq!(me.email, ann.email);
    assert_eq!(me.nick, "ann");
    assert_eq!(me.avatar, format!("{}/avatars/{}", app.base_url, ann.id));
}

async fn users_lists_flow_mates_and_admins_see_their_org(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (admin, mate, stranger, org_only) = (
        app.user("admin").await,
        app.user("mate").await,
        app.user("stranger").await,
        app.user("orgonly").await,
    );
    let org = app.org("Acme", &admin).await;
    app.join_org(&org, &mate, false).await;
    app.join_org(&org, &org_only, false).await;
    app.flow(&org, "Main", AccessMode::Invitation, &[&admin, &mate])
        .await;

    let ids =
        |users: Vec<tributary_types::User>| users.into_iter().map(|u| u.id).collect::<Vec<_>>();
    // A regular member sees the users it shares flows with, and itself.
    assert_eq!(
        ids(mate.client.users().list().await.unwrap()),
        vec![admin.id, mate.id]
    );
    // An organization admin sees every user of the organization.
    assert_eq!(
        ids(admin.client.users().list().await.unwrap()),
        vec![admin.id, mate.id, org_only.id]
    );
    // Someone with no flows or organizations sees only itself.
    assert_eq!(
        ids(stranger.client.users().list().await.unwrap()),
        vec![stranger.id]
    );
}

async fn user_by_id_needs_a_shared_organization(b: Backend) {
    let app = TestApp::spawn(b).await;
    let [ann, bob, eve] = app.users(["ann", "bob", "eve"]).await;
    app.acme(&ann, &[&bob]).await;

    let got = ann.client.users().get(bob.id).await.unwrap();
    assert_eq!((got.id, got.nick.as_str()), (bob.id, "bob"));
    assert_eq!(ann.client.users().get(ann.id).await.unwrap().id, ann.id);
    let err = eve.client.users().get(bob.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let res = app
        .http
        .get(app.url("/users/not-a-number"))
        .basic_auth(&ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["message"], "User not found");
}

async fn organizations_list_with_members_and_admin_flags(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    let org = app.org("Acme Corp", &ann).await;
    app.join_org(&org, &bob, false).await;
    app.org("Other", &bob).await;

    let orgs = ann.client.organizations().list().await.unwrap();
    assert_eq!(orgs.len(), 1);
    let o = &orgs[0];
    assert_eq!(
        (o.id, o.name.as_str(), o.parameterized_name.as_str()),
        (org.id, "Acme Corp", "acme-corp")
    );
    assert_eq!(o.user_count, 2);
    assert!(o.active);
    assert_eq!(o.url, format!("{}/organizations/acme-corp", app.base_url));
    let users = o.users.as_ref().unwrap();
    assert_eq!(
        users.iter().map(|u| (u.id, u.admin)).collect::<Vec<_>>(),
        vec![(ann.id, true), (bob.id, false)]
    );

    let shown = bob.client.organizations().get("acme-corp").await.unwrap();
    assert_eq!(&shown, o);
    assert_eq!(bob.client.organizations().list().await.unwrap().len(), 2);
}

async fn organization_of_others_is_not_found(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, eve) = (app.user("ann").await, app.user("eve").await);
    app.org("Acme", &ann).await;
    for err in [
        eve.client.organizations().get("acme").await.unwrap_err(),
        eve.client.organizations().users("acme").await.unwrap_err(),
        ann.client.organizations().get("nope").await.unwrap_err(),
    ] {
        assert_eq!(err.status(), Some(404), "{err}");
    }
}

async fn organization_users_carry_admin_flag(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, bob) = (app.user("ann").await, app.user("bob").await);
    app.acme(&ann, &[&bob]).await;
    let users = bob.client.organizations().users("acme").await.unwrap();
    assert_eq!(
        users.iter().map(|u| (u.id, u.admin)).collect::<Vec<_>>(),
        vec![(ann.id, Some(true)), (bob.id, Some(false))]
    );
    assert_eq!(users[1].email, bob.email);
}
