//! The wire rules of DESIGN §2 that existing clients depend on: auth forms, `//` paths, bodies
//! on GET, `Flowdock-User`, and JSON errors with the right status.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, MAX_BODY_BYTES};

backend_tests!(
    api_token_works_with_any_password,
    email_and_password_authenticate,
    bad_credentials_get_401_with_a_challenge,
    double_slash_paths_are_served,
    get_with_a_json_body_is_read_like_a_query,
    errors_are_json_with_the_right_status,
    flowdock_user_is_on_authenticated_errors_too,
    health_and_metrics_answer,
);

async fn get_status(
    app: &TestApp,
    path: &str,
    user: &str,
    password: Option<&str>,
) -> (StatusCode, Value) {
    let res = app
        .http
        .get(app.url(path))
        .basic_auth(user, password)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn api_token_works_with_any_password(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    for password in [None, Some(""), Some("undefined"), Some("anything at all")] {
        let (status, body) = get_status(&app, "/user", &ann.token, password).await;
        assert_eq!(status, 200, "password {password:?}");
        assert_eq!(body["id"], json!(ann.id));
    }
    // node-flowdock sends the token in the header as `token:undefined`, literally.
    let raw = format!(
        "Basic {}",
        base64_encode(&format!("{}:undefined", ann.token))
    );
    let res = app
        .http
        .get(app.url("/flows"))
        .header("authorization", raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn base64_encode(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn email_and_password_authenticate(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let me = app
        .sdk()
        .with_password(&ann.email, &ann.password)
        .users()
        .me()
        .await
        .unwrap();
    assert_eq!(me.id, ann.id);
    // Email addresses match without regard to case.
    let me = app
        .sdk()
        .with_password(ann.email.to_uppercase(), &ann.password)
        .users()
        .me()
        .await
        .unwrap();
    assert_eq!(me.id, ann.id);
    let err = app
        .sdk()
        .with_password(&ann.email, "wrong")
        .users()
        .me()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
}

async fn bad_credentials_get_401_with_a_challenge(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.user("ann").await;
    let requests = [
        app.http.get(app.url("/flows")),
        app.http
            .get(app.url("/flows"))
            .basic_auth("0123456789abcdef", Some("")),
        app.http
            .get(app.url("/flows"))
            .basic_auth("nobody@example.com", Some("pw")),
        app.http.get(app.url("/flows")).bearer_auth("not-a-token"),
        app.http.get(app.url("/flows?access_token=nope")),
    ];
    for req in requests {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers().get("www-authenticate").is_some());
        assert!(res.headers().get("flowdock-user").is_none());
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

async fn double_slash_paths_are_served(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;
    let (status, body) = get_status(&app, "//flows", &ann.token, Some("")).await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["parameterized_name"], "main");
    let (status, body) = get_status(&app, "//flows/acme/main/", &ann.token, Some("")).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "Main");
}

async fn get_with_a_json_body_is_read_like_a_query(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;
    let get = |body: &'static str, ct: Option<&'static str>| {
        let mut req = app
            .http
            .get(app.url("/flows"))
            .basic_auth(&ann.token, Some(""))
            .body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let res = get("{}", Some("application/json")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.json::<Value>().await.unwrap()[0].get("users").is_none());
    for (body, ct) in [
        (r#"{"users": 1}"#, Some("application/json")),
        (r#"{"users": "1"}"#, None),
        (r#"{"users": true}"#, Some("application/json")),
    ] {
        let res = get(body, ct).await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.json::<Value>().await.unwrap()[0]["users"].is_array(),
            "{body}"
        );
    }
}

async fn errors_are_json_with_the_right_status(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    app.org("Acme", &ann).await;
    let auth = |r: reqwest::RequestBuilder| r.basic_auth(&ann.token, Some(""));

    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (
            auth(app.http.post(app.url("/flows/acme")))
                .header("content-type", "application/json")
                .body("{not json"),
            400,
        ),
        (
            auth(app.http.post(app.url("/flows/acme")))
                .header("content-type", "application/json")
                .body("[1,2]"),
            400,
        ),
        (
            auth(app.http.post(app.url("/flows/acme")))
                .json(&json!({"name": "x".repeat(MAX_BODY_BYTES)})),
            413,
        ),
        (
            auth(app.http.post(app.url("/flows/acme")))
                .header("content-type", "application/xml")
                .body("<x/>"),
            415,
        ),
        (auth(app.http.get(app.url("/no/such/thing"))), 404),
        (auth(app.http.delete(app.url("/flows"))), 405),
        (auth(app.http.get(app.url("/flows?users=maybe"))), 400),
    ];
    for (req, want) in cases {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), want);
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].is_string(), "{body}");
    }
    let res = auth(app.http.get(app.url("/flows?users=maybe")))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Validation error", "errors": {"users": ["must be true or false"]}})
    );
}

async fn flowdock_user_is_on_authenticated_errors_too(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let res = app
        .http
        .get(app.url("/flows/acme/nope"))
        .basic_auth(&ann.token, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["flowdock-user"], ann.id.to_string().as_str());
}

async fn health_and_metrics_answer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    ann.client.flows().list(false).await.unwrap();
    app.http.get(app.url("/flows")).send().await.unwrap();
    let text = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"tributary_http_requests_total{method="GET",route="/flows",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(text
        .contains(r#"tributary_http_requests_total{method="GET",route="/flows",status="401"} 1"#));
    assert!(text.contains(
        r#"tributary_http_request_duration_seconds_count{method="GET",route="/flows"} 2"#
    ));
}
