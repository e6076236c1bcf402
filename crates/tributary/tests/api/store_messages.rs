//! Store conformance for messages and threads: both backends number messages per flow, keep
//! thread state and counts, replay idempotency keys and refuse what does not exist alike.

use serde_json::json;
use tributary::store::*;
use tributary_types::{AccessMode, Message, ThreadSource, ThreadUpdate};

use crate::backend_tests;
use crate::helpers::{Backend, TestDb};
use crate::store_conformance::{new_app, org};

backend_tests!(
    message_ids_are_numbered_per_flow,
    threads_keep_state_counts_and_their_flow,
    a_foreign_external_thread_fails_alone_in_a_burst,
    changes_and_deletes_need_the_message,
);

pub(crate) async fn two_flows(b: Backend) -> (TestDb, DynStore) {
    let db = TestDb::new(b).await;
    let s = db.connect().await;
    let org = org(&s, "Acme").await;
    for id in ["flow-a", "flow-b"] {
        s.create_flow(
            NewFlow {
                id: id.into(),
                org_id: org.id,
                name: id.into(),
                parameterized_name: id.into(),
                access_mode: AccessMode::Invitation,
                join_token: format!("j-{id}"),
            },
            None,
        )
        .await
        .unwrap();
    }
    (db, s)
}

pub(crate) fn message(flow: &str, event: &str) -> Message {
    serde_json::from_value(json!({
        "id": 0, "flow": flow, "event": event, "content": "hi", "user": "0", "sent": 0,
        "created_at": "", "tags": ["t"]
    }))
    .unwrap()
}

pub(crate) fn post(flow: &str, event: &str, thread: ThreadRef) -> NewPost {
    NewPost {
        message: message(flow, event),
        user_id: None,
        source_id: None,
        parent_id: None,
        thread,
        update: None,
        search_text: "hi".into(),
        claim: None,
    }
}

pub(crate) fn new_thread(id: &str) -> NewThread {
    NewThread {
        id: id.into(),
        origin: ThreadOrigin::Chat,
        source_id: None,
        app_id: None,
        external_thread_id: None,
        source: None,
    }
}

pub(crate) async fn stored(s: &DynStore, p: NewPost) -> StoredMessage {
    match s.post_message(p).await.unwrap() {
        PostOutcome::Stored(m) => m,
        PostOutcome::Replay(r) => panic!("unexpected replay {r:?}"),
    }
}

async fn message_ids_are_numbered_per_flow(b: Backend) {
    let (_db, s) = two_flows(b).await;
    let a1 = stored(&s, post("flow-a", "status", ThreadRef::None)).await;
    let a2 = stored(&s, post("flow-a", "status", ThreadRef::None)).await;
    let b1 = stored(&s, post("flow-b", "status", ThreadRef::None)).await;
    assert_eq!((a1.id, a2.id, b1.id), (1, 2, 1));
    let m = a2.parse().unwrap();
    assert_eq!((m.id, m.flow.as_str()), (2, "flow-a"));
    assert_eq!(s.message_by_id("flow-a", 2).await.unwrap().unwrap(), a2);
    assert!(s.message_by_id("flow-b", 2).await.unwrap().is_none());
    let missing_flow = s
        .post_message(post("no-such-flow", "status", ThreadRef::None))
        .await;
    assert!(
        matches!(missing_flow, Err(StoreError::NotFound(_))),
        "{missing_flow:?}"
    );
}

/// A thread whose state names source `id` as its owner (the column stays empty: no such
/// source row is needed to test the rule).
fn owned_thread(id: &str, source: i64) -> NewThread {
    let mut t = new_thread(id);
    t.source = Some(ThreadSource {
        id: source,
        name: "Source".into(),
        icon: None,
        application: "App".into(),
        application_id: Some(1),
    });
    t
}

fn titled(mut p: NewPost, source: Option<i64>, title: &str) -> NewPost {
    p.source_id = source;
    p.update = Some(ThreadUpdate {
        title: Some(title.into()),
        ..Default::default()
    });
    p
}

async fn threads_keep_state_counts_and_their_flow(b: Backend) {
    let (_db, s) = two_flows(b).await;
    let first = post("flow-a", "message", ThreadRef::Start(owned_thread("t1", 7)));
    let m1 = stored(&s, titled(first, Some(7), "Title")).await;
    assert_eq!(m1.thread_id.as_deref(), Some("t1"));
    // Only the owning source's `thread` object changes the state: a user's is ignored, and
    // another source may not post into the thread at all.
    let by_user = post("flow-a", "activity", ThreadRef::Existing("t1".into()));
    let m2 = stored(&s, titled(by_user, None, "Rewritten")).await;
    let t = m2.parse().unwrap().thread.unwrap();
    assert_eq!((t.internal_comments, t.activities), (1, 1));
    assert_eq!(t.title.as_deref(), Some("Title"));
    let by_other = post("flow-a", "activity", ThreadRef::Existing("t1".into()));
    let refused = s.post_message(titled(by_other, Some(8), "Rewritten")).await;
    assert!(
        matches!(refused, Err(StoreError::Forbidden(_))),
        "{refused:?}"
    );
    // A user's own chat thread has no owner: its `thread` object is ignored too.
    let chat = post("flow-a", "message", ThreadRef::Start(new_thread("t2")));
    let chat = stored(&s, titled(chat, None, "Mine")).await;
    assert_eq!(chat.parse().unwrap().thread.unwrap().title, None);
    // The thread belongs to flow-a only.
    let elsewhere = s
        .post_message(post("flow-b", "message", ThreadRef::Existing("t1".into())))
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound("thread"))),
        "{elsewhere:?}"
    );
    assert!(s.thread_by_id("flow-b", "t1").await.unwrap().is_none());
    let rec = s.thread_by_id("flow-a", "t1").await.unwrap().unwrap();
    assert!(rec.json.contains("\"activities\":1"));
    // Failed posts leave nothing behind: the next id is still 4.
    let m4 = stored(&s, post("flow-a", "status", ThreadRef::None)).await;
    assert_eq!(m4.id, 4);
    let listed = s
        .list_threads(ThreadQuery {
            flow_id: "flow-a".into(),
            since: None,
            until: None,
            until_id: None,
            application: Some(AppFilter::Chat),
            include_empty: false,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

/// A source whose external thread lives in flow-a cannot post it into flow-b. Sent in a
/// burst with good posts, so that on PostgreSQL they share a group: the set-wise write
/// fails on it, and the group re-run post by post must fail it alone.
async fn a_foreign_external_thread_fails_alone_in_a_burst(b: Backend) {
    let (_db, s) = two_flows(b).await;
    let owner = s
        .create_user(NewUser {
            email: "o@example.com".into(),
            name: "Owner".into(),
            nick: "owner".into(),
            avatar: String::new(),
            website: None,
            password_hash: None,
            api_token_hash: "o-token".into(),
        })
        .await
        .unwrap();
    let app = s
        .create_app(NewApp {
            client_id: "client".into(),
            redirect_uri: "https://app.example.com/cb".into(),
            ..new_app(owner.id, "App")
        })
        .await
        .unwrap();
    let source = s
        .create_source(NewSource {
            flow_id: "flow-a".into(),
            app_id: app.id,
            creator_id: Some(owner.id),
            name: "Source".into(),
            external_url: None,
            flow_token_hash: "ft".into(),
        })
        .await
        .unwrap();
    let external = |flow: &str, ext: &str| {
        let mut t = new_thread(&format!("{flow}-{ext}"));
        t.origin = ThreadOrigin::Inbox;
        t.source_id = Some(source.id);
        t.app_id = Some(app.id);
        t.external_thread_id = Some(ext.into());
        let mut p = post(flow, "activity", ThreadRef::External(t));
        p.source_id = Some(source.id);
        p
    };
    stored(&s, external("flow-a", "x")).await;
    let mut burst: Vec<NewPost> = (0..8)
        .map(|i| external("flow-a", &format!("e{}", i % 3)))
        .collect();
    burst.insert(4, external("flow-b", "x"));
    let outcomes =
        futures_util::future::join_all(burst.into_iter().map(|p| s.post_message(p))).await;
    let mut ids = Vec::new();
    for (i, o) in outcomes.into_iter().enumerate() {
        match o {
            Err(StoreError::NotFound("thread")) if i == 4 => {}
            Ok(PostOutcome::Stored(m)) if i != 4 => {
                assert_eq!(m.flow_id, "flow-a");
                ids.push(m.id);
            }
            other => panic!("post {i}: {other:?}"),
        }
    }
    ids.sort_unstable();
    assert_eq!(ids, (2..=9).collect::<Vec<_>>());
    // Nothing of the refused post was stored in flow-b.
    let next = stored(&s, post("flow-b", "status", ThreadRef::None)).await;
    assert_eq!(next.id, 1);
}

async fn changes_and_deletes_need_the_message(b: Backend) {
    let (_db, s) = two_flows(b).await;
    let m = stored(
        &s,
        post("flow-a", "message", ThreadRef::Start(new_thread("t9"))),
    )
    .await;
    let mut edited = m.parse().unwrap();
    edited.content = json!("changed");
    edited.tags = vec!["new".into()];
    let out = s
        .change_message(MessageChange {
            flow_id: "flow-a".into(),
            id: m.id,
            message: edited.clone(),
            search_text: "changed".into(),
            events: vec![NewEvent {
                message: message("flow-a", "message-edit"),
                user_id: None,
            }],
        })
        .await
        .unwrap();
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.events[0].id, 2);
    assert!(out.message.json.contains("\"changed\""));
    let tagged = s
        .list_messages(MessageQuery {
            flow_id: "flow-a".into(),
            tags: vec!["new".into()],
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tagged.len(), 1);
    let missing = s
        .change_message(MessageChange {
            flow_id: "flow-a".into(),
            id: 99,
            message: edited,
            search_text: String::new(),
            events: Vec::new(),
        })
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound("message"))));
    let deletion = || NewEvent {
        message: Message {
            content: serde_json::json!({"message": m.id}),
            ..message("flow-a", "message-delete")
        },
        user_id: None,
    };
    let deleted = s.delete_message("flow-a", m.id, deletion()).await.unwrap();
    assert_eq!((deleted.id, deleted.event.as_str()), (3, "message-delete"));
    assert!(deleted
        .json
        .contains(&format!("\"content\":{{\"message\":{}}}", m.id)));
    assert!(s.message_by_id("flow-a", m.id).await.unwrap().is_none());
    let t = s.thread_by_id("flow-a", "t9").await.unwrap().unwrap();
    assert!(t.json.contains("\"internal_comments\":0"));
    assert!(matches!(
        s.delete_message("flow-a", m.id, deletion()).await,
        Err(StoreError::NotFound("message"))
    ));
}
