//! Store conformance for issue 17, point 2: private conversations, identical on SQLite and
//! PostgreSQL. A conversation is one row per pair, seen from either side, with a flows row
//! of its own that no flow list shows and that holds its messages with ids of their own.

use tributary::store::*;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::store_conformance::{new_user, org, store};
use crate::store_messages::message;

backend_tests!(
    a_pair_has_one_conversation_seen_from_either_side,
    each_participant_opens_and_closes_their_own_tab,
    a_conversation_holds_messages_in_a_flow_no_one_lists,
    conversations_need_two_existing_users,
);

async fn a_pair_has_one_conversation_seen_from_either_side(b: Backend) {
    let (_db, s) = store(b).await;
    let ann = s.create_user(new_user("ann@x.io", "a")).await.unwrap();
    let bob = s.create_user(new_user("bob@x.io", "b")).await.unwrap();
    let cat = s.create_user(new_user("cat@x.io", "c")).await.unwrap();
    assert_eq!(s.private_conversation(ann.id, bob.id).await.unwrap(), None);
    let mine = s.start_private_conversation(bob.id, ann.id).await.unwrap();
    assert_eq!(mine.flow_id, private_flow_id(ann.id, bob.id));
    assert_eq!(
        (mine.user_id, mine.other_id, mine.open),
        (bob.id, ann.id, false)
    );
    // Starting it again (from either side) is the same conversation.
    let again = s.start_private_conversation(ann.id, bob.id).await.unwrap();
    assert_eq!(
        (again.flow_id.as_str(), again.other_id),
        (mine.flow_id.as_str(), bob.id)
    );
    assert_eq!(again.created_at, mine.created_at);
    s.start_private_conversation(cat.id, ann.id).await.unwrap();
    let anns: Vec<i64> = s
        .private_conversations(ann.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.other_id)
        .collect();
    assert_eq!(anns, [bob.id, cat.id]);
    let bobs = s.private_conversations(bob.id).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].other_id, ann.id);
    assert!(s
        .private_conversations(cat.id + 99)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(private_participants(&mine.flow_id), Some((ann.id, bob.id)));
    assert_eq!(
        private_participants("0a1b2c3d-0000-0000-0000-000000000000"),
        None
    );
}

async fn each_participant_opens_and_closes_their_own_tab(b: Backend) {
    let (_db, s) = store(b).await;
    let ann = s.create_user(new_user("ann@x.io", "a")).await.unwrap();
    let bob = s.create_user(new_user("bob@x.io", "b")).await.unwrap();
    assert!(matches!(
        s.set_private_open(ann.id, bob.id, true).await,
        Err(StoreError::NotFound(_))
    ));
    s.start_private_conversation(ann.id, bob.id).await.unwrap();
    assert!(s.set_private_open(bob.id, ann.id, true).await.unwrap().open);
    let open = |a, b| {
        let s = s.clone();
        async move { s.private_conversation(a, b).await.unwrap().unwrap().open }
    };
    assert_eq!(
        (open(ann.id, bob.id).await, open(bob.id, ann.id).await),
        (false, true)
    );
    s.set_private_open(ann.id, bob.id, true).await.unwrap();
    s.set_private_open(bob.id, ann.id, false).await.unwrap();
    assert_eq!(
        (open(ann.id, bob.id).await, open(bob.id, ann.id).await),
        (true, false)
    );
}

async fn a_conversation_holds_messages_in_a_flow_no_one_lists(b: Backend) {
    let (_db, s) = store(b).await;
    let ann = s.create_user(new_user("ann@x.io", "a")).await.unwrap();
    let bob = s.create_user(new_user("bob@x.io", "b")).await.unwrap();
    let acme = org(&s, "Acme").await;
    s.add_org_member(acme.id, ann.id, true).await.unwrap();
    let c = s.start_private_conversation(ann.id, bob.id).await.unwrap();
    let flow = s
        .flow_by_id(&c.flow_id)
        .await
        .unwrap()
        .expect("its flows row");
    assert_eq!(flow.org.parameterized_name, PRIVATE_ORG);
    assert_eq!(s.flow_membership(&flow.id, ann.id).await.unwrap(), None);
    assert!(s.flows_for_user(ann.id, true).await.unwrap().is_empty());
    assert!(s.flows_for_user(bob.id, true).await.unwrap().is_empty());
    let orgs: Vec<String> = s
        .orgs_of_user(ann.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.parameterized_name)
        .collect();
    assert_eq!(orgs, ["acme"]);
    for text in ["one", "two"] {
        let mut m = message(&flow.id, "message");
        m.content = text.into();
        m.to = Some(bob.id.to_string());
        let post = NewPost {
            message: m,
            user_id: Some(ann.id),
            source_id: None,
            parent_id: None,
            thread: ThreadRef::None,
            update: None,
            search_text: text.into(),
            claim: None,
        };
        s.post_message(post).await.unwrap();
    }
    let stored = s.message_by_id(&flow.id, 2).await.unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_str(&stored.json).unwrap();
    assert_eq!(
        (&json["content"], &json["to"]),
        (&"two".into(), &bob.id.to_string().into())
    );
    assert!(json.get("flow").is_none(), "{json}");
}

async fn conversations_need_two_existing_users(b: Backend) {
    let (_db, s) = store(b).await;
    let ann = s.create_user(new_user("ann@x.io", "a")).await.unwrap();
    for other in [ann.id, ann.id + 99] {
        assert!(matches!(
            s.start_private_conversation(ann.id, other).await,
            Err(StoreError::NotFound(_))
        ));
    }
    assert!(s.private_conversations(ann.id).await.unwrap().is_empty());
}
