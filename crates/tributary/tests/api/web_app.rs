//! The application pages over HTTP, on both backends: sign-in redirects, CSP and no inline
//! script, CSRF on every form (chat, replies, mark read, removing an integration), the live
//! fragments, the default avatars, and the one place a session cookie reaches the API: a
//! page's event stream.

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::browser::{csp_of, csrf, location, Browser};
use crate::helpers::Backend;
use crate::messaging::Room;

backend_tests!(
    app_pages_need_a_session_and_send_no_inline_script,
    chat_and_replies_post_through_csrf_protected_forms,
    live_fragments_render_what_changed,
    the_session_opens_event_streams_and_nothing_else,
    mentions_are_counted_and_marked_read,
    removing_an_integration_needs_the_form_token,
);

fn flow_page(r: &Room) -> String {
    format!(
        "/app/{}/{}",
        r.org.parameterized_name, r.flow.parameterized_name
    )
}

async fn signed_in(r: &Room) -> Browser {
    let b = Browser::new(&r.app);
    b.login(&r.ann).await;
    b
}

async fn app_pages_need_a_session_and_send_no_inline_script(b: Backend) {
    let r = Room::new(b).await;
    let anon = Browser::new(&r.app);
    assert_eq!(location(&anon.get("/").await), "/app");
    assert_eq!(location(&anon.get("/app").await), "/login?return_to=%2Fapp");
    assert!(location(&anon.get(&flow_page(&r)).await).starts_with("/login?return_to="));
    let live = anon
        .get(&format!("{}/live?messages=1", flow_page(&r)))
        .await;
    assert_eq!(live.status(), 303, "fragments need a session too");

    let ann = signed_in(&r).await;
    assert_eq!(location(&ann.get("/app").await), flow_page(&r));
    let res = ann.get(&flow_page(&r)).await;
    assert_eq!(res.status(), 200);
    let csp = csp_of(&res);
    assert!(csp.starts_with("default-src 'self'") && !csp.contains("unsafe-inline"));
    let html = res.text().await.unwrap();
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=\"/static/tributary.js\" defer></script>")
            .count(),
        "the only script is the static file"
    );
    assert!(!html.contains(" style=") && !html.contains("<style"));
    assert!(html.contains("id=\"chat-input\"") && html.contains("for=\"chat-input\""));
    for path in [
        format!("{}/settings/inbox", flow_page(&r)),
        "/account".to_owned(),
    ] {
        assert!(ann.page(&path).await.contains("<h1"));
    }
    let js = ann.get("/static/tributary.js").await;
    assert_eq!(js.headers()[CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert!(js.text().await.unwrap().contains("EventSource"));
    let avatar = ann.get("/avatars/5").await;
    assert_eq!(avatar.headers()[CONTENT_TYPE], "image/svg+xml");

    // A flow Ann is not in, and a thread that does not exist, are 404 pages.
    let other_org = r.app.org("Other", &r.bob).await;
    let secret = r
        .app
        .flow(
            &other_org,
            "Secret",
            tributary_types::AccessMode::Invitation,
            &[&r.bob],
        )
        .await;
    let res = ann
        .get(&format!("/app/other/{}", secret.parameterized_name))
        .await;
    assert_eq!(res.status(), 404);
    let res = ann.get(&format!("{}/threads/nope", flow_page(&r))).await;
    assert_eq!(res.status(), 404);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

async fn chat_and_replies_post_through_csrf_protected_forms(b: Backend) {
    let r = Room::new(b).await;
    let ann = signed_in(&r).await;
    let token = csrf(&ann.page(&flow_page(&r)).await);
    let path = format!("{}/messages", flow_page(&r));
    let res = ann.post(&path, &[("content", "no token")]).await;
    assert_eq!(res.status(), 403);
    assert!(
        r.messages("?event=message").await.is_empty(),
        "nothing was posted"
    );

    let res = ann
        .post(&path, &[("csrf_token", &token), ("content", "hi @bob")])
        .await;
    assert_eq!(res.status(), 303);
    let stored = r.messages("").await;
    let first = stored.last().unwrap().clone();
    assert_eq!(
        location(&res),
        format!("{}#message-{}", flow_page(&r), first["id"])
    );
    assert_eq!(first["user"], r.ann.id.to_string());
    assert!(first["tags"]
        .as_array()
        .unwrap()
        .contains(&json!(format!(":unread:{}", r.bob.id))));

    // The page script's variant answers the id instead of a redirect.
    let res = ann
        .http
        .post(r.app.url(&path))
        .header("X-Requested-With", "fetch")
        .form(&[("csrf_token", token.as_str()), ("content", "second")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert!(id > first["id"].as_i64().unwrap());

    // A reply goes into the thread.
    let thread = first["thread_id"].as_str().unwrap();
    let reply = format!("{}/threads/{thread}/messages", flow_page(&r));
    let res = ann
        .post(&reply, &[("csrf_token", &token), ("content", "in thread")])
        .await;
    assert_eq!(
        location(&res).split('#').next(),
        Some(&reply[..reply.len() - 9])
    );
    let last = r.messages("").await.pop().unwrap();
    assert_eq!(
        (last["content"].clone(), last["thread_id"].clone()),
        (json!("in thread"), json!(thread))
    );
    // A blank message is a validation error page, not a post.
    let res = ann
        .post(&path, &[("csrf_token", &token), ("content", "  ")])
        .await;
    assert_eq!(res.status(), 400);
}

async fn live_fragments_render_what_changed(b: Backend) {
    let r = Room::new(b).await;
    let chat = r
        .user_post(
            &r.bob,
            &r.path("/messages"),
            json!({"event": "message", "content": "<b>hi</b> #x"}),
        )
        .await
        .json;
    let inbox = r
        .token_post(crate::messaging::activity("pr-1", "Opened"))
        .await
        .json;
    let thread = inbox["thread_id"].as_str().unwrap();
    let ann = signed_in(&r).await;
    let live = format!("{}/live", flow_page(&r));
    let html = ann
        .page(&format!(
            "{live}?messages={},{},999&threads={thread}",
            chat["id"], inbox["id"]
        ))
        .await;
    assert!(html.contains(&format!("id=\"message-{}\"", chat["id"])));
    assert!(html.contains("&lt;b&gt;hi&lt;&#x2f;b&gt;") || html.contains("&lt;b&gt;hi&lt;/b&gt;"));
    assert!(
        !html.contains(&format!("id=\"message-{}\"", inbox["id"])),
        "inbox items are not chat"
    );
    assert!(html.contains(&format!("id=\"thread-{thread}\"")));
    assert!(html.contains("data-status=\"green\""));
    assert!(
        html.contains("<li data-id=\"999\">"),
        "a missing message is reported gone"
    );
    // A filter for another application leaves the card out; the thread view asks for its own.
    let other = ann
        .page(&format!(
            "{live}?threads={thread}&filter=app:{}",
            r.hook.id + 100
        ))
        .await;
    assert!(!other.contains("data-thread="));
    let view = ann
        .page(&format!(
            "{live}?messages={}&threads={thread}&view=thread&thread={thread}",
            inbox["id"]
        ))
        .await;
    assert!(
        view.contains(&format!("id=\"message-{}\"", inbox["id"])) && view.contains("data-thread=")
    );
}

async fn the_session_opens_event_streams_and_nothing_else(b: Backend) {
    let r = Room::new(b).await;
    let ann = signed_in(&r).await;
    let stream = r.app.url(&format!(
        "/stream/flows/{}/{}",
        r.org.parameterized_name, r.flow.parameterized_name
    ));
    let res = ann
        .http
        .get(&stream)
        .header(ACCEPT, "text/event-stream")
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    drop(res);
    let cross = ann
        .http
        .get(&stream)
        .header(ACCEPT, "text/event-stream")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 401, "another site's page gets nothing");
    let json_stream = ann.http.get(&stream).send().await.unwrap();
    assert_eq!(
        json_stream.status(),
        401,
        "the JSON stream wants a credential"
    );
    assert_eq!(
        ann.get("/flows").await.status(),
        401,
        "so does the REST API"
    );
    let post = ann
        .http
        .post(r.app.url(&r.path("/messages")))
        .header(ACCEPT, "text/event-stream")
        .json(&json!({"event": "message", "content": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401, "and every write");
    let anon = Browser::new(&r.app);
    let res = anon
        .http
        .get(&stream)
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn mentions_are_counted_and_marked_read(b: Backend) {
    let r = Room::new(b).await;
    for text in ["@ann one", "@ann two", "@all three", "not for ann"] {
        let a = r
            .user_post(
                &r.bob,
                &r.path("/messages"),
                json!({"event": "message", "content": text}),
            )
            .await;
        assert_eq!(a.status, 201);
    }
    let ann = signed_in(&r).await;
    let page = ann.page(&flow_page(&r)).await;
    assert!(page.contains("data-unread=\"3\""), "{page}");
    assert_eq!(
        page.matches("class=\"msg msg-message mentions-me").count(),
        3
    );
    let res = ann
        .post(
            &format!("{}/mentions/read", flow_page(&r)),
            &[("csrf_token", &csrf(&page))],
        )
        .await;
    assert_eq!(location(&res), flow_page(&r));
    let page = ann.page(&flow_page(&r)).await;
    assert!(!page.contains("data-unread="));
    let unread = format!(":unread:{}", r.ann.id);
    let all = r.messages("").await;
    assert!(all
        .iter()
        .all(|m| !m["tags"].as_array().unwrap().contains(&json!(unread))));
    let changes = all.iter().filter(|m| m["event"] == "tag-change").count();
    assert_eq!(
        changes, 3,
        "one tag-change event per message, as a client's PUT records"
    );
    // Bob's own mention of everyone stays unread for him? He wrote it: it never was.
    let bob = Browser::new(&r.app);
    bob.login(&r.bob).await;
    assert!(!bob.page(&flow_page(&r)).await.contains("data-unread="));
}

async fn removing_an_integration_needs_the_form_token(b: Backend) {
    let r = Room::new(b).await;
    let ann = signed_in(&r).await;
    let remove = format!("{}/sources/{}/remove", flow_page(&r), r.source.id);
    let page = ann.page(&remove).await;
    assert!(page.contains("id=\"confirm-remove\""));
    assert_eq!(ann.post(&remove, &[]).await.status(), 403);
    assert!(r.stored_source().await.removed_at.is_none());
    let res = ann.post(&remove, &[("csrf_token", &csrf(&page))]).await;
    assert_eq!(
        location(&res),
        format!("{}/settings/inbox?removed={}", flow_page(&r), r.source.id)
    );
    let settings = ann.page(&location(&res)).await;
    assert!(settings.contains("acme/widgets was removed"));
    // A crafted link names nothing that was not removed.
    let crafted = ann
        .page(&format!("{}/settings/inbox?removed=999", flow_page(&r)))
        .await;
    assert!(!crafted.contains("was removed"));
    let gone = r.token_post(crate::messaging::activity("x", "y")).await;
    assert_eq!(gone.status, 410);
}
