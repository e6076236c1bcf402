//! Store conformance for issue 17, point 4: admin flags and removals that keep an
//! organization's last admin, removal from the organization's flows, and profile changes,
//! identical on SQLite and PostgreSQL.

use tributary::store::*;
use tributary_types::AccessMode;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_flow, new_user, org, store};

backend_tests!(
    admin_flags_change_but_the_last_admin_stays,
    removal_leaves_the_organizations_flows_only,
    profiles_change_field_by_field,
    blocks_remove_members_and_keep_them_out,
);

async fn admin_flags_change_but_the_last_admin_stays(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let z = s.create_user(new_user("z@x.io", "z")).await.unwrap();
    let o = org(&s, "Acme").await;
    s.add_org_member(o.id, a.id, true).await.unwrap();
    s.add_org_member(o.id, z.id, false).await.unwrap();
    assert_eq!(
        s.set_org_admin(o.id, a.id, false).await.unwrap(),
        MemberChange::LastAdmin
    );
    assert_eq!(
        s.remove_org_member(o.id, a.id).await.unwrap(),
        MemberChange::LastAdmin
    );
    assert_eq!(
        s.set_org_admin(o.id, a.id, true).await.unwrap(),
        MemberChange::Done
    );
    assert_eq!(
        s.set_org_admin(o.id, z.id, true).await.unwrap(),
        MemberChange::Done
    );
    assert_eq!(s.org_membership(o.id, z.id).await.unwrap(), Some(true));
    assert_eq!(
        s.set_org_admin(o.id, a.id, false).await.unwrap(),
        MemberChange::Done
    );
    assert_eq!(s.org_membership(o.id, a.id).await.unwrap(), Some(false));
    assert_eq!(
        s.set_org_admin(o.id, z.id, false).await.unwrap(),
        MemberChange::LastAdmin
    );
    // A regular member goes whatever the admins are.
    assert_eq!(
        s.remove_org_member(o.id, a.id).await.unwrap(),
        MemberChange::Done
    );
    assert_eq!(s.org_membership(o.id, a.id).await.unwrap(), None);
    assert_eq!(
        s.remove_org_member(o.id, a.id).await.unwrap(),
        MemberChange::NotMember
    );
    assert_eq!(
        s.set_org_admin(o.id, a.id, true).await.unwrap(),
        MemberChange::NotMember
    );
    assert_eq!(
        s.set_org_admin(o.id + 99, z.id, true).await.unwrap(),
        MemberChange::NotMember
    );
}

async fn removal_leaves_the_organizations_flows_only(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let z = s.create_user(new_user("z@x.io", "z")).await.unwrap();
    let (acme, other) = (org(&s, "Acme").await, org(&s, "Other").await);
    for o in [&acme, &other] {
        s.add_org_member(o.id, a.id, true).await.unwrap();
        s.add_org_member(o.id, z.id, false).await.unwrap();
    }
    let mode = AccessMode::Invitation;
    let main = s
        .create_flow(new_flow("f1", acme.id, "main", mode), Some(z.id))
        .await
        .unwrap();
    let side = s
        .create_flow(new_flow("f2", acme.id, "side", mode), Some(z.id))
        .await
        .unwrap();
    let away = s
        .create_flow(new_flow("f3", other.id, "away", mode), Some(z.id))
        .await
        .unwrap();
    s.set_flow_member(&main.id, a.id, true).await.unwrap();
    assert_eq!(
        s.remove_org_member(acme.id, z.id).await.unwrap(),
        MemberChange::Done
    );
    assert_eq!(s.flow_membership(&main.id, z.id).await.unwrap(), None);
    assert_eq!(s.flow_membership(&side.id, z.id).await.unwrap(), None);
    assert!(s.flow_membership(&away.id, z.id).await.unwrap().is_some());
    assert!(s.flow_membership(&main.id, a.id).await.unwrap().is_some());
    assert_eq!(s.org_membership(other.id, z.id).await.unwrap(), Some(false));
    let acme = s.org_by_name("acme").await.unwrap().unwrap();
    assert_eq!(acme.user_count, 1);
}

async fn profiles_change_field_by_field(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    s.create_user(new_user("z@x.io", "z")).await.unwrap();
    let changed = s
        .update_user(
            a.id,
            UserChanges {
                nick: Some("ace".into()),
                avatar: Some("https://img.example/a.png".into()),
                ..UserChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.nick.as_str(),
            changed.name.as_str(),
            changed.email.as_str()
        ),
        ("ace", "Name", "a@x.io")
    );
    assert_eq!(changed.website.as_deref(), Some("https://example.com"));
    assert_eq!(changed.avatar, "https://img.example/a.png");
    let cleared = UserChanges {
        website: Some(None),
        email: Some("A2@x.io".into()),
        name: Some("Ann".into()),
        ..UserChanges::default()
    };
    let changed = s.update_user(a.id, cleared).await.unwrap();
    assert_eq!((changed.website, changed.email.as_str()), (None, "A2@x.io"));
    assert_eq!(s.user_by_id(a.id).await.unwrap().unwrap().name, "Ann");
    let taken = UserChanges {
        email: Some("Z@X.io".into()),
        ..UserChanges::default()
    };
    assert!(matches!(
        s.update_user(a.id, taken).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.update_user(a.id + 99, UserChanges::default()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn blocks_remove_members_and_keep_them_out(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let o = org(&s, "Acme").await;
    let mode = AccessMode::Invitation;
    let f = s
        .create_flow(new_flow("f1", o.id, "main", mode), Some(a.id))
        .await
        .unwrap();
    s.set_flow_block(&f.id, a.id, true).await.unwrap();
    s.set_flow_block(&f.id, a.id, true).await.unwrap();
    assert_eq!(s.flow_membership(&f.id, a.id).await.unwrap(), None);
    let refused = s.set_flow_member(&f.id, a.id, true).await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    assert_eq!(s.flow_membership(&f.id, a.id).await.unwrap(), None);
    s.set_flow_block(&f.id, a.id, false).await.unwrap();
    assert_eq!(s.flow_membership(&f.id, a.id).await.unwrap(), None);
    s.set_flow_member(&f.id, a.id, false).await.unwrap();
    let joined = s.flow_membership(&f.id, a.id).await.unwrap();
    assert_eq!(joined, Some(FlowMembership { open: false }));
    // A member's `open` still changes in place, and unknown flows are not found.
    s.set_flow_member(&f.id, a.id, true).await.unwrap();
    let open = s.flow_membership(&f.id, a.id).await.unwrap();
    assert_eq!(open, Some(FlowMembership { open: true }));
    let missing = s.set_flow_block("nope", a.id, true).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    let missing = s.set_flow_member("nope", a.id, true).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}
