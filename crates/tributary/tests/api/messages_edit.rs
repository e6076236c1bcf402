//! Changing messages (flowdock/api-docs docs/messages.md): PUT edits one's own content or anyone's tags, DELETE
//! removes inbox items or truncates one's own chat, each recording its event.

use reqwest::Method;
use serde_json::json;
use tributary_types::EditMessage;

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{activity, ids, send, Room};

backend_tests!(
    put_edits_own_content_and_anyones_tags,
    delete_removes_inbox_items_and_truncates_own_chat,
);

async fn put_edits_own_content_and_anyones_tags(b: Backend) {
    let r = Room::new(b).await;
    let mine = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "helo", "tags": ["draft"]}),
        )
        .await
        .json;
    let id = mine["id"].as_i64().unwrap();
    let path = r.path(&format!("/messages/{id}"));
    let edit = send(
        r.as_user(&r.ann, Method::PUT, &path)
            .json(&json!({"content": "hello #fixed"})),
    )
    .await;
    assert_eq!(edit.status, 200, "{}", edit.text);
    assert_eq!(edit.text, "{}");
    let now = r.get(&r.ann, &path).await.json;
    assert_eq!(now["content"], "hello #fixed");
    assert!(now["edited"].is_i64());
    assert!(now["tags"].as_array().unwrap().contains(&json!("fixed")));
    let edits = r.messages("?event=message-edit").await;
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["content"],
        json!({"message": id, "updated_content": "hello #fixed"})
    );
    assert_eq!(edits[0]["user"], r.ann.id.to_string());
    // Someone else's content is not theirs to edit; the tags are.
    let theirs = send(
        r.as_user(&r.bob, Method::PUT, &path)
            .json(&json!({"content": "hacked"})),
    )
    .await;
    assert_eq!(theirs.status, 403);
    r.bob
        .client
        .messages()
        .edit(
            "acme",
            "main",
            id,
            &EditMessage {
                content: None,
                tags: Some(vec!["#Reviewed".into(), "fixed".into()]),
            },
        )
        .await
        .unwrap();
    let tagged = r.get(&r.ann, &path).await.json;
    assert_eq!(tagged["tags"], json!(["reviewed", "fixed"]));
    assert_eq!(tagged["content"], "hello #fixed");
    let changes = r.messages("?event=tag-change").await;
    let last = changes.last().unwrap();
    assert_eq!(last["content"]["message"], id);
    assert_eq!(last["content"]["add"], json!(["reviewed"]));
    assert_eq!(last["content"]["remove"], json!(["draft"]));
    assert_eq!(last["user"], r.bob.id.to_string());
    // Tag filters see the new tags at once.
    assert_eq!(ids(&r.messages("?tags=reviewed").await), [id]);
    assert!(r.messages("?tags=draft").await.is_empty());
    // Inbox items have no editable content; nothing at all is a 400; unknown ids are 404.
    let item = r.token_post(activity("pr:1", "Opened")).await.json;
    let inbox = send(
        r.as_user(
            &r.ann,
            Method::PUT,
            &r.path(&format!("/messages/{}", item["id"])),
        )
        .json(&json!({"content": "x"})),
    )
    .await;
    assert_eq!(inbox.status, 403);
    let nothing = send(r.as_user(&r.ann, Method::PUT, &path).json(&json!({}))).await;
    assert_eq!(nothing.status, 400);
    assert_eq!(
        send(
            r.as_user(&r.ann, Method::PUT, &r.path("/messages/999"))
                .json(&json!({"tags": []}))
        )
        .await
        .status,
        404
    );
}

async fn delete_removes_inbox_items_and_truncates_own_chat(b: Backend) {
    let r = Room::new(b).await;
    let first = r.token_post(activity("pr:1", "Opened")).await.json;
    let second = r.token_post(activity("pr:1", "Merged")).await.json;
    let tid = first["thread_id"].as_str().unwrap().to_owned();
    let del = send(r.as_user(
        &r.bob,
        Method::DELETE,
        &r.path(&format!("/messages/{}", second["id"])),
    ))
    .await;
    assert_eq!(del.status, 204, "{}", del.text);
    assert_eq!(
        r.get(&r.ann, &r.path(&format!("/messages/{}", second["id"])))
            .await
            .status,
        404
    );
    let thread = r
        .get(&r.ann, &r.path(&format!("/threads/{tid}")))
        .await
        .json;
    assert_eq!(
        thread["activities"], 1,
        "the thread's counts follow the removal"
    );
    assert!(r.messages("?search=merged").await.is_empty());

    let chat = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "oops #secret"}),
        )
        .await
        .json;
    let path = r.path(&format!("/messages/{}", chat["id"]));
    assert_eq!(
        send(r.as_user(&r.bob, Method::DELETE, &path)).await.status,
        403
    );
    r.ann
        .client
        .messages()
        .delete("acme", "main", chat["id"].as_i64().unwrap())
        .await
        .unwrap();
    let truncated = r.get(&r.ann, &path).await.json;
    assert_eq!(truncated["content"], "");
    assert!(truncated["edited"].is_i64());
    assert!(r.messages("?search=oops").await.is_empty());
    let edit = r.messages("?event=message-edit").await;
    assert_eq!(
        edit[0]["content"],
        json!({"message": chat["id"], "updated_content": ""})
    );
    // Anything else (a status, say) is not deletable.
    let status = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "status", "content": "away"}),
        )
        .await
        .json;
    let a = send(
        r.as_user(
            &r.ann,
            Method::DELETE,
            &r.path(&format!("/messages/{}", status["id"])),
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(a.status, 403);
    assert!(a.json["message"].is_string());
    assert_eq!(
        send(r.as_user(&r.ann, Method::DELETE, &r.path("/messages/999")))
            .await
            .status,
        404
    );
}
