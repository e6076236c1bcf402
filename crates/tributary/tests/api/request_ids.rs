//! Issue 16, item 5: the request log. Every answer carries `X-Request-Id` (the client's when
//! it is sane, a new one otherwise), errors and streams included, and a 5xx is logged once,
//! at ERROR, with the request id and the error's cause chain. The 5xx are real: a table the
//! request needs is dropped under the running server.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::header::ACCEPT;
use reqwest::Response;

use crate::backend_tests;
use crate::browser::Browser;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    a_sane_request_id_is_echoed,
    a_missing_or_insane_request_id_is_replaced,
    error_answers_carry_the_request_id,
    a_stream_answer_carries_the_request_id,
    a_server_error_is_logged_once_with_its_request_id_and_cause,
    an_oauth_server_error_is_logged_once,
    a_web_page_server_error_is_logged_once,
);

const HEADER: &str = "x-request-id";

fn id_of(res: &Response) -> String {
    res.headers()
        .get(HEADER)
        .unwrap_or_else(|| panic!("no X-Request-Id on a {} answer", res.status()))
        .to_str()
        .expect("a visible ASCII id")
        .to_owned()
}

/// What the server generates: `<8 hex digits>-<counter>`.
fn is_generated(id: &str) -> bool {
    id.split_once('-').is_some_and(|(prefix, n)| {
        prefix.len() == 8
            && prefix.bytes().all(|b| b.is_ascii_hexdigit())
            && n.parse::<u64>().is_ok()
    })
}

/// `GET path`, with `X-Request-Id: id` when one is given (any bytes a header may carry).
async fn get(app: &TestApp, path: &str, id: Option<&str>, token: Option<&str>) -> Response {
    let mut req = app.http.get(app.url(path));
    if let Some(id) = id {
        let value = reqwest::header::HeaderValue::from_bytes(id.as_bytes())
            .unwrap_or_else(|e| panic!("{id:?} should be sendable: {e}"));
        req = req.header(HEADER, value);
    }
    if let Some(token) = token {
        req = req.basic_auth(token, Some(""));
    }
    req.send().await.unwrap()
}

async fn a_sane_request_id_is_echoed(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let longest = "z".repeat(128);
    for (path, id) in [
        ("/healthz", "client-42"),
        ("/user", "a.B_c~1:2/3"),
        ("/healthz", longest.as_str()),
    ] {
        let res = get(&app, path, Some(id), Some(&ann.token)).await;
        assert!(res.status().is_success(), "{path}: {}", res.status());
        assert_eq!(id_of(&res), id, "{path}");
    }
}

async fn a_missing_or_insane_request_id_is_replaced(b: Backend) {
    let app = TestApp::spawn(b).await;
    let first = id_of(&get(&app, "/healthz", None, None).await);
    let second = id_of(&get(&app, "/healthz", None, None).await);
    assert!(is_generated(&first), "{first}");
    assert!(is_generated(&second), "{second}");
    assert_ne!(first, second, "each request gets its own id");
    let too_long = "z".repeat(129);
    for insane in [
        "",
        "has a space",
        "tab\there",
        too_long.as_str(),
        "caf\u{e9}",
    ] {
        let id = id_of(&get(&app, "/healthz", Some(insane), None).await);
        assert!(is_generated(&id), "{insane:?} was answered with {id:?}");
    }
}

async fn error_answers_carry_the_request_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    for (path, status) in [("/no/such/thing", 404), ("/flows", 401)] {
        let res = get(&app, path, Some("lost-1"), None).await;
        assert_eq!(res.status(), status, "{path}");
        assert_eq!(id_of(&res), "lost-1", "{path}");
    }
    let wrong_method = app.http.delete(app.url("/healthz")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(is_generated(&id_of(&wrong_method)));
    let ann = app.user("ann").await;
    let too_big = app
        .http
        .post(app.url("/flows/acme"))
        .basic_auth(&ann.token, Some(""))
        .header("content-type", "application/json")
        .body(vec![b' '; crate::helpers::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert!(too_big.status().is_client_error(), "{}", too_big.status());
    assert!(is_generated(&id_of(&too_big)));
}

async fn a_stream_answer_carries_the_request_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ann, _, _) = app.ann_in_main().await;
    for accept in ["text/event-stream", "application/json"] {
        let res = app
            .http
            .get(app.url("/stream/flows/acme/main"))
            .basic_auth(&ann.token, Some(""))
            .header(ACCEPT, accept)
            .header(HEADER, "stream-7")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{accept}");
        assert_eq!(id_of(&res), "stream-7", "{accept}");
    }
}

/// Log lines written while the returned guard lives, on this thread (the test's runtime runs
/// the server's tasks on it), at the server's default level, `info`.
struct Captured {
    lines: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(lines.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    Captured {
        lines,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

impl Captured {
    fn errors(&self) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.lines.lock().unwrap()).into_owned();
        text.lines()
            .filter(|l| l.contains(" ERROR "))
            .map(str::to_owned)
            .collect()
    }
}

/// Drops `table` under the running server, so that the next request needing it fails.
async fn drop_table(app: &TestApp, table: &str) {
    match app.db.url.strip_prefix("sqlite://") {
        Some(path) => {
            let db = rusqlite::Connection::open(path).unwrap();
            db.execute_batch(&format!("DROP TABLE {table}")).unwrap();
        }
        None => {
            let (client, conn) = tokio_postgres::connect(&app.db.url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP TABLE {table} CASCADE"))
                .await
                .unwrap();
        }
    }
}

/// The one ERROR line: `request.failed` with the request's fields and the cause chain.
fn assert_logged_once(errors: &[String], id: &str, route: &str, chain: &str) {
    assert_eq!(errors.len(), 1, "one ERROR line for the 5xx: {errors:#?}");
    let line = &errors[0];
    for part in [
        "request.failed",
        &format!("http.request_id=\"{id}\""),
        &format!("http.route=\"{route}\""),
        "http.status=500",
        &format!("error.chain=\"{chain}"),
    ] {
        assert!(line.contains(part), "{part:?} missing from {line}");
    }
}

async fn a_server_error_is_logged_once_with_its_request_id_and_cause(b: Backend) {
    let logs = capture_logs();
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    drop_table(&app, "organizations").await;
    let res = get(&app, "/organizations", Some("broken-1"), Some(&ann.token)).await;
    assert_eq!(res.status(), 500);
    assert_eq!(id_of(&res), "broken-1");
    let body = res.text().await.unwrap();
    assert!(!body.contains("organizations"), "no detail is sent: {body}");
    let errors = logs.errors();
    assert_logged_once(
        &errors,
        "broken-1",
        "/organizations",
        "Internal server error",
    );
    assert_cause_names(&errors[0], "organizations");
}

/// The log line carries the database's own error, which names the dropped table, on both
/// backends: the store and API errors keep their sources.
fn assert_cause_names(line: &str, table: &str) {
    let chain = line.split("error.chain=").nth(1).unwrap_or("");
    assert!(
        chain.contains(table),
        "the chain reaches the database's error about {table}: {line}"
    );
}

async fn an_oauth_server_error_is_logged_once(b: Backend) {
    let logs = capture_logs();
    let app = TestApp::spawn(b).await;
    drop_table(&app, "applications").await;
    let res = app
        .http
        .post(app.url("/oauth/token"))
        .header(HEADER, "broken-oauth")
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "some-client"),
            ("client_secret", "some-secret"),
            ("refresh_token", "whatever"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(id_of(&res), "broken-oauth");
    let errors = logs.errors();
    assert_logged_once(&errors, "broken-oauth", "/oauth/token", "");
    // The OAuth answer keeps the store's error itself, with its sources.
    assert_cause_names(&errors[0], "applications");
}

async fn a_web_page_server_error_is_logged_once(b: Backend) {
    let logs = capture_logs();
    let app = TestApp::spawn(b).await;
    let ann = app.user("ann").await;
    let browser = Browser::new(&app);
    browser.login(&ann).await;
    drop_table(&app, "flows").await;
    let res = browser
        .http
        .get(app.url("/app"))
        .header(HEADER, "broken-page")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(id_of(&res), "broken-page");
    let errors = logs.errors();
    assert_logged_once(&errors, "broken-page", "/app", "Internal server error");
    assert_cause_names(&errors[0], "flows");
}
