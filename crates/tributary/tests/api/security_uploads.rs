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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tributary_sdk::{FileUpload, Multipart};

use crate::backend_tests;
use crate::files_upload::{assert_spool_empty, png};
use crate::helpers::{Backend, TestApp, MAX_BODY_BYTES};
use crate::messaging::{send, Room};

backend_tests!(
    unauthenticated_big_bodies_are_refused_before_they_are_read,
    big_uploads_carry_their_credential_outside_the_body,
    uploads_beyond_the_concurrency_limit_get_503,
);

/// The head of a JSON `file` post and `len` bytes of its base64, which never ends.
fn json_prefix(fields: &str, len: usize) -> Vec<u8> {
    let mut b = format!(r#"{{{fields}"event":"file","content":{{"file_name":"big.bin","data":""#)
        .into_bytes();
    b.resize(b.len() + len, b'Q');
    b
}

const BOUNDARY: &str = "security-boundary";

/// The head of a multipart `file` post, `fields` before the file, and `len` bytes of file.
fn multipart_prefix(fields: &[(&str, &str)], len: usize) -> Vec<u8> {
    let mut b = String::new();
    for (name, value) in fields {
        b += &format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
    }
    b += &format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let mut b = b.into_bytes();
    b.resize(b.len() + len, b'x');
    b
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

pub(crate) fn basic(token: &str) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
    ("Authorization", format!("Basic {encoded}"))
}

/// An answer read off a raw connection.
#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) json: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Opens a connection and sends a POST whose headers promise `length` bytes of body, and
/// only `prefix` of them; the rest never comes.
async fn open_post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    content_type: &str,
    length: usize,
    prefix: &[u8],
) -> TcpStream {
    let addr = app.base_url.strip_prefix("http://").unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {length}\r\n"
    );
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    head += "\r\n";
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(prefix).await.unwrap();
    sock
}

/// The answer on `sock`, read within `limit`.
pub(crate) async fn read_answer(mut sock: TcpStream, limit: Duration) -> Result<Raw, String> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_string();
                let mut lines = head.split("\r\n");
                let status = lines.next().unwrap_or("").split(' ').nth(1).unwrap_or("");
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    let body = &buf[end + 4..end + 4 + len];
                    return Ok(Raw {
                        status: status.parse().map_err(|_| head.clone())?,
                        headers,
                        json: serde_json::from_slice(body).unwrap_or(Value::Null),
                    });
                }
            }
            let n = sock.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!(
                    "closed without an answer: {:?}",
                    String::from_utf8_lossy(&buf)
                ));
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    };
    tokio::time::timeout(limit, read)
        .await
        .map_err(|_| format!("no answer within {limit:?}"))?
}

/// The answer on `sock`. A server that reads the whole body before it looks at the credential
/// never answers a body that never ends, so no answer within 10 s fails the test.
async fn answer(sock: TcpStream) -> Raw {
    read_answer(sock, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("an answer before the body is complete: {e}"))
}

/// A chunked POST (no declared length) of which only `prefix` is sent, in one chunk, and
/// its answer.
async fn partial_chunked_post(app: &TestApp, path: &str, prefix: &[u8]) -> Raw {
    let addr = app.base_url.strip_prefix("http://").unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        prefix.len()
    );
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(prefix).await.unwrap();
    sock.write_all(b"\r\n").await.unwrap();
    answer(sock).await
}

/// A POST promising 50 MiB of which only twice the body limit is sent.
async fn partial_post(
    app: &TestApp,
    path: &str,
    headers: &[(&str, String)],
    content_type: &str,
    prefix: &[u8],
) -> Raw {
    let sock = open_post(app, path, headers, content_type, 50 << 20, prefix).await;
    answer(sock).await
}

pub(crate) fn assert_refused(a: &Raw, status: u16) {
    assert_eq!(a.status, status, "{a:?}");
    assert!(a.json["message"].is_string(), "a JSON error: {a:?}");
}

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
    let a = send(
        r.app
            .http
            .post(r.app.url("/messages"))
            .header("X-flowdock-wait-for-message", "1")
            .header("content-type", form.content_type())
            .body(form.finish()),
    )
    .await;
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
    let ann = app.user("ann").await;
    let org = app.org("Acme", &ann).await;
    app.flow(
        &org,
        "Main",
        tributary_types::AccessMode::Invitation,
        &[&ann],
    )
    .await;
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
