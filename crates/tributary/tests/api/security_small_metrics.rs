//! Issue 15, the small ones (4/4): `/metrics` behind a bearer token, or on a listener of its
//! own, in process and through `tributary serve`.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tributary::metrics::{Metrics, MetricsAccess};

use crate::backend_tests;
use crate::child_server::free_port;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    a_metrics_token_guards_metrics,
    metrics_on_their_own_listener_leave_the_api_listener,
    serve_takes_the_metrics_flags_and_environment,
);

const TOKEN: &str = "metrics-secret-0123456789";

async fn a_metrics_token_guards_metrics(b: Backend) {
    let app = TestApp::spawn_with(b, |state| {
        state.metrics = Arc::new(Metrics::new(MetricsAccess::new(Some(TOKEN), false)));
    })
    .await;
    let get = || app.http.get(app.url("/metrics"));
    let refused = [
        get(),
        get().bearer_auth("wrong"),
        get().bearer_auth(format!("{TOKEN}x")),
        get().bearer_auth(&TOKEN[..TOKEN.len() - 1]),
        get().basic_auth(TOKEN, Some("")),
        get().query(&[("access_token", TOKEN)]),
        get().header("authorization", format!("bearer{TOKEN}")),
    ];
    for req in refused {
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let body: Value = res.json().await.unwrap();
        assert!(body["message"].is_string(), "{body}");
    }
    let res = get().bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(text.contains("tributary_http_requests_total"), "{text}");
    // The scheme name is case-insensitive (RFC 7235).
    let res = get()
        .header("authorization", format!("bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn metrics_on_their_own_listener_leave_the_api_listener(b: Backend) {
    let captured = Arc::new(Mutex::new(None));
    let slot = captured.clone();
    let app = TestApp::spawn_with(b, move |state| {
        state.metrics = Arc::new(Metrics::new(MetricsAccess::new(None, true)));
        *slot.lock().unwrap() = Some(state.clone());
    })
    .await;
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].is_string());
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let state = captured.lock().unwrap().take().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tributary::server::serve(
        listener,
        tributary::server::metrics_router(state),
        async {
            let _ = rx.await;
        },
    ));
    let res = app
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("/healthz"));
    // Nothing but the metrics there.
    for path in ["/flows", "/healthz", "/messages"] {
        let res = app.http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}

async fn serve_takes_the_metrics_flags_and_environment(b: Backend) {
    let db = crate::helpers::TestDb::new(b).await;
    let (api, metrics) = (free_port(), free_port());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tributary"))
        .args(["serve", "--database", &db.url])
        .args(["--listen", &format!("127.0.0.1:{api}")])
        .args(["--metrics-listen", &format!("127.0.0.1:{metrics}")])
        .env("TRIBUTARY_METRICS_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let metrics_url = format!("http://127.0.0.1:{metrics}/metrics");
    let mut up = false;
    for _ in 0..100 {
        if let Ok(res) = http.get(&metrics_url).bearer_auth(TOKEN).send().await {
            assert_eq!(res.status(), 200);
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the metrics listener answers");
    let res = http.get(&metrics_url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = http
        .get(format!("http://127.0.0.1:{api}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = http
        .get(format!("http://127.0.0.1:{api}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let status = crate::helpers::signal_and_wait(&mut child, "TERM").await;
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
}
