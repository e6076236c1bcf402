//! A real third-party client: node-flowdock (npm package `flowdock`, as hubot-flowdock uses
//! it) streams a flow from the test server and receives what is posted.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{Backend, TestApp};

const PACKAGE: &str = "flowdock@0.9.1";

/// Installs node-flowdock once into the test scratch directory; later runs reuse it.
pub(crate) async fn node_flowdock() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("node-flowdock");
    let installed = dir.join("node_modules/flowdock/package.json");
    if !installed.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let out = tokio::process::Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(&dir)
            .arg(PACKAGE)
            .output()
            .await
            .expect("npm is installed (scripts/test installs nodejs and npm)");
        assert!(
            out.status.success(),
            "npm install {PACKAGE}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir.join("node_modules")
}

#[tokio::test]
async fn node_flowdock_receives_posted_messages() {
    let node_path = node_flowdock().await;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (ann, _, flow) = app.ann_in_main().await;
    let flow_env = [("FLOWDOCK_FLOW", flow.id.clone())];
    let (_child, mut lines) =
        node_client("node_stream.js", &node_path, &app, &ann.token, &flow_env);
    assert_eq!(next(&mut lines).await, json!({"connected": true}));
    for text in ["hello from tributary", "second", "third #tagged"] {
        let res = app
            .http
            .post(app.url("/flows/acme/main/messages"))
            .basic_auth(&ann.token, Some(""))
            .json(&json!({"event": "message", "content": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = next(&mut lines).await;
        assert_eq!(m["flow"], json!(flow.id));
        assert_eq!(m["user"], json!(ann.id.to_string()));
        got.push(m["content"].as_str().unwrap().to_owned());
    }
    assert_eq!(got, vec!["hello from tributary", "second", "third #tagged"]);
}

/// What a node client prints, line by line.
pub(crate) type NodeLines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// Starts `tests/clients/<script>` with node-flowdock pointed at `app`, authenticated with
/// `token`, with `env` added; the child is killed when dropped.
pub(crate) fn node_client(
    script: &str,
    node_path: &std::path::Path,
    app: &TestApp,
    token: &str,
    env: &[(&str, String)],
) -> (tokio::process::Child, NodeLines) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients")
        .join(script);
    let mut child = tokio::process::Command::new("node")
        .arg(&script)
        .env("NODE_PATH", node_path)
        // node-flowdock's default is https://stream.flowdock.com/flows: only the base changes.
        .env("FLOWDOCK_STREAM_URL", app.url("/flows"))
        .env("FLOWDOCK_API_URL", &app.base_url)
        .env("FLOWDOCK_TOKEN", token)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    (child, lines)
}

/// The client's next printed line, as JSON.
pub(crate) async fn next(lines: &mut NodeLines) -> Value {
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("node-flowdock printed a line in time")
        .unwrap()
        .expect("node-flowdock is still running");
    serde_json::from_str(&line).unwrap()
}
