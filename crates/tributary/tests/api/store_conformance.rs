//! The store conformance suite: the same cases against the SQLite and PostgreSQL backends, so
//! that the server can rely on identical behaviour from both.

use tributary::store::*;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::{Backend, TestDb};

backend_tests!(
    users_round_trip_and_emails_are_unique_without_case,
    tokens_find_users_and_can_be_replaced,
    organizations_count_members_and_upsert_admin,
    flows_are_unique_per_organization,
    flows_for_user_shows_joined_and_joinable,
    flow_updates_change_only_what_is_given,
    memberships_need_existing_rows,
    migrations_are_idempotent,
);

pub(crate) async fn store(b: Backend) -> (TestDb, DynStore) {
    let db = TestDb::new(b).await;
    let store = db.connect().await;
    (db, store)
}

pub(crate) fn new_user(email: &str, token_hash: &str) -> NewUser {
    NewUser {
        email: email.into(),
        name: "Name".into(),
        nick: "nick".into(),
        avatar: String::new(),
        website: Some("https://example.com".into()),
        password_hash: None,
        api_token_hash: token_hash.into(),
    }
}

pub(crate) async fn org(s: &DynStore, name: &str) -> OrgRecord {
    s.create_org(NewOrg {
        name: name.into(),
        parameterized_name: name.to_lowercase(),
        user_limit: 0,
    })
    .await
    .unwrap()
}

pub(crate) fn new_flow(id: &str, org_id: i64, pname: &str, mode: AccessMode) -> NewFlow {
    NewFlow {
        id: id.into(),
        org_id,
        name: pname.to_uppercase(),
        parameterized_name: pname.into(),
        access_mode: mode,
        join_token: format!("join-{id}"),
    }
}

/// An unpublished application of `owner_id` with the client id `cid` and no optional URIs;
/// cases change what they test with `..new_app(..)`.
pub(crate) fn new_app(owner_id: i64, name: &str) -> NewApp {
    NewApp {
        owner_id,
        name: name.into(),
        icon_url: None,
        client_id: "cid".into(),
        client_secret: "secret".into(),
        redirect_uri: "http://localhost/cb".into(),
        setup_uri: None,
        configuration_uri: None,
        published: false,
    }
}

async fn users_round_trip_and_emails_are_unique_without_case(b: Backend) {
    let (_db, s) = store(b).await;
    let u = s
        .create_user(new_user("Ann@Example.com", "h1"))
        .await
        .unwrap();
    assert_eq!(u.email, "Ann@Example.com");
    assert_eq!(u.website.as_deref(), Some("https://example.com"));
    assert!(!u.disabled);
    assert!(u.created_at > 0);
    assert_eq!(s.user_by_id(u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(
        s.user_by_email("ann@example.com").await.unwrap(),
        Some(u.clone())
    );
    assert_eq!(s.user_by_id(u.id + 1000).await.unwrap(), None);
    let dup = s
        .create_user(new_user("ann@EXAMPLE.com", "h2"))
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict("email")), "{dup:?}");
}

async fn tokens_find_users_and_can_be_replaced(b: Backend) {
    let (_db, s) = store(b).await;
    let u = s.create_user(new_user("a@x.io", "old")).await.unwrap();
    assert_eq!(
        s.user_by_api_token_hash("old").await.unwrap().map(|u| u.id),
        Some(u.id)
    );
    s.set_api_token_hash(u.id, "new").await.unwrap();
    assert_eq!(s.user_by_api_token_hash("old").await.unwrap(), None);
    assert_eq!(
        s.user_by_api_token_hash("new").await.unwrap().map(|u| u.id),
        Some(u.id)
    );
    assert!(matches!(
        s.set_api_token_hash(u.id + 99, "x").await,
        Err(StoreError::NotFound(_))
    ));
}

async fn organizations_count_members_and_upsert_admin(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let c = s.create_user(new_user("c@x.io", "c")).await.unwrap();
    let o = org(&s, "Acme").await;
    assert_eq!((o.user_count, o.active, o.user_limit), (0, true, 0));
    assert!(matches!(
        s.create_org(NewOrg {
            name: "x".into(),
            parameterized_name: "acme".into(),
            user_limit: 0
        })
        .await,
        Err(StoreError::Conflict(_))
    ));
    s.add_org_member(o.id, a.id, false).await.unwrap();
    s.add_org_member(o.id, a.id, true).await.unwrap();
    s.add_org_member(o.id, c.id, false).await.unwrap();
    assert_eq!(s.org_membership(o.id, a.id).await.unwrap(), Some(true));
    assert_eq!(s.org_membership(o.id, c.id).await.unwrap(), Some(false));
    assert_eq!(s.org_by_name("acme").await.unwrap().unwrap().user_count, 2);
    let members = s.org_members(o.id).await.unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.user.id, m.admin))
            .collect::<Vec<_>>(),
        vec![(a.id, true), (c.id, false)]
    );
    assert_eq!(s.orgs_of_user(c.id).await.unwrap().len(), 1);
    assert!(s.share_organization(a.id, c.id).await.unwrap());
    let lone = s.create_user(new_user("l@x.io", "l")).await.unwrap();
    assert!(!s.share_organization(a.id, lone.id).await.unwrap());
    assert_eq!(
        s.users_visible_to(a.id).await.unwrap().len(),
        2,
        "an admin sees the organization"
    );
    assert_eq!(
        s.users_visible_to(c.id)
            .await
            .unwrap()
            .iter()
            .map(|u| u.id)
            .collect::<Vec<_>>(),
        vec![c.id]
    );
}

async fn flows_are_unique_per_organization(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let (o1, o2) = (org(&s, "One").await, org(&s, "Two").await);
    let f = s
        .create_flow(new_flow("f1", o1.id, "main", AccessMode::Link), Some(a.id))
        .await
        .unwrap();
    assert_eq!(
        (f.id.as_str(), f.name.as_str(), f.access_mode, f.disabled),
        ("f1", "MAIN", AccessMode::Link, false)
    );
    assert_eq!(f.org.id, o1.id);
    assert_eq!(
        s.flow_membership("f1", a.id).await.unwrap(),
        Some(FlowMembership { open: true })
    );
    let dup = s
        .create_flow(new_flow("f2", o1.id, "main", AccessMode::Link), None)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict(_)), "{dup:?}");
    assert_eq!(
        s.flow_by_id("f2").await.unwrap(),
        None,
        "a refused flow leaves nothing behind"
    );
    s.create_flow(new_flow("f3", o2.id, "main", AccessMode::Link), None)
        .await
        .unwrap();
    assert_eq!(
        s.flow_by_name("two", "main").await.unwrap().unwrap().id,
        "f3"
    );
    assert_eq!(s.flow_by_name("one", "main").await.unwrap(), Some(f));
    assert!(matches!(
        s.create_flow(new_flow("f4", o2.id + 100, "x", AccessMode::Link), None)
            .await,
        Err(StoreError::NotFound(_))
    ));
}

async fn flows_for_user_shows_joined_and_joinable(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let o = org(&s, "Acme").await;
    let other = org(&s, "Other").await;
    s.add_org_member(o.id, a.id, false).await.unwrap();
    s.create_flow(
        new_flow("joined", o.id, "b-joined", AccessMode::Invitation),
        Some(a.id),
    )
    .await
    .unwrap();
    s.create_flow(
        new_flow("lobby", o.id, "a-lobby", AccessMode::Organization),
        None,
    )
    .await
    .unwrap();
    s.create_flow(
        new_flow("private", o.id, "c-private", AccessMode::Invitation),
        None,
    )
    .await
    .unwrap();
    s.create_flow(
        new_flow("foreign", other.id, "d-foreign", AccessMode::Organization),
        None,
    )
    .await
    .unwrap();
    s.create_flow(
        new_flow("gone", o.id, "e-gone", AccessMode::Invitation),
        Some(a.id),
    )
    .await
    .unwrap();
    s.update_flow(
        "gone",
        FlowChanges {
            disabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let joined = s.flows_for_user(a.id, false).await.unwrap();
    assert_eq!(
        joined
            .iter()
            .map(|f| f.flow.id.as_str())
            .collect::<Vec<_>>(),
        vec!["joined"]
    );
    let all = s.flows_for_user(a.id, true).await.unwrap();
    let seen: Vec<_> = all
        .iter()
        .map(|f| (f.flow.id.as_str(), f.membership.is_some()))
        .collect();
    assert_eq!(seen, vec![("lobby", false), ("joined", true)]);
    s.set_flow_member("joined", a.id, false).await.unwrap();
    assert_eq!(
        s.flows_for_user(a.id, false).await.unwrap()[0].membership,
        Some(FlowMembership { open: false })
    );
}

async fn flow_updates_change_only_what_is_given(b: Backend) {
    let (_db, s) = store(b).await;
    let o = org(&s, "Acme").await;
    s.create_flow(new_flow("f", o.id, "main", AccessMode::Invitation), None)
        .await
        .unwrap();
    let f = s
        .update_flow(
            "f",
            FlowChanges {
                name: Some("New".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (f.name.as_str(), f.access_mode, f.disabled),
        ("New", AccessMode::Invitation, false)
    );
    let f = s
        .update_flow(
            "f",
            FlowChanges {
                access_mode: Some(AccessMode::Organization),
                disabled: Some(true),
                name: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (f.name.as_str(), f.access_mode, f.disabled),
        ("New", AccessMode::Organization, true)
    );
    assert!(matches!(
        s.update_flow("nope", FlowChanges::default()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn memberships_need_existing_rows(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let o = org(&s, "Acme").await;
    assert!(matches!(
        s.add_org_member(o.id + 50, a.id, false).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.add_org_member(o.id, a.id + 50, false).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.set_flow_member("missing", a.id, true).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.flow_members("missing").await.unwrap(), vec![]);
}

async fn migrations_are_idempotent(b: Backend) {
    let (db, s) = store(b).await;
    s.create_user(new_user("a@x.io", "a")).await.unwrap();
    // A second node (or the CLI) opening the same database migrates nothing twice.
    let again = db.connect().await;
    assert!(again.user_by_email("a@x.io").await.unwrap().is_some());
}
