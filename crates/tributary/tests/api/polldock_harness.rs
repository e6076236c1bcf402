//! Tributary and Polldock as real processes, for the guide's end-to-end tests
//! (`polldock_guide` over HTTP, `ui_polldock` in Chromium): Ann's organization and flow, and
//! Polldock registered and started the way its README says.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::child_server::{admin, free_port, seed_ann_in_main, serve_command, spawn_quiet};
use crate::helpers::{Backend, TestDb};

/// The Polldock binary, built beside `tributary` by `cargo test --workspace` (Polldock's
/// own tests need it too). `cargo test -p tributary` alone does not build it, so a missing or
/// stale binary fails here, naming the command that fixes it, rather than testing old code.
pub(crate) fn polldock_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_tributary")).with_file_name("polldock");
    let fix = "run `cargo test --workspace` (or `cargo build -p polldock`) first";
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is missing: {fix}", path.display()));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    for dir in ["examples/polldock/src", "crates/tributary-sdk/src"] {
        if let Some(newer) = newest_file(&root.join(dir)).filter(|(t, _)| *t > built) {
            panic!(
                "{} is older than {}: {fix}",
                path.display(),
                newer.1.display()
            );
        }
    }
    path
}

/// The most recently modified file under `dir`.
fn newest_file(dir: &std::path::Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let found = if path.is_dir() {
            newest_file(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (t, path))
        };
        if let Some(f) = found {
            if newest.as_ref().is_none_or(|n| f.0 > n.0) {
                newest = Some(f);
            }
        }
    }
    newest
}

/// Waits until `url` answers at all.
pub(crate) async fn wait_for(url: &str) {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if http.get(url).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not come up");
}

/// Tributary and Polldock running, with Ann's organization, flow and the registered app.
pub(crate) struct Guide {
    pub _db: TestDb,
    pub _dir: tempfile::TempDir,
    pub tributary: String,
    pub polldock: String,
    pub app_id: i64,
    pub ann_email: String,
    pub ann_password: String,
    pub ann_token: String,
    pub flow_id: String,
    _processes: Vec<tokio::process::Child>,
}

impl Guide {
    pub(crate) async fn start() -> Guide {
        let db = TestDb::new(Backend::Sqlite).await;
        let dir = tempfile::tempdir().unwrap();
        let (t_port, p_port) = (free_port(), free_port());
        let tributary = format!("http://127.0.0.1:{t_port}");
        let polldock = format!("http://127.0.0.1:{p_port}");
        let password = "pw-ann-guide";
        let (ann, flow) = seed_ann_in_main(
            &db,
            "ann@guide.example",
            "Ann Guide",
            &["--password", password],
        );
        // The README's first line: register Polldock.
        let app = admin(
            &db,
            &[
                "app",
                "create",
                "--owner",
                "ann@guide.example",
                "--name",
                "Polldock",
                "--redirect-uri",
                &format!("{polldock}/auth/flowdock/callback"),
                "--setup-uri",
                &format!("{polldock}/flowdock/setup"),
                "--configuration-uri",
                &format!("{polldock}/flowdock/configure"),
                "--published",
            ],
        );
        let t = spawn_quiet(
            serve_command(t_port, &db).arg("--allow-private-action-targets"),
            "spawn tributary serve",
        );
        // The README's second line: run Polldock with the application it printed.
        let p = spawn_quiet(
            tokio::process::Command::new(polldock_binary())
                .args(["--listen", &format!("127.0.0.1:{p_port}")])
                .args(["--tributary-url", &tributary])
                .args(["--app", &app.to_string()])
                .arg("--database")
                .arg(dir.path().join("polldock.db")),
            "spawn polldock",
        );
        wait_for(&format!("{tributary}/healthz")).await;
        wait_for(&format!("{polldock}/")).await;
        Guide {
            _db: db,
            _dir: dir,
            tributary,
            polldock,
            app_id: app["id"].as_i64().unwrap(),
            ann_email: "ann@guide.example".into(),
            ann_password: password.into(),
            ann_token: ann["api_token"].as_str().unwrap().to_owned(),
            flow_id: flow["id"].as_str().unwrap().to_owned(),
            _processes: vec![t, p],
        }
    }

    pub(crate) async fn api(&self, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
        let res = reqwest::Client::new()
            .request(method, format!("{}{path}", self.tributary))
            .basic_auth(&self.ann_token, Some(""))
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The flow's threads from the API.
    pub(crate) async fn threads(&self) -> Vec<Value> {
        let (_, v) = self
            .api(
                reqwest::Method::GET,
                "/flows/acme/main/threads?application=inbox",
            )
            .await;
        v.as_array().cloned().unwrap_or_default()
    }

    pub(crate) async fn thread(&self, external_id: &str) -> Option<Value> {
        self.threads()
            .await
            .into_iter()
            .find(|t| t["external_thread_id"] == external_id)
    }

    pub(crate) async fn source(&self) -> Option<Value> {
        let (_, v) = self
            .api(reqwest::Method::GET, "/flows/acme/main/sources")
            .await;
        v.as_array().and_then(|a| a.first().cloned())
    }
}
