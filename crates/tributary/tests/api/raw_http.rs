//! Raw HTTP for the body-limit tests: posts whose headers promise more body than is ever
//! sent, over a plain TCP connection, and the answer read off that connection as it comes.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

/// The head of a JSON `file` post and `len` bytes of its base64, which never ends.
pub(crate) fn json_prefix(fields: &str, len: usize) -> Vec<u8> {
    let mut b = format!(r#"{{{fields}"event":"file","content":{{"file_name":"big.bin","data":""#)
        .into_bytes();
    b.resize(b.len() + len, b'Q');
    b
}

pub(crate) const BOUNDARY: &str = "security-boundary";

/// The head of a multipart `file` post, `fields` before the file, and `len` bytes of file.
pub(crate) fn multipart_prefix(fields: &[(&str, &str)], len: usize) -> Vec<u8> {
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

pub(crate) fn multipart_type() -> String {
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
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Opens a connection and sends a POST whose headers promise `length` bytes of body, and
/// only `prefix` of them; the rest never comes.
pub(crate) async fn open_post(
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
pub(crate) async fn answer(sock: TcpStream) -> Raw {
    read_answer(sock, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("an answer before the body is complete: {e}"))
}

/// A chunked POST (no declared length) of which only `prefix` is sent, in one chunk, and
/// its answer.
pub(crate) async fn partial_chunked_post(app: &TestApp, path: &str, prefix: &[u8]) -> Raw {
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
pub(crate) async fn partial_post(
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
