//! A real third-party client: the PyPI package `flowdock-api-wrapper` uploads a file with
//! `flow.upload(path)` and downloads it with `flow.download(path)`, its module-level `API`
//! pointed at the test server. `scripts/python-client-venv` installs it once into a virtualenv
//! under the target directory.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(flowdock_api_wrapper_uploads_and_downloads);

static PYTHON: OnceCell<PathBuf> = OnceCell::const_new();

/// The virtualenv's python, created on first use (both backends' tests share it).
async fn python() -> PathBuf {
    PYTHON
        .get_or_init(|| async {
            let script = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../scripts/python-client-venv"
            );
            let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-client");
            let out = tokio::process::Command::new("bash")
                .arg(script)
                .arg(&venv)
                .output()
                .await
                .expect("run scripts/python-client-venv");
            assert!(
                out.status.success(),
                "scripts/python-client-venv failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
        })
        .await
        .clone()
}

async fn flowdock_api_wrapper_uploads_and_downloads(b: Backend) {
    let python = python().await;
    let app = TestApp::spawn(b).await;
    let (ann, _, flow) = app.ann_in_main().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("diagram.png");
    let bytes = crate::files_upload::png(70_000);
    std::fs::write(&file, &bytes).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/flowdock_wrapper_files.py"
    );
    let base = app.base_url.clone();
    let token = ann.token.clone();
    let file_arg = file.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([&base, &token, "acme", "main"])
            .arg(&file_arg)
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "flowdock-api-wrapper failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(result["downloaded"], bytes.len());
    let m = &result["message"];
    assert_eq!(m["event"], "file");
    let a = &m["attachments"][0];
    assert_eq!(a["file_name"], "diagram.png");
    // requests sends the part without a Content-Type: the name tells.
    assert_eq!(a["content_type"], "image/png");
    assert_eq!(a["file_size"], bytes.len());
    assert!(a["path"]
        .as_str()
        .unwrap()
        .starts_with(&format!("/files/{}/", flow.id)));
    let stored = ann
        .client
        .messages()
        .get("acme", "main", m["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&stored.attachments).unwrap(),
        m["attachments"]
    );
}
