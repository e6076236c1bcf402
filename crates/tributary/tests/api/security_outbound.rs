//! Security review, issue 15 point 5: thread actions reach `https://` integrations.
//!
//! A test certificate authority (rcgen) signs certificates for local HTTPS listeners
//! (tokio-rustls on loopback). The server trusts that CA through its operator setting
//! (`--action-ca-file`), keeps pinning the address it checked, verifies each certificate
//! against the URL's host name, and never goes through a proxy named by `HTTP_PROXY` and
//! friends. The one special-purpose range list is unit-tested in `actions::target`.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tributary::state::ActionTls;
use tributary::store::ActionOutcome;
use tributary_sdk::actions::verify_action_request;

use crate::backend_tests;
use crate::child_server::{
    admin, app_create, free_port, seed_ann_in_main, serve_command, source_create, spawn_quiet,
};
use crate::helpers::{Backend, TestApp, TestDb, TestUser};
use crate::messaging::{app_record, send, source};
use crate::tls_integration::{https_integration, TestCa};

backend_tests!(
    an_update_action_reaches_an_https_integration,
    untrusted_or_misnamed_certificates_fail_cleanly,
    proxy_variables_do_not_divert_action_requests,
    an_unusable_action_ca_file_stops_the_server,
);

/// Ann's flow with an integration ("Polls") whose thread carries `actions`.
struct Flow {
    app: TestApp,
    ann: TestUser,
    secret: String,
    source_id: i64,
    thread_id: String,
}

async fn flow_with_actions(app: TestApp, targets: &[String]) -> Flow {
    let (ann, _, flow) = app.ann_in_main().await;
    let hook = app_record(&app, &ann, "Polls").await;
    let (src, token) = source(&app, &flow, &hook, "acme/polls").await;
    let actions: Vec<Value> = targets
        .iter()
        .enumerate()
        .map(|(i, url)| {
            json!({"@type": "UpdateAction", "name": format!("Action {i}"),
                   "target": {"@type": "EntryPoint", "urlTemplate": url, "httpMethod": "POST"}})
        })
        .collect();
    let posted = send(
        app.http
            .post(app.url("/messages"))
            .header("X-flowdock-wait-for-message", "1")
            .json(&json!({
                "flow_token": token, "event": "activity", "title": "created a poll",
                "author": {"name": "polls"}, "external_thread_id": "poll:1",
                "thread": {"title": "Lunch?", "actions": actions}
            })),
    )
    .await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    Flow {
        ann,
        secret: hook.client_secret,
        source_id: src.id,
        thread_id: posted.json["thread_id"].as_str().unwrap().to_owned(),
        app,
    }
}

async fn click(base: &str, http: &reqwest::Client, token: &str, thread: &str, i: usize) -> Value {
    let res = http
        .post(format!(
            "{base}/flows/acme/main/threads/{thread}/actions/{i}"
        ))
        .basic_auth(token, Some(""))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "the click is answered: {body}");
    body
}

fn trusting(ca: &Path) -> impl FnOnce(&mut tributary::state::AppState) + '_ {
    move |state| state.actions.tls = ActionTls::new(Some(ca)).expect("the test CA loads")
}

async fn an_update_action_reaches_an_https_integration(b: Backend) {
    let ca = TestCa::new("Tributary test CA");
    let (cert, key) = ca.issue(&["localhost", "127.0.0.1"]);
    let (port, seen) = https_integration(cert, key).await;
    let app = TestApp::spawn_with(b, trusting(&ca.pem_file)).await;
    // By name (pinned to the address `localhost` resolved to) and by IP address.
    let by_name = format!("https://localhost:{port}/vote");
    let by_ip = format!("https://127.0.0.1:{port}/vote/ip");
    let f = flow_with_actions(app, &[by_name, by_ip]).await;

    for (i, origin, path) in [
        (0, format!("https://localhost:{port}"), "/vote"),
        (1, format!("https://127.0.0.1:{port}"), "/vote/ip"),
    ] {
        let result = click(&f.app.base_url, &f.app.http, &f.ann.token, &f.thread_id, i).await;
        assert_eq!(result["outcome"], "success", "{result}");
        assert_eq!(result["status"], 200);
        let got = seen
            .requests
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a request");
        assert_eq!(got.path, path);
        assert_eq!(
            verify_action_request(&got.headers, &got.body, &f.secret, &origin),
            Ok(f.ann.id),
            "a valid FLOWDOCK-TOKEN whose aud is {origin}"
        );
        let body: Value = serde_json::from_slice(&got.body).unwrap();
        assert_eq!(body["name"], format!("Action {i}"));
    }
    assert_eq!(*seen.failed_handshakes.lock().unwrap(), 0);
}

async fn untrusted_or_misnamed_certificates_fail_cleanly(b: Backend) {
    let trusted = TestCa::new("Tributary test CA");
    let stranger = TestCa::new("Someone else's CA");
    let (cert, key) = stranger.issue(&["localhost", "127.0.0.1"]);
    let (untrusted_port, untrusted) = https_integration(cert, key).await;
    // Signed by the trusted CA, but for another name than the URL's.
    let (cert, key) = trusted.issue(&["integrations.internal"]);
    let (misnamed_port, misnamed) = https_integration(cert, key).await;
    let app = TestApp::spawn_with(b, trusting(&trusted.pem_file)).await;
    let f = flow_with_actions(
        app,
        &[
            format!("https://localhost:{untrusted_port}/vote"),
            format!("https://localhost:{misnamed_port}/vote"),
        ],
    )
    .await;

    for i in 0..2 {
        let result = click(&f.app.base_url, &f.app.http, &f.ann.token, &f.thread_id, i).await;
        assert_eq!(result["outcome"], "error", "{result}");
        assert_eq!(result["status"], Value::Null, "nobody answered: {result}");
        let message = result["message"].as_str().unwrap();
        assert!(message.contains("certificate"), "says why: {message}");
    }
    assert!(untrusted.requests.lock().unwrap().is_empty());
    assert!(misnamed.requests.lock().unwrap().is_empty());
    assert!(*untrusted.failed_handshakes.lock().unwrap() >= 1);
    assert!(*misnamed.failed_handshakes.lock().unwrap() >= 1);
    let attempts = f
        .app
        .store
        .action_attempts_of_source(f.source_id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 2, "both attempts are on record");
    for a in &attempts {
        assert_eq!(a.attempt.outcome, ActionOutcome::Error);
        assert_eq!(a.attempt.status, None);
        assert!(
            a.attempt
                .error
                .as_deref()
                .unwrap_or("")
                .contains("certificate"),
            "{:?}",
            a.attempt.error
        );
    }
}

async fn proxy_variables_do_not_divert_action_requests(b: Backend) {
    let ca = TestCa::new("Tributary test CA");
    let (cert, key) = ca.issue(&["localhost", "127.0.0.1"]);
    let (https_port, https_seen) = https_integration(cert, key).await;
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    let plain_seen: Arc<Mutex<usize>> = Arc::default();
    let counter = plain_seen.clone();
    let router = Router::new().route(
        "/{*path}",
        post(move || {
            let counter = counter.clone();
            async move {
                *counter.lock().unwrap() += 1;
                StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move { axum::serve(plain, router).await });

    // The real binary, in its own process, so the proxy variables reach nothing else. The CA
    // comes through the operator's setting (`TRIBUTARY_ACTION_CA_FILE`).
    let db = TestDb::new(b).await;
    let (user, _) = seed_ann_in_main(&db, "ann@example.com", "Ann", &[]);
    let hook = admin(&db, &app_create("ann@example.com", "Polls"));
    let hook_id = hook["id"].to_string();
    let src = admin(&db, &source_create("acme/main", &hook_id, "acme/polls"));
    // Nothing listens there: a request sent to this "proxy" fails.
    let proxy = format!("http://127.0.0.1:{}", free_port());
    let port = free_port();
    let mut cmd = serve_command(port, &db);
    cmd.arg("--allow-private-action-targets")
        .env("TRIBUTARY_ACTION_CA_FILE", &ca.pem_file)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env(var, &proxy);
    }
    let _child = spawn_quiet(&mut cmd, "spawn tributary serve");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut up = false;
    for _ in 0..300 {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await {
            up = res.status().is_success();
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "tributary serve came up on {base}");

    let posted = send(
        http.post(format!("{base}/messages"))
            .header("X-flowdock-wait-for-message", "1")
            .json(&json!({
                "flow_token": src["flow_token"], "event": "activity", "title": "created a poll",
                "author": {"name": "polls"}, "external_thread_id": "poll:1",
                "thread": {"title": "Lunch?", "actions": [
                    {"@type": "UpdateAction", "name": "TLS",
                     "target": {"@type": "EntryPoint", "urlTemplate": format!("https://localhost:{https_port}/vote")}},
                    {"@type": "UpdateAction", "name": "Plain",
                     "target": {"@type": "EntryPoint", "urlTemplate": format!("http://localhost:{plain_port}/vote")}}
                ]}
            })),
    )
    .await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    let thread = posted.json["thread_id"].as_str().unwrap();
    let token = user["api_token"].as_str().unwrap();
    for i in 0..2 {
        let result = click(&base, &http, token, thread, i).await;
        assert_eq!(
            result["outcome"], "success",
            "action {i} went direct: {result}"
        );
    }
    assert_eq!(https_seen.requests.lock().unwrap().len(), 1);
    assert_eq!(*plain_seen.lock().unwrap(), 1);
}

async fn an_unusable_action_ca_file_stops_the_server(b: Backend) {
    let db = TestDb::new(b).await;
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let missing = dir.path().join("missing.pem");
    for (ca, why) in [(&empty, "no CERTIFICATE"), (&missing, "cannot read")] {
        let mut cmd = serve_command(free_port(), &db);
        let out = cmd.arg("--action-ca-file").arg(ca).output().await.unwrap();
        assert!(!out.status.success(), "the server must not start");
        let said = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(why), "{said}");
    }
}
