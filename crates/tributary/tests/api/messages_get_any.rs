//! Issue 17: `GET /messages` (flowdock/api-docs docs/Messages-Get.md) lists a flow's messages
//! with the filters of `GET /flows/:org/:flow/messages`; the flow is the `flow` parameter
//! (its id, `organization/flow` or the old `organization:flow`), for its members alone.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(
    a_flow_is_named_by_id_or_by_organization_and_flow,
    the_filters_are_those_of_the_flow_path,
    only_members_see_it_and_the_flow_is_required,
);

fn contents(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("an array")
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn say(r: &Room, text: &str) {
    let a = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": text}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
}

async fn a_flow_is_named_by_id_or_by_organization_and_flow(b: Backend) {
    let r = Room::new(b).await;
    say(&r, "hello").await;
    say(&r, "world").await;
    let documented = r.messages("?event=message").await;
    let org = &r.org.parameterized_name;
    let flow = &r.flow.parameterized_name;
    for name in [
        r.flow.id.clone(),
        format!("{org}/{flow}"),
        format!("{org}:{flow}"),
    ] {
        let a = r
            .app
            .http
            .get(r.app.url("/messages"))
            .query(&[("flow", name.as_str()), ("event", "message")])
            .basic_auth(&r.bob.token, Some(""))
            .send()
            .await
            .unwrap();
        assert_eq!(a.status(), 200, "{name}");
        let list: Value = a.json().await.unwrap();
        assert_eq!(contents(&list), ["hello", "world"], "{name}");
        assert_eq!(list, Value::Array(documented.clone()), "{name}");
    }
}

async fn the_filters_are_those_of_the_flow_path(b: Backend) {
    let r = Room::new(b).await;
    for text in ["one", "two", "three", "four"] {
        say(&r, text).await;
    }
    let flow = &r.flow.id;
    let all = r
        .get(&r.ann, &format!("/messages?flow={flow}&event=message"))
        .await;
    let ids: Vec<i64> = all
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    let limited = r
        .get(
            &r.ann,
            &format!("/messages?flow={flow}&event=message&limit=2"),
        )
        .await;
    assert_eq!(contents(&limited.json), ["three", "four"]);
    let since = r
        .get(
            &r.ann,
            &format!("/messages?flow={flow}&event=message&since_id={}", ids[1]),
        )
        .await;
    assert_eq!(contents(&since.json), ["three", "four"]);
    let until = r
        .get(
            &r.ann,
            &format!("/messages?flow={flow}&event=message&until_id={}", ids[1]),
        )
        .await;
    assert_eq!(contents(&until.json), ["one"]);
    let bad = r
        .get(&r.ann, &format!("/messages?flow={flow}&limit=0"))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(bad.json["errors"]["limit"].is_array(), "{}", bad.text);
}

async fn only_members_see_it_and_the_flow_is_required(b: Backend) {
    let r = Room::new(b).await;
    say(&r, "members only").await;
    let carol = r.app.user("carol").await;
    let org = &r.org.parameterized_name;
    let flow = &r.flow.parameterized_name;
    for name in [
        r.flow.id.clone(),
        format!("{org}/{flow}"),
        "nope".into(),
        "a/b".into(),
    ] {
        let a = r.get(&carol, &format!("/messages?flow={name}")).await;
        assert_eq!(a.status, 404, "{name}: {}", a.text);
        assert!(a.json["message"].is_string(), "{}", a.text);
    }
    let missing = r.get(&r.ann, "/messages").await;
    assert_eq!(missing.status, 400, "{}", missing.text);
    assert!(
        missing.json["errors"]["flow"].is_array(),
        "{}",
        missing.text
    );
    let anonymous = r
        .app
        .http
        .get(r.app.url(&format!("/messages?flow={}", r.flow.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    // A source's flow_token posts; it does not read the flow.
    let by_token = r
        .app
        .http
        .get(r.app.url(&format!(
            "/messages?flow={}&flow_token={}",
            r.flow.id, r.token
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 401);
}
