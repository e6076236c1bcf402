//! Issue 15, point 2: credentials before bodies. A post whose body is larger than the plain
//! body limit authenticates from outside the body (the Authorization header, `access_token` or
//! `flow_token` in the query; for multipart, a `flow_token` field before the first file) before
//! the server reads on; a bad or missing credential answers at once. Uploads run a bounded
//! number at a time, and the memory of the real binary stays flat under unauthenticated
//! uploads and holds no copy of an authenticated one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use tributary_sdk::{FileUpload, Multipart};

use crate::backend_tests;
use crate::files_upload::{assert_spool_empty, png};
use crate::helpers::{Backend, TestApp, MAX_BODY_BYTES};
use crate::messaging::{send, Room};
use crate::raw_http::{
    assert_refused, basic, json_prefix, multipart_prefix, multipart_type, open_post,
    partial_chunked_post, partial_post,
};

backend_tests!(
    unauthenticated_big_bodies_are_refused_before_they_are_read,
    big_uploads_carry_their_credential_outside_the_body,
    uploads_beyond_the_concurrency_limit_get_503,
);

async fn unauthenticated_big_bodies_are_refused_before_they_are_read(b: Backend) {
    let r = Room::new(b).await;
    let app = &r.app;
    let path = r.path("/messages");
    let over = 2 * MAX_BODY_BYTES;
    let json_type = "application/json";
    // No credential at all, JSON and multipart.
    let a = partial_post(app, &path, &[], json_type, &json_prefix("", over)).await;
    assert_refused(&a, 401);
    assert!(
        a.json["message"].as_str().unwrap().contains("header"),
        "says where the credential goes: {a:?}"
    );
    // Without a declared length: the first max_body_bytes are read, then refused.
    let chunked = partial_chunked_post(app, &path, &json_prefix("", over)).await;
    assert_refused(&chunked, 401);
    let mp = multipart_prefix(&[("event", "file")], over);
    assert_refused(
        &partial_post(app, &path, &[], &multipart_type(), &mp).await,
        401,
    );
    // A flow_token inside a big JSON body is not read: the credential goes outside it.
    let inside = json_prefix(&format!(r#""flow_token":"{}","#, r.token), over);
    assert_refused(
        &partial_post(app, "/messages", &[], json_type, &inside).await,
        401,
    );
    // A multipart flow_token after the first file comes too late.
    let file_first = multipart_prefix(&[], over);
    assert_refused(
        &partial_post(app, "/messages", &[], &multipart_type(), &file_first).await,
        401,
    );
    // Bad credentials in the header and in the query.
    let body = json_prefix("", over);
    for (path, headers) in [
        (path.clone(), vec![basic("not-a-token")]),
        (
            path.clone(),
            vec![("Authorization", "Bearer not-a-token".to_owned())],
        ),
        (format!("{path}?access_token=nope"), vec![]),
        ("/messages?flow_token=nope".to_owned(), vec![]),
    ] {
        let a = partial_post(app, &path, &headers, json_type, &body).await;
        assert_refused(&a, 401);
        assert!(a.header("flowdock-user").is_none(), "{a:?}");
    }
    // A removed source's token answers 410, as on every path.
    app.store
        .remove_source(r.source.id, "removed")
        .await
        .unwrap();
    let gone = partial_post(
        app,
        &format!("/messages?flow_token={}", r.token),
        &[],
        json_type,
        &body,
    )
    .await;
    assert_refused(&gone, 410);
    assert_eq!(gone.json["reason"], "removed");
    assert!(r.messages("").await.is_empty(), "nothing was stored");
    // The refused bodies leave nothing behind (the server has let go of them by now).
    for _ in 0..50 {
        if spool_is_empty(app) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_spool_empty(app);
}

fn spool_is_empty(app: &TestApp) -> bool {
    std::fs::read_dir(app.blobs.spool_dir())
        .map(|d| d.count() == 0)
        .unwrap_or(true)
}

/// `bytes` in base64 as Ruby's encoder writes it (a line break every 60 characters), in a
/// JSON text whose slashes are escaped, as PHP's `json_encode` writes them.
fn wrapped_json_upload(bytes: &[u8], name: &str, extra: Value) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(60)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let data = lines.join("\n") + "\n";
    let mut post = json!({"event": "file", "content": {"data": data, "file_name": name, "content_type": "image/png"}});
    if let (Some(post), Value::Object(extra)) = (post.as_object_mut(), extra) {
        post.extend(extra);
    }
    post.to_string().replace('/', "\\/")
}

/// What a chat post with a flow_token needs besides its content.
fn ci() -> Value {
    json!({"external_user_name": "CI"})
}

async fn big_uploads_carry_their_credential_outside_the_body(b: Backend) {
    let r = Room::new(b).await;
    let org = &r.org.parameterized_name;
    let bytes = png(300 * 1024);
    let download = |path: Value| {
        let client = r.ann.client.clone();
        async move {
            client
                .files()
                .download(path.as_str().unwrap())
                .await
                .unwrap()
                .bytes
        }
    };
    // A user's JSON upload, line breaks and escapes included, and with the SDK.
    let body = wrapped_json_upload(&bytes, "wrapped.png", json!({}));
    assert!(body.len() > 4 * MAX_BODY_BYTES && body.contains("\\/"));
    let a = send(
        r.as_user(&r.ann, Method::POST, &r.path("/messages"))
            .header("content-type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.headers["flowdock-user"], r.ann.id.to_string());
    let file = &a.json["attachments"][0];
    assert_eq!(file["file_size"], bytes.len());
    assert_eq!(file["image"], json!({"width": 2, "height": 3}));
    assert_eq!(download(file["path"].clone()).await, bytes);
    let upload = FileUpload::new("sdk.png", "image/png", bytes.clone());
    let m = r
        .ann
        .client
        .files()
        .upload_base64(org, "main", &upload)
        .await
        .unwrap();
    assert_eq!(download(m.attachments[0]["path"].clone()).await, bytes);
    let m = r
        .ann
        .client
        .files()
        .upload(org, "main", &upload)
        .await
        .unwrap();
    assert_eq!(download(m.attachments[0]["path"].clone()).await, bytes);
    // An integration: flow_token in the query (JSON), or a field before the file (multipart).
    let a = send(
        r.app
            .http
            .post(r.app.url(&format!("/messages?flow_token={}", r.token)))
            .header("X-flowdock-wait-for-message", "1")
            .header("content-type", "application/json")
            .body(wrapped_json_upload(&bytes, "query.png", ci())),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json["user"], "0");
    assert_eq!(
        download(a.json["attachments"][0]["path"].clone()).await,
        bytes
    );
    let form = Multipart::new()
        .text("flow_token", &r.token)
        .text("event", "file")
        .text("external_user_name", "CI")
        .file("content", &upload);
    let a = r.token_post_form(form).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        download(a.json["attachments"][0]["path"].clone()).await,
        bytes
    );
    // The credential outside and a different flow_token inside: the one outside counts, and
    // the mismatch is refused (once the body is in, so the answer is clean).
    let mut mismatch: Value =
        serde_json::from_str(&wrapped_json_upload(&bytes, "x.png", ci())).unwrap();
    mismatch["flow_token"] = json!("another-token");
    let a = send(
        r.app
            .http
            .post(r.app.url(&format!("/messages?flow_token={}", r.token)))
            .json(&mismatch),
    )
    .await;
    assert_eq!(a.status, 401, "{}", a.text);
    // Small posts keep every credential form, flow_token in the JSON body included.
    let a = r
        .token_post(json!({"event": "file", "external_user_name": "CI", "content": {"data": "aGk=", "file_name": "hi.txt"}}))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(r.messages("?event=file").await.len(), 6);
    assert_spool_empty(&r.app);
}

async fn uploads_beyond_the_concurrency_limit_get_503(b: Backend) {
    let slot = Arc::new(Mutex::new(None));
    let app = {
        let slot = slot.clone();
        TestApp::spawn_with(b, move |s| {
            s.files.set_max_concurrent_uploads(1);
            s.files.upload_wait = Duration::from_millis(200);
            *slot.lock().unwrap() = Some(s.files.uploads.clone());
        })
        .await
    };
    let uploads = slot.lock().unwrap().take().unwrap();
    let (ann, _, _) = app.ann_in_main().await;
    let path = "/flows/acme/main/messages";
    let auth = [basic(&ann.token)];
    let body = json_prefix("", 2 * MAX_BODY_BYTES);
    // One upload in flight, sending slowly (here: not at all).
    let held = open_post(&app, path, &auth, "application/json", 50 << 20, &body).await;
    for _ in 0..100 {
        if uploads.available_permits() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        uploads.available_permits(),
        0,
        "the first upload holds the permit"
    );
    let busy = partial_post(&app, path, &auth, "application/json", &body).await;
    assert_refused(&busy, 503);
    let retry: u64 = busy
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry >= 1, "{busy:?}");
    // Small posts never wait for an upload permit.
    let small = FileUpload::new("small.txt", "text/plain", b"small".to_vec());
    ann.client
        .files()
        .upload_base64("acme", "main", &small)
        .await
        .unwrap();
    // Once the first upload is gone, the next one goes through.
    drop(held);
    for _ in 0..100 {
        if uploads.available_permits() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let big = FileUpload::new("big.png", "image/png", png(200 * 1024));
    let m = ann
        .client
        .files()
        .upload_base64("acme", "main", &big)
        .await
        .unwrap();
    assert_eq!(m.attachments[0]["file_size"], 200 * 1024 + 33);
}
