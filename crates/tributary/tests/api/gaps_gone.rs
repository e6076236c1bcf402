//! Authentication comes before validation: a removed source's `flow_token` answers 410 with
//! its reason whatever the body holds (JSON that does not parse, missing fields, a content
//! type the server does not read, a body over the limit), on every path that takes a
//! `flow_token`, so an integration always learns that it was removed (issue 17, point 5).

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, MAX_BODY_BYTES};
use crate::messaging::{send, Room};

backend_tests!(
    a_removed_source_hears_410_whatever_its_body_holds,
    an_unknown_token_hears_401_before_the_body_error,
    a_live_token_still_gets_the_body_error,
);

/// The ways a body can be wrong, for a token outside it: (content type, body).
fn bad_bodies() -> Vec<(&'static str, String)> {
    vec![
        ("application/json", "{\"event\": ".to_owned()),
        ("application/json", "[1, 2]".to_owned()),
        ("application/json", "{}".to_owned()),
        ("application/json", "{\"event\": \"nonsense\"}".to_owned()),
        ("text/xml", "<message/>".to_owned()),
        (
            "application/x-www-form-urlencoded",
            "event=bogus".to_owned(),
        ),
        ("application/json", "x".repeat(MAX_BODY_BYTES + 10)),
        (
            "application/x-www-form-urlencoded",
            "a=".to_owned() + &"x".repeat(MAX_BODY_BYTES + 10),
        ),
    ]
}

/// The ways a body that holds the token can be wrong.
fn token_bodies(token: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "application/json",
            format!("{{\"flow_token\": \"{token}\", \"event\": "),
        ),
        (
            "application/json",
            format!("{{\"flow_token\": \"{token}\"}}"),
        ),
        (
            "application/json",
            format!("{{\"flow_token\": \"{token}\", \"event\": \"x\"}}"),
        ),
        ("text/xml", format!("flow_token={token}&event=message")),
        (
            "application/x-www-form-urlencoded",
            format!("flow_token={token}&event=bogus"),
        ),
    ]
}

/// Every path that takes a `flow_token`, with the token where each takes it.
fn paths(r: &Room, token: &str) -> Vec<(Method, String)> {
    let q = format!("?flow_token={token}");
    vec![
        (Method::POST, format!("/messages{q}")),
        (Method::POST, r.path(&format!("/messages{q}"))),
        (Method::POST, r.path(&format!("/threads/nope/messages{q}"))),
        (Method::POST, format!("/comments{q}")),
        (Method::POST, r.path(&format!("/messages/1/comments{q}"))),
        (Method::POST, format!("/v1/messages/team_inbox/{token}")),
        (Method::POST, format!("/v1/messages/influx/{token}")),
        (Method::POST, format!("/v1/messages/chat/{token}")),
        (Method::PUT, format!("/sources{q}")),
        (Method::GET, format!("/sources{q}")),
    ]
}

async fn remove(r: &Room) {
    let del = send(r.as_user(
        &r.ann,
        Method::DELETE,
        &r.path(&format!("/sources/{}", r.source.id)),
    ))
    .await;
    assert_eq!(del.status, 204, "{}", del.text);
}

async fn request(
    r: &Room,
    method: &Method,
    path: &str,
    ct: &str,
    body: &str,
) -> crate::messaging::Answer {
    send(
        r.app
            .http
            .request(method.clone(), r.app.url(path))
            .header("content-type", ct)
            .body(body.to_owned()),
    )
    .await
}

async fn a_removed_source_hears_410_whatever_its_body_holds(b: Backend) {
    let r = Room::new(b).await;
    remove(&r).await;
    for (method, path) in paths(&r, &r.token) {
        for (ct, body) in bad_bodies() {
            let a = request(&r, &method, &path, ct, &body).await;
            let shown = &body[..body.len().min(60)];
            assert_eq!(a.status, 410, "{method} {path} {ct} {shown}: {}", a.text);
            assert_eq!(a.json["reason"], "removed", "{method} {path}");
            assert!(a.json["message"].is_string());
        }
    }
    // The token only in a body that does not parse (no token in the path or query).
    for path in ["/messages", &r.path("/messages"), "/comments", "/sources"] {
        let method = if path == "/sources" {
            Method::PUT
        } else {
            Method::POST
        };
        for (ct, body) in token_bodies(&r.token) {
            let a = request(&r, &method, path, ct, &body).await;
            assert_eq!(a.status, 410, "{method} {path} {ct} {body}: {}", a.text);
            assert_eq!(a.json["reason"], "removed");
        }
    }
}

async fn an_unknown_token_hears_401_before_the_body_error(b: Backend) {
    let r = Room::new(b).await;
    for (method, path) in paths(&r, "not-a-token") {
        let a = request(&r, &method, &path, "application/json", "{\"event\": ").await;
        assert_eq!(a.status, 401, "{method} {path}: {}", a.text);
    }
}

async fn a_live_token_still_gets_the_body_error(b: Backend) {
    let r = Room::new(b).await;
    let path = format!("/messages?flow_token={}", r.token);
    for (body, message) in [("{\"event\": ", None), ("{}", Some("Validation error"))] {
        let a = request(&r, &Method::POST, &path, "application/json", body).await;
        assert_eq!(a.status, 400, "{}", a.text);
        if let Some(m) = message {
            assert_eq!(a.json["message"], m);
        }
    }
    let path = format!("/v1/messages/chat/{}", r.token);
    let a = request(&r, &Method::POST, &path, "text/xml", "<a/>").await;
    assert_eq!(a.status, 415, "{}", a.text);
    let ok = request(
        &r,
        &Method::POST,
        &path,
        "application/json",
        &json!({"content": "hi", "external_user_name": "bot"}).to_string(),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}
