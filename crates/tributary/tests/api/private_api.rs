//! Issue 17, point 2: private conversations (`/private`, `/private/:user_id`) and their
//! messages, as flowdock/api-docs docs/private-conversations.md and docs/private-messages.md
//! describe them, on both backends.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::private_world::{contents, World};

backend_tests!(
    a_conversation_starts_closed_and_a_message_opens_it,
    private_messages_carry_to_and_user_and_ids_of_their_own,
    the_list_filters_of_the_docs_apply,
    only_ones_own_message_is_edited_or_deleted,
    who_may_start_a_conversation,
    a_disabled_user_keeps_the_history_but_takes_no_messages,
);

async fn a_conversation_starts_closed_and_a_message_opens_it(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob) = (&w.ann, &w.bob);
    assert_eq!(w.get(ann, "/private").await.json, json!([]));
    let c = w.get(ann, &format!("/private/{}", bob.id)).await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert_eq!(c.json["id"], bob.id);
    assert_eq!(c.json["name"], "@bob");
    assert_eq!(c.json["open"], false);
    assert_eq!(c.json["url"], w.app.url(&format!("/private/{}", bob.id)));
    assert_eq!(
        c.json["activity"],
        json!({"inbox": false, "mentions": 0, "chat": false})
    );
    let ids: Vec<&Value> = c.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| &u["id"])
        .collect();
    assert_eq!(ids, [&json!(ann.id), &json!(bob.id)]);
    // Bob sees the same conversation, named after Ann.
    let theirs = w.get(bob, "/private").await.json;
    assert_eq!(theirs[0]["id"], ann.id);
    assert_eq!(theirs[0]["open"], false);
    let put = w
        .call(
            ann,
            Method::PUT,
            &format!("/private/{}", bob.id),
            Some(json!({"open": true})),
        )
        .await;
    assert_eq!(
        (put.status.as_u16(), &put.json["open"]),
        (200, &json!(true))
    );
    assert_eq!(w.get(bob, "/private").await.json[0]["open"], false);
    w.say(ann, bob, "hello bob").await;
    assert_eq!(w.get(bob, "/private").await.json[0]["open"], true);
    let closed = w
        .call(
            bob,
            Method::PUT,
            &format!("/private/{}", ann.id),
            Some(json!({"open": false})),
        )
        .await;
    assert_eq!(closed.json["open"], false);
    assert_eq!(
        w.get(bob, &format!("/private/{}", ann.id)).await.json["open"],
        false
    );
}

async fn private_messages_carry_to_and_user_and_ids_of_their_own(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob, carol) = (&w.ann, &w.bob, &w.carol);
    let first = w.say(ann, bob, "hi bob").await;
    assert_eq!(first["to"], bob.id.to_string());
    assert_eq!(first["user"], ann.id.to_string());
    assert_eq!(first["event"], "message");
    assert_eq!(first["app"], "chat");
    assert_eq!(first["id"], 1);
    for absent in ["flow", "thread_id", "thread"] {
        assert!(first.get(absent).is_none(), "{absent} in {first}");
    }
    let answer = w.say(bob, ann, "hi ann").await;
    assert_eq!(
        (answer["id"].as_i64(), &answer["to"]),
        (Some(2), &json!(ann.id.to_string()))
    );
    // Each conversation counts its own ids.
    assert_eq!(w.say(ann, carol, "hi carol").await["id"], 1);
    let shown = w.get(bob, &format!("/private/{}/messages/1", ann.id)).await;
    assert_eq!((shown.status.as_u16(), &shown.json), (200, &first));
    let missing = w.get(bob, &format!("/private/{}/messages/7", ann.id)).await;
    assert_eq!(missing.status, 404);
    let list = w
        .get(ann, &format!("/private/{}/messages", bob.id))
        .await
        .json;
    assert_eq!(contents(&list), ["hi bob", "hi ann"]);
    // The caller's other conversation stays apart.
    let with_carol = w
        .get(carol, &format!("/private/{}/messages", ann.id))
        .await
        .json;
    assert_eq!(contents(&with_carol), ["hi carol"]);
    // An event other than a message or a file is refused, naming `event`.
    let status = w
        .post(ann, bob, json!({"event": "status", "content": "away"}))
        .await;
    assert_eq!(status.status, 400);
    assert!(status.json["errors"]["event"].is_array(), "{}", status.text);
}

async fn the_list_filters_of_the_docs_apply(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob) = (&w.ann, &w.bob);
    for text in ["one apple", "two pears", "three apples", "four apple pie"] {
        w.say(ann, bob, text).await;
    }
    let path = |q: &str| format!("/private/{}/messages?{q}", bob.id);
    async fn list(w: &World, path: String) -> Vec<String> {
        contents(&w.get(&w.ann, &path).await.json)
    }
    assert_eq!(
        list(&w, path("limit=2")).await,
        ["three apples", "four apple pie"]
    );
    assert_eq!(
        list(&w, path("limit=2&sort=asc")).await,
        ["one apple", "two pears"]
    );
    assert_eq!(
        list(&w, path("since_id=2")).await,
        ["three apples", "four apple pie"]
    );
    assert_eq!(list(&w, path("until_id=2")).await, ["one apple"]);
    assert_eq!(
        list(&w, path("search=apple")).await,
        ["one apple", "four apple pie"]
    );
    assert_eq!(
        list(&w, path("event=message&limit=1")).await,
        ["four apple pie"]
    );
    assert!(list(&w, path("event=comment")).await.is_empty());
    let bad = w.get(ann, &path("limit=0")).await;
    assert_eq!(bad.status, 400);
    // A JSON body on a GET is honoured, as for flows.
    let body = w
        .call(
            ann,
            Method::GET,
            &path(""),
            Some(json!({"limit": 1, "sort": "asc"})),
        )
        .await;
    assert_eq!(contents(&body.json), ["one apple"]);
}

async fn only_ones_own_message_is_edited_or_deleted(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob) = (&w.ann, &w.bob);
    w.say(ann, bob, "typo").await;
    let mine = format!("/private/{}/messages/1", bob.id);
    let theirs = format!("/private/{}/messages/1", ann.id);
    let edit = w
        .call(ann, Method::PUT, &mine, Some(json!({"content": "fixed"})))
        .await;
    assert_eq!((edit.status.as_u16(), &edit.json), (200, &json!({})));
    let shown = w.get(bob, &theirs).await.json;
    assert_eq!(
        (&shown["content"], shown["edited"].is_i64()),
        (&json!("fixed"), true)
    );
    let refused = w
        .call(bob, Method::PUT, &theirs, Some(json!({"content": "mine"})))
        .await;
    assert_eq!(refused.status, 403);
    let refused = w.call(bob, Method::DELETE, &theirs, None).await;
    assert_eq!(refused.status, 403);
    let deleted = w.call(ann, Method::DELETE, &mine, None).await;
    assert!(deleted.status.is_success(), "{}", deleted.text);
    assert_eq!(w.get(bob, &theirs).await.json["content"], "");
    // The edits are events of the conversation, addressed like its messages.
    let all = w
        .get(
            bob,
            &format!("/private/{}/messages?event=message-edit", ann.id),
        )
        .await
        .json;
    let edits = all.as_array().unwrap();
    assert_eq!(edits.len(), 2, "{all}");
    let to = json!(bob.id.to_string());
    assert!(edits
        .iter()
        .all(|e| e["to"] == to && e.get("flow").is_none()));
}

async fn who_may_start_a_conversation(b: Backend) {
    let w = World::new(b).await;
    let (ann, eve) = (&w.ann, &w.eve);
    // Eve shares no organization with Ann: Ann is nobody to her, and the other way round.
    for (who, other) in [(ann, eve), (eve, ann)] {
        for path in ["", "/messages", "/messages/1"] {
            let a = w.get(who, &format!("/private/{}{path}", other.id)).await;
            assert_eq!(a.status, 404, "{path}: {}", a.text);
        }
        let post = w
            .post(who, other, json!({"event": "message", "content": "hi"}))
            .await;
        assert_eq!(post.status, 404);
    }
    assert_eq!(w.get(ann, "/private").await.json, json!([]));
    for bad in ["999999", "nobody", "-1"] {
        assert_eq!(
            w.get(ann, &format!("/private/{bad}")).await.status,
            404,
            "{bad}"
        );
    }
    let me = w.get(ann, &format!("/private/{}", ann.id)).await;
    assert_eq!(me.status, 400, "{}", me.text);
    // Once they share an organization, either may start it.
    w.app.join_org(&w.org, eve, false).await;
    w.say(eve, ann, "hello from eve").await;
    assert_eq!(w.get(ann, "/private").await.json[0]["id"], eve.id);
}

async fn a_disabled_user_keeps_the_history_but_takes_no_messages(b: Backend) {
    let w = World::new(b).await;
    let (ann, bob) = (&w.ann, &w.bob);
    w.say(bob, ann, "see you").await;
    w.app.store.set_user_disabled(bob.id, true).await.unwrap();
    let path = format!("/private/{}/messages", bob.id);
    let post = w
        .post(ann, bob, json!({"event": "message", "content": "bye?"}))
        .await;
    assert_eq!(post.status, 403, "{}", post.text);
    assert_eq!(contents(&w.get(ann, &path).await.json), ["see you"]);
    // A new conversation with a disabled user starts, but takes no message either.
    w.app.store.set_user_disabled(bob.id, false).await.unwrap();
    w.app
        .store
        .set_user_disabled(w.carol.id, true)
        .await
        .unwrap();
    let carol = format!("/private/{}", w.carol.id);
    assert_eq!(w.get(ann, &carol).await.status, 200);
    let post = w
        .post(ann, &w.carol, json!({"event": "message", "content": "hi"}))
        .await;
    assert_eq!(post.status, 403);
}
