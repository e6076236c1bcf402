//! Issue 15, the small ones (1/4): the message list's search, its `tags` and `skip` limits,
//! and the tags only the server sets.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::Backend;
use crate::messaging::{ids, send, Answer, Room};

backend_tests!(
    hostile_searches_never_reach_the_engine_raw,
    the_tags_filter_and_skip_are_bounded,
    posters_cannot_set_system_tags,
    tag_edits_keep_system_tags_and_only_drop_ones_own_unread,
);

/// What a search for `s` answers, as Ann.
async fn search(r: &Room, s: &str) -> Answer {
    send(
        r.as_user(&r.ann, Method::GET, &r.path("/messages"))
            .query(&[("search", s)]),
    )
    .await
}

/// A search that must answer 200.
async fn search_ok(r: &Room, s: &str) -> Answer {
    let a = search(r, s).await;
    assert_eq!(a.status, 200, "{s:?}: {}", a.text);
    a
}

/// A 400 that names `field`, in the API's JSON error shape.
fn names_field(a: &Answer, field: &str) -> bool {
    a.status == 400 && a.json["message"].is_string() && a.json["errors"][field].is_array()
}

async fn hostile_searches_never_reach_the_engine_raw(b: Backend) {
    let r = Room::new(b).await;
    let posted = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "the deploy went fine"}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let id = posted.json["id"].as_i64().unwrap();
    // NUL answered 500 on SQLite: a 400 naming `search` now.
    let nul = search(&r, "\0").await;
    assert!(names_field(&nul, "search"), "{:?} {}", nul.status, nul.text);
    let long = "deploy ".repeat(300);
    let many = (0..40)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let quotes = "\"".repeat(1000);
    let hostile = [
        "a\0b",
        "deploy\u{1}",
        "\u{7f}",
        "\u{85}",
        "\"",
        "\"\"",
        "deploy\"",
        "\"deploy",
        "'",
        "AND",
        "OR",
        "NOT",
        "deploy AND",
        "AND deploy",
        "deploy OR fine",
        "NOT deploy",
        "NEAR",
        "NEAR(deploy fine)",
        "NEAR(deploy fine, 2)",
        "*",
        "deploy*",
        "de*",
        "^deploy",
        "^",
        "text:deploy",
        "content:deploy",
        ":",
        "(",
        ")",
        "(deploy",
        "deploy)",
        "(deploy OR fine)",
        "-deploy",
        "deploy -fine",
        "-",
        "+deploy",
        "{text}: deploy",
        "\\",
        "%",
        "_",
        "&",
        "|",
        "!",
        "<->",
        "deploy:*",
        "deploy & fine",
        "deploy | !fine",
        "\u{feff}",
        "\u{200b}",
        "ü",
        "🚀",
        &long,
        &many,
        &quotes,
    ];
    for s in hostile {
        let a = search(&r, s).await;
        assert!(
            a.status == 200 || names_field(&a, "search"),
            "search {s:?}: {} {}",
            a.status,
            a.text
        );
        if a.status == 200 {
            assert!(a.json.is_array(), "search {s:?}: {}", a.text);
        }
    }
    // A plain word search still finds the message; punctuation around a word is ignored.
    for s in [
        "deploy",
        "DEPLOY fine",
        "  deploy\tfine\n",
        "deploy \"went\"",
        "deploy*",
        "-deploy",
        "^deploy",
        "(deploy",
    ] {
        let a = search_ok(&r, s).await;
        assert_eq!(ids(a.json.as_array().unwrap()), [id], "search {s:?}");
    }
    // Operators are words like any other: these ask for the words "and", "near", "not".
    for s in [
        "deploy AND",
        "NEAR(deploy fine)",
        "NOT deploy",
        "deploy OR fine",
    ] {
        let a = search_ok(&r, s).await;
        assert!(
            a.json.as_array().unwrap().is_empty(),
            "{s:?} is words, not an operator: {}",
            a.text
        );
    }
    // Too long a search is refused, not cut.
    let a = search(&r, &"x".repeat(2000)).await;
    assert!(names_field(&a, "search"), "{}", a.text);
}

async fn the_tags_filter_and_skip_are_bounded(b: Backend) {
    let r = Room::new(b).await;
    let list = |q: String| {
        let r = &r;
        async move { send(r.as_user(&r.ann, Method::GET, &r.path(&format!("/messages{q}")))).await }
    };
    let tags = |n: usize| (0..n).map(|i| format!("t{i}")).collect::<Vec<_>>();
    let ok = list(format!("?tags={}", tags(20).join(","))).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let over = list(format!("?tags={}", tags(21).join(","))).await;
    assert!(names_field(&over, "tags"), "{}", over.text);
    // The same cap for repeated keys, `tag_mode=or`, and a JSON body on the GET.
    let repeated: String = tags(21).iter().map(|t| format!("&tags[]={t}")).collect();
    let over = list(format!("?tag_mode=or{repeated}")).await;
    assert!(names_field(&over, "tags"), "{}", over.text);
    let over = send(
        r.as_user(&r.ann, Method::GET, &r.path("/messages"))
            .json(&json!({"tags": tags(21)})),
    )
    .await;
    assert!(names_field(&over, "tags"), "{}", over.text);

    assert_eq!(list("?skip=10000".into()).await.status, 200);
    for skip in ["10001", "9223372036854775807", "-1"] {
        let a = list(format!("?skip={skip}")).await;
        assert!(names_field(&a, "skip"), "skip={skip}: {}", a.text);
    }
}

async fn posters_cannot_set_system_tags(b: Backend) {
    let r = Room::new(b).await;
    let bob = r.bob.id;
    let reserved = [
        format!(":unread:{bob}"),
        format!(":user:{bob}"),
        ":user:everyone".to_owned(),
        ":highlight:1".to_owned(),
        "influx:1".to_owned(),
        "Influx:1".to_owned(),
        ":file".to_owned(),
        ":url".to_owned(),
        ":thread".to_owned(),
        ":source:ci".to_owned(),
        " :FILE ".to_owned(),
    ];
    for tag in &reserved {
        // A user's post, as an array and as a comma-separated string.
        for tags in [json!(["ok", tag]), json!(format!("ok,{tag}"))] {
            let a = r
                .user_post(
                    &r.ann,
                    &r.path("/messages"),
                    json!({"event": "message", "content": "hi", "tags": tags}),
                )
                .await;
            assert!(names_field(&a, "tags"), "{tag:?}: {} {}", a.status, a.text);
        }
        // An integration's post, and a legacy chat push.
        let a = r
            .token_post(json!({
                "event": "message", "content": "hi", "external_user_name": "ci", "tags": [tag]
            }))
            .await;
        assert!(names_field(&a, "tags"), "{tag:?}: {} {}", a.status, a.text);
        let a = send(
            r.app
                .http
                .post(r.app.url(&format!("/v1/messages/chat/{}", r.token)))
                .json(&json!({"content": "hi", "external_user_name": "ci", "tags": [tag]})),
        )
        .await;
        assert!(names_field(&a, "tags"), "{tag:?}: {} {}", a.status, a.text);
    }
    assert!(
        r.messages("?event=message").await.is_empty(),
        "nothing was posted"
    );
    // What users write still becomes the server's tags: `@bob`, a URL, a hashtag.
    let a = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "see http://x.io #bug", "tags": ["@bob", "#Todo", "a:b"]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let tags = a.json["tags"].as_array().unwrap().clone();
    for t in [
        format!(":user:{bob}"),
        format!(":unread:{bob}"),
        ":url".into(),
        "bug".into(),
        "todo".into(),
        "a:b".into(),
    ] {
        assert!(tags.contains(&Value::String(t.clone())), "{t} in {tags:?}");
    }
    // The team inbox push still tags its source and project itself.
    let a = send(
        r.app
            .http
            .post(r.app.url(&format!("/v1/messages/team_inbox/{}", r.token)))
            .json(&json!({
                "source": "CI", "project": "web", "from_address": "ci@example.com",
                "subject": "Build", "content": "Green", "tags": ["nightly"]
            })),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let item = r.messages("?event=activity").await.pop().unwrap();
    assert_eq!(
        item["tags"],
        json!(["nightly", ":source:ci", ":project:web"])
    );
    let a = send(
        r.app
            .http
            .post(r.app.url(&format!("/v1/messages/team_inbox/{}", r.token)))
            .json(&json!({
                "source": "CI", "from_address": "ci@example.com",
                "subject": "Build", "content": "Green", "tags": [":source:other"]
            })),
    )
    .await;
    assert!(names_field(&a, "tags"), "{} {}", a.status, a.text);
}

async fn tag_edits_keep_system_tags_and_only_drop_ones_own_unread(b: Backend) {
    let r = Room::new(b).await;
    let (ann, bob) = (r.ann.id, r.bob.id);
    let posted = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "@bob see http://x.io", "tags": ["draft"]}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let id = posted.json["id"].as_i64().unwrap();
    let path = r.path(&format!("/messages/{id}"));
    let put = |who: &crate::helpers::TestUser, tags: Value| {
        send(
            r.as_user(who, Method::PUT, &path)
                .json(&json!({ "tags": tags })),
        )
    };
    let tags_now = || async { r.get(&r.ann, &path).await.json["tags"].clone() };
    let before = tags_now().await;
    assert_eq!(
        before,
        json!([
            "draft",
            format!(":user:{bob}"),
            format!(":unread:{bob}"),
            ":url"
        ])
    );
    // Adding a system tag the message lacks is refused, by anyone.
    for tag in [
        format!(":unread:{ann}"),
        ":user:everyone".to_owned(),
        "influx:1".to_owned(),
        ":file".to_owned(),
    ] {
        let a = put(&r.bob, json!(["draft", tag])).await;
        assert!(names_field(&a, "tags"), "{tag}: {} {}", a.status, a.text);
    }
    assert_eq!(tags_now().await, before, "refused edits change nothing");
    // Ann's edit without the system tags keeps them: they are the server's, not hers.
    let a = put(&r.ann, json!(["reviewed"])).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        tags_now().await,
        json!([
            "reviewed",
            format!(":user:{bob}"),
            format!(":unread:{bob}"),
            ":url"
        ])
    );
    // Bob marks the mention read the way Flowdock clients do: the list without his unread tag.
    let a = put(&r.bob, json!(["reviewed", format!(":user:{bob}"), ":url"])).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        tags_now().await,
        json!(["reviewed", format!(":user:{bob}"), ":url"])
    );
    let last = r.messages("?event=tag-change").await.pop().unwrap();
    assert_eq!(last["content"]["remove"], json!([format!(":unread:{bob}")]));
    // Re-sending tags the message has is fine; a new mention adds its own.
    let a = put(&r.ann, json!(["reviewed", ":url", "@ann"])).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let now = tags_now().await;
    for t in [
        format!(":user:{ann}"),
        format!(":user:{bob}"),
        ":url".into(),
    ] {
        assert!(now.as_array().unwrap().contains(&json!(t)), "{t} in {now}");
    }
}
