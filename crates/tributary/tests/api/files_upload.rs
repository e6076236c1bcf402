//! Uploads (flowdock/api-docs docs/files.md, flowdock/api-docs docs/messages.md "File Upload"): multipart and base64 JSON `file`
//! events, into the chat, a thread and through `POST /messages`; validation, idempotency and
//! the size limit. Attachments on inbox items are in `files_attachments.rs`.

use reqwest::Method;
use serde_json::{json, Value};
use tributary_sdk::{FileUpload, Multipart};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};
use crate::messaging::{send, Room};

backend_tests!(
    a_multipart_upload_stores_a_file_message,
    a_base64_json_upload_stores_the_same,
    uploads_go_into_threads_and_through_post_messages,
    uploads_that_do_not_fit_the_event_are_400,
    an_upload_over_the_limit_is_413_and_leaves_nothing,
    deleting_ones_own_file_removes_it,
);

/// A 2x3 PNG header: enough for the dimensions (nothing decodes the pixels).
pub(crate) fn png(extra: usize) -> Vec<u8> {
    let mut b = vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 2, 0, 0, 0, 3, 8, 6, 0, 0, 0, 0, 0, 0, 0,
    ];
    b.extend((0..extra).map(|i| (i % 251) as u8));
    b
}

pub(crate) fn is_path_of(path: &Value, flow_id: &str, name: &str) -> bool {
    let p = path.as_str().unwrap_or("");
    p.starts_with(&format!("/files/{flow_id}/")) && p.ends_with(&format!("/{name}"))
}

async fn a_multipart_upload_stores_a_file_message(b: Backend) {
    let r = Room::new(b).await;
    let bytes = png(5000);
    let file = FileUpload::new("screen shot.png", "image/png", bytes.clone());
    let m = r.ann_uploads(&r.flow, &file).await;
    assert_eq!(m.event, "file");
    assert_eq!(m.app.as_deref(), Some("chat"));
    assert_eq!(m.user, r.ann.id.to_string());
    assert!(m.tags.contains(&":file".to_owned()), "{:?}", m.tags);
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(
        m.content, *a,
        "content is the attachment (message-types.md)"
    );
    assert_eq!(a["file_name"], "screen shot.png");
    assert_eq!(a["file_size"], bytes.len());
    assert_eq!(a["content_type"], "image/png");
    assert!(
        is_path_of(&a["path"], &r.flow.id, "screen%20shot.png"),
        "{a}"
    );
    assert_eq!(a["image"], json!({"width": 2, "height": 3}));
    assert_eq!(a["thumbnail"]["path"], a["path"]);
    assert_eq!(a["thumbnail"]["width"], 2);
    // Stored as posted: the list, the `:file` tag and the `file` event find it.
    let listed = r.messages("?tags=:file").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["attachments"], json!(m.attachments));
    assert_eq!(r.messages("?event=file").await.len(), 1);
    let back = r.download(&r.ann, a["path"].as_str().unwrap()).await;
    assert_eq!(back.bytes, bytes);
    assert_eq!(back.header("content-type"), Some("image/png"));
}

async fn a_base64_json_upload_stores_the_same(b: Backend) {
    let r = Room::new(b).await;
    let org = &r.org.parameterized_name;
    let text = "line one\nline two é\n".repeat(50).into_bytes();
    let file = FileUpload::new("notes.txt", "text/plain", text.clone());
    let files = r.ann.client.files();
    let m = files.upload_base64(org, "main", &file).await.unwrap();
    assert_eq!(m.event, "file");
    let a = &m.attachments[0];
    assert_eq!(a["file_name"], "notes.txt");
    assert_eq!(a["content_type"], "text/plain");
    assert_eq!(a["file_size"], text.len());
    assert!(a.get("image").is_none(), "not an image");
    // The docs' example: base64 with line breaks, as Ruby's encoder writes it.
    let wrapped = "aGVsbG8g\nd29ybGQ=\n";
    let raw = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "file", "content": {"data": wrapped, "content_type": "text/plain", "file_name": "hello.txt"}}),
        )
        .await;
    assert_eq!(raw.status, 201, "{}", raw.text);
    // An idempotent retry replays the answer and stores nothing twice; the same key with
    // another file is refused.
    let keyed = |data: &str| {
        r.as_user(&r.ann, Method::POST, &r.path("/messages"))
            .header("Idempotency-Key", "upload-1")
            .json(&json!({"event": "file", "content": {"data": data, "file_name": "k.txt"}}))
    };
    let first = send(keyed("Zmlyc3Q=")).await;
    let again = send(keyed("Zmlyc3Q=")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json["id"], first.json["id"]);
    assert_eq!(send(keyed("b3RoZXI=")).await.status, 422);
    assert_eq!(r.messages("?event=file").await.len(), 3);
    let back = r
        .download(&r.ann, raw.json["attachments"][0]["path"].as_str().unwrap())
        .await;
    assert_eq!(back.bytes, b"hello world");
    let back = r.download(&r.ann, a["path"].as_str().unwrap()).await;
    assert_eq!(back.bytes, text);
}

async fn uploads_go_into_threads_and_through_post_messages(b: Backend) {
    let r = Room::new(b).await;
    let org = &r.org.parameterized_name;
    let chat = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "message", "content": "see the log"}),
        )
        .await;
    let thread = chat.json["thread_id"].as_str().unwrap().to_owned();
    let file = FileUpload::new("build.log", "text/plain", b"ok\n".to_vec());
    let m = r
        .bob
        .client
        .files()
        .upload_to_thread(org, "main", &thread, &file)
        .await
        .unwrap();
    assert_eq!(m.thread_id.as_deref(), Some(thread.as_str()));
    let t = m.thread.expect("thread state");
    assert_eq!(t.internal_comments, 2, "the chat message and the file");

    // POST /messages names the flow in a field, as a user...
    let form = Multipart::new()
        .text("event", "file")
        .text("flow", &r.flow.id)
        .file(
            "content",
            &FileUpload::new("a.csv", "text/csv", b"a,b\n".to_vec()),
        );
    let a = send(
        r.as_user(&r.ann, Method::POST, "/messages")
            .header("content-type", form.content_type())
            .body(form.finish()),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.json["attachments"][0]["content_type"], "text/csv");
    // ... and as an integration with its flow_token (202, the name it posts under).
    let form = Multipart::new()
        .text("event", "file")
        .text("flow_token", &r.token)
        .text("external_user_name", "CI")
        .file(
            "content",
            &FileUpload::new("report.html", "text/html", b"<p>hi</p>".to_vec()),
        );
    let a = send(
        r.app
            .http
            .post(r.app.url("/messages"))
            .header("content-type", form.content_type())
            .body(form.finish()),
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.text);
    assert_eq!(a.json, json!({}));
    let files = r.messages("?event=file").await;
    assert_eq!(files.len(), 3);
    assert_eq!(files[2]["user"], "0");
    assert_eq!(files[2]["app"], "influx");
    assert_eq!(files[2]["external_user_name"], "CI");
}

async fn uploads_that_do_not_fit_the_event_are_400(b: Backend) {
    let r = Room::new(b).await;
    let multipart = |form: Multipart| {
        r.as_user(&r.ann, Method::POST, &r.path("/messages"))
            .header("content-type", form.content_type())
            .body(form.finish())
    };
    let f = FileUpload::new("a.txt", "text/plain", b"a".to_vec());
    // A file on a chat message, two files in one `file`, attachments on a `file`, a file part
    // under another name, a `file` without one.
    let cases: Vec<(Multipart, &str)> = vec![
        (
            Multipart::new()
                .text("event", "message")
                .text("content", "hi")
                .file("attachments[x]", &f),
            "event",
        ),
        (Multipart::new().text("event", "file"), "content"),
        (
            Multipart::new()
                .text("event", "file")
                .file("content", &f)
                .file("attachments[x]", &f),
            "attachments",
        ),
        (
            Multipart::new().text("event", "file").file("upload", &f),
            "upload",
        ),
        (
            Multipart::new()
                .text("event", "file")
                .file("attachments[a b]", &f),
            "attachments",
        ),
    ];
    for (form, field) in cases {
        let a = send(multipart(form)).await;
        assert_eq!(a.status, 400, "{}", a.text);
        assert!(a.json["errors"][field].is_array(), "{field}: {}", a.text);
    }
    let bad = r
        .user_post(
            &r.ann,
            &r.path("/messages"),
            json!({"event": "file", "content": {"data": "%%%", "file_name": "x"}}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json["errors"]["content.data"].is_array(),
        "{}",
        bad.text
    );
    let json_attachments = r
        .token_post(json!({
            "event": "activity", "title": "t", "author": {"name": "a"},
            "external_thread_id": "x", "thread": {"title": "t"},
            "attachments": [{"file_name": "x"}]
        }))
        .await;
    assert_eq!(json_attachments.status, 400);
    assert!(json_attachments.json["errors"]["attachments"].is_array());
    let broken = send(
        r.as_user(&r.ann, Method::POST, &r.path("/messages"))
            .header("content-type", "multipart/form-data; boundary=xyz")
            .body("--xyz\r\nnot a part"),
    )
    .await;
    assert_eq!(broken.status, 400, "{}", broken.text);
    assert!(r.messages("").await.is_empty(), "nothing was stored");
    assert_spool_empty(&r.app);
}

/// No upload is left half-written in the spool directory. The PostgreSQL store spools in a
/// directory that every test of this process shares, so only the SQLite one is checked.
pub(crate) fn assert_spool_empty(app: &TestApp) {
    let dir = app.blobs.spool_dir();
    if dir.starts_with(std::env::temp_dir().join("tributary-uploads")) {
        return;
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

async fn an_upload_over_the_limit_is_413_and_leaves_nothing(b: Backend) {
    let app = TestApp::spawn_with(b, |s| s.files.max_upload_bytes = 64 * 1024).await;
    let (ann, _, _) = app.ann_in_main().await;
    let files = ann.client.files();
    let big = FileUpload::new("big.bin", "application/octet-stream", vec![7u8; 200 * 1024]);
    for result in [
        files.upload("acme", "main", &big).await,
        files.upload_base64("acme", "main", &big).await,
    ] {
        match result {
            Err(tributary_sdk::Error::Api { status, message }) => {
                assert_eq!(status, 413);
                assert!(message.contains("65536 bytes"), "{message}");
            }
            other => panic!("expected 413, got {other:?}"),
        }
    }
    // Exactly at the limit is fine.
    let fits = FileUpload::new("fits.bin", "application/octet-stream", vec![1u8; 64 * 1024]);
    let m = files.upload("acme", "main", &fits).await.unwrap();
    assert_eq!(m.attachments[0]["file_size"], 64 * 1024);
    let listed = ann
        .client
        .messages()
        .list("acme", "main", &Default::default())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "the refused uploads stored nothing");
    // The raw answer is JSON with a message, as every error.
    let res = app
        .http
        .post(app.url("/flows/acme/main/messages"))
        .basic_auth(&ann.token, Some(""))
        .json(&json!({"event": "file", "content": {"data": "A".repeat(200 * 1024), "file_name": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("upload limit"),
        "{body}"
    );
    assert_spool_empty(&app);
}

async fn deleting_ones_own_file_removes_it(b: Backend) {
    let r = Room::new(b).await;
    let org = &r.org.parameterized_name;
    let f = FileUpload::new("gone.txt", "text/plain", b"bye".to_vec());
    let m = r.ann.client.files().upload(org, "main", &f).await.unwrap();
    let path = m.attachments[0]["path"].as_str().unwrap().to_owned();
    // Not Bob's to delete.
    let other = send(r.as_user(
        &r.bob,
        Method::DELETE,
        &r.path(&format!("/messages/{}", m.id)),
    ))
    .await;
    assert_eq!(other.status, 403);
    r.ann
        .client
        .messages()
        .delete(org, "main", m.id)
        .await
        .unwrap();
    assert!(r.messages("?event=file").await.is_empty());
    match r.ann.client.files().download(&path).await {
        Err(tributary_sdk::Error::NotFound { .. }) => {}
        other => panic!("expected 404, got {other:?}"),
    }
}
