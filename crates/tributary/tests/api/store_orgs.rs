//! Store conformance for `rename_org`: the display name changes, the parameterized name, the
//! members and every other organization stay, identical on SQLite and PostgreSQL.

use tributary::store::*;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_user, org, store};

backend_tests!(renaming_changes_the_display_name_only);

async fn renaming_changes_the_display_name_only(b: Backend) {
    let (_db, s) = store(b).await;
    let a = s.create_user(new_user("a@x.io", "a")).await.unwrap();
    let acme = org(&s, "Acme").await;
    let beta = org(&s, "Beta").await;
    s.add_org_member(acme.id, a.id, true).await.unwrap();
    assert!(s.rename_org(acme.id, "Acme Corp").await.unwrap());
    let renamed = s.org_by_name("acme").await.unwrap().unwrap();
    assert_eq!(
        renamed,
        OrgRecord {
            name: "Acme Corp".into(),
            user_count: 1,
            ..acme.clone()
        }
    );
    assert_eq!(s.org_by_name("beta").await.unwrap(), Some(beta));
    assert_eq!(s.orgs_of_user(a.id).await.unwrap(), vec![renamed]);
    // Unicode and quotes go through as they are.
    assert!(s.rename_org(acme.id, "Ääkkönen's \"Co\"").await.unwrap());
    let again = s.org_by_name("acme").await.unwrap().unwrap();
    assert_eq!(again.name, "Ääkkönen's \"Co\"");
    assert!(!s.rename_org(999_999, "Nobody").await.unwrap());
}
