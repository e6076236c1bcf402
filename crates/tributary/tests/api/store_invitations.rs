//! Store conformance for issue 17, point 3: invitations (resent in place, revoked and
//! accepted once) and joining by link, identical on SQLite and PostgreSQL.

use tributary::store::*;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_flow, new_user, org, store};

backend_tests!(
    invitations_are_resent_in_place_and_revoked_once,
    accepting_joins_the_flow_and_organization_once,
    join_tokens_are_reset_and_flows_found_by_name,
);

fn invitation(flow_id: &str, email: &str, inviter: i64, hash: &str) -> NewInvitation {
    NewInvitation {
        flow_id: flow_id.to_owned(),
        email: email.to_owned(),
        message: Some("hi".into()),
        inviter_id: inviter,
        token_hash: hash.to_owned(),
        delivery: Delivery::Queued,
    }
}

async fn invitations_are_resent_in_place_and_revoked_once(b: Backend) {
    let (_db, s) = store(b).await;
    let ann = s.create_user(new_user("ann@x.io", "a")).await.unwrap();
    let o = org(&s, "Acme").await;
    let f = s
        .create_flow(new_flow("f1", o.id, "main", AccessMode::Invitation), None)
        .await
        .unwrap();
    let first = s
        .upsert_invitation(invitation(&f.id, "c@x.io", ann.id, "h1"))
        .await
        .unwrap();
    assert_eq!(first.state, InvitationState::Pending);
    assert_eq!(first.delivery, Delivery::Queued);
    assert_eq!(
        (first.created_at, first.inviter_id),
        (first.updated_at, Some(ann.id))
    );
    let other = s
        .upsert_invitation(invitation(&f.id, "d@x.io", ann.id, "h2"))
        .await
        .unwrap();
    // The same address again: the same row, with the new token.
    let again = s
        .upsert_invitation(invitation(&f.id, "c@x.io", ann.id, "h3"))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert!(s.invitation_by_token("h1").await.unwrap().is_none());
    assert_eq!(
        s.invitation_by_token("h3").await.unwrap().unwrap().id,
        first.id
    );
    let ids: Vec<i64> = s
        .pending_invitations(&f.id)
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, [first.id, other.id]);
    s.set_invitation_delivery(first.id, Delivery::Failed)
        .await
        .unwrap();
    let read = s.invitation_by_id(&f.id, first.id).await.unwrap().unwrap();
    assert_eq!(read.delivery, Delivery::Failed);
    assert_eq!(read.message.as_deref(), Some("hi"));
    assert!(s
        .invitation_by_id("other", first.id)
        .await
        .unwrap()
        .is_none());

    assert!(s.revoke_invitation(&f.id, first.id).await.unwrap());
    assert!(!s.revoke_invitation(&f.id, first.id).await.unwrap());
    assert!(!s.revoke_invitation("other", other.id).await.unwrap());
    let revoked = s.invitation_by_token("h3").await.unwrap().unwrap();
    assert_eq!(revoked.state, InvitationState::Revoked);
    assert_eq!(s.pending_invitations(&f.id).await.unwrap().len(), 1);
    // A revoked address may be invited afresh: a new row.
    let fresh = s
        .upsert_invitation(invitation(&f.id, "c@x.io", ann.id, "h4"))
        .await
        .unwrap();
    assert_ne!(fresh.id, first.id);
}

async fn accepting_joins_the_flow_and_organization_once(b: Backend) {
    let (_db, s) = store(b).await;
    let ann = s.create_user(new_user("ann@x.io", "a")).await.unwrap();
    let carol = s.create_user(new_user("c@x.io", "c")).await.unwrap();
    let o = org(&s, "Acme").await;
    s.add_org_member(o.id, ann.id, true).await.unwrap();
    let f = s
        .create_flow(new_flow("f1", o.id, "main", AccessMode::Invitation), None)
        .await
        .unwrap();
    let inv = s
        .upsert_invitation(invitation(&f.id, "c@x.io", ann.id, "h1"))
        .await
        .unwrap();
    assert!(s.accept_invitation(inv.id, carol.id).await.unwrap());
    assert!(
        !s.accept_invitation(inv.id, ann.id).await.unwrap(),
        "used once"
    );
    let read = s.invitation_by_id(&f.id, inv.id).await.unwrap().unwrap();
    assert_eq!(
        (read.state, read.accepted_by),
        (InvitationState::Accepted, Some(carol.id))
    );
    assert_eq!(
        s.flow_membership(&f.id, carol.id).await.unwrap(),
        Some(FlowMembership { open: true })
    );
    assert_eq!(s.org_membership(o.id, carol.id).await.unwrap(), Some(false));
    assert_eq!(
        s.flow_membership(&f.id, ann.id).await.unwrap(),
        None,
        "the second try changed nothing"
    );
    // Joining by link keeps an admin an admin.
    s.join_flow(&f, ann.id).await.unwrap();
    assert!(s.flow_membership(&f.id, ann.id).await.unwrap().is_some());
    assert_eq!(s.org_membership(o.id, ann.id).await.unwrap(), Some(true));
    s.join_flow(&f, ann.id).await.unwrap();
}

async fn join_tokens_are_reset_and_flows_found_by_name(b: Backend) {
    let (_db, s) = store(b).await;
    let acme = org(&s, "Acme").await;
    let other = org(&s, "Other").await;
    let a = s
        .create_flow(new_flow("f1", acme.id, "main", AccessMode::Link), None)
        .await
        .unwrap();
    s.create_flow(new_flow("f2", other.id, "main", AccessMode::Link), None)
        .await
        .unwrap();
    s.create_flow(new_flow("f3", acme.id, "side", AccessMode::Link), None)
        .await
        .unwrap();
    let mut named: Vec<String> = s
        .flows_named("main")
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    named.sort();
    assert_eq!(named, ["f1", "f2"]);
    assert!(s.flows_named("nope").await.unwrap().is_empty());
    let reset = s.reset_join_token(&a.id, "fresh").await.unwrap();
    assert_eq!(reset.join_token, "fresh");
    assert_eq!(
        s.flow_by_id(&a.id).await.unwrap().unwrap().join_token,
        "fresh"
    );
}
