//! Issue 17, point 2: a private conversation is its two participants' alone. Nobody else
//! reaches its messages, by a private path or by any flow path that could name its storage
//! (organization admins included: 404), and flow messages never show on a private path.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::private_world::{contents, no_redirect, World};

backend_tests!(
    a_third_user_and_an_org_admin_see_nothing_of_it,
    flow_paths_never_reach_private_messages,
    private_paths_never_reach_flow_messages,
    private_files_are_the_participants_alone,
);

/// The conversation's flow id, `private-<lower id>-<higher id>`.
fn storage(w: &World) -> String {
    let (lo, hi) = (w.ann.id.min(w.bob.id), w.ann.id.max(w.bob.id));
    format!("private-{lo}-{hi}")
}

async fn a_third_user_and_an_org_admin_see_nothing_of_it(b: Backend) {
    let w = World::new(b).await;
    w.say(&w.ann, &w.bob, "between us").await;
    for who in [&w.carol, &w.dave, &w.eve] {
        // Their own conversations with Ann or Bob hold nothing of it.
        for other in [&w.ann, &w.bob] {
            let list = w.get(who, &format!("/private/{}/messages", other.id)).await;
            if list.status == 200 {
                assert_eq!(list.json, json!([]), "{}", who.email);
            } else {
                assert_eq!(list.status, 404);
            }
            let one = w
                .get(who, &format!("/private/{}/messages/1", other.id))
                .await;
            assert_eq!(one.status, 404, "{}", who.email);
            let edit = w
                .call(
                    who,
                    Method::PUT,
                    &format!("/private/{}/messages/1", other.id),
                    Some(json!({"content": "x"})),
                )
                .await;
            assert_eq!(edit.status, 404);
        }
        let mine = w.get(who, "/private").await.json;
        assert!(
            mine.as_array().unwrap().iter().all(|c| c["users"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["id"] == who.id)),
            "{mine}"
        );
    }
}

async fn flow_paths_never_reach_private_messages(b: Backend) {
    let w = World::new(b).await;
    w.say(&w.ann, &w.bob, "between us").await;
    let id = storage(&w);
    for who in [&w.ann, &w.bob, &w.dave] {
        for path in [
            format!("/flows/find?id={id}"),
            format!("/flows/~private/{id}"),
            format!("/flows/~private/{id}/messages"),
            format!("/flows/~private/{id}/messages/1"),
            format!("/flows/~private/{id}/threads"),
            format!("/stream/flows?filter={id}"),
            "/organizations/~private".to_owned(),
        ] {
            let a = w.get(who, &path).await;
            assert_eq!(a.status, 404, "{path} as {}: {}", who.email, a.text);
        }
        let post = w
            .call(
                who,
                Method::POST,
                "/messages",
                Some(json!({"flow": id, "event": "message", "content": "sneak"})),
            )
            .await;
        assert_eq!(post.status, 404, "{}", post.text);
        for path in ["/flows", "/flows/all", "/organizations"] {
            let text = w.get(who, path).await.text;
            assert!(
                !text.contains("private-") && !text.contains("~private"),
                "{path}: {text}"
            );
        }
    }
    assert_eq!(
        contents(
            &w.get(&w.ann, &format!("/private/{}/messages", w.bob.id))
                .await
                .json
        ),
        ["between us"]
    );
}

async fn private_paths_never_reach_flow_messages(b: Backend) {
    let w = World::new(b).await;
    let res = w
        .call(
            &w.ann,
            Method::POST,
            "/flows/acme/main/messages",
            Some(json!({"event": "message", "content": "in the flow"})),
        )
        .await;
    assert_eq!(res.status, 201);
    w.say(&w.ann, &w.bob, "in private").await;
    let list = w
        .get(&w.bob, &format!("/private/{}/messages", w.ann.id))
        .await
        .json;
    assert_eq!(contents(&list), ["in private"]);
    // Message 1 of the flow and message 1 of the conversation are different messages.
    let one = w
        .get(&w.bob, &format!("/private/{}/messages/1", w.ann.id))
        .await
        .json;
    assert_eq!(one["content"], "in private");
    let flow: Value = w.get(&w.bob, "/flows/acme/main/messages").await.json;
    assert_eq!(contents(&flow), ["in the flow"]);
    let found = w
        .get(
            &w.bob,
            &format!("/private/{}/messages?search=flow", w.ann.id),
        )
        .await;
    assert_eq!(found.json, json!([]));
}

async fn private_files_are_the_participants_alone(b: Backend) {
    let w = World::new(b).await;
    let m = w.send_plans().await;
    assert_eq!(
        (&m["event"], &m["to"]),
        (&json!("file"), &json!(w.bob.id.to_string()))
    );
    let path = m["content"]["path"].as_str().unwrap().to_owned();
    assert!(
        path.starts_with(&format!("/files/{}/", storage(&w))),
        "{path}"
    );
    let no_redirect = no_redirect();
    let fetch = |who: &crate::helpers::TestUser| {
        no_redirect
            .get(w.app.url(&path))
            .basic_auth(&who.token, Some(""))
            .send()
    };
    for who in [&w.ann, &w.bob] {
        let res = fetch(who).await.unwrap();
        assert_eq!(res.status(), 302, "{}", who.email);
        let signed = res.headers()["location"].to_str().unwrap().to_owned();
        let bytes = w.download(signed).await;
        assert_eq!(&bytes[..], b"secret plans");
    }
    for who in [&w.carol, &w.dave, &w.eve] {
        assert_eq!(fetch(who).await.unwrap().status(), 404, "{}", who.email);
    }
}
