//! Files: uploading (`event=file` as multipart, or base64 in JSON; attachments on an
//! integration's inbox items) and downloading through the signed redirect.

use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tributary_types::{Message, PostMessage};

use crate::client::decode;
use crate::{Client, Error, Integration};

/// A file to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct FileUpload {
    /// The name the flow shows, with its extension.
    pub file_name: String,
    /// The MIME type, e.g. `image/png`.
    pub content_type: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

impl FileUpload {
    /// A file named `file_name` of type `content_type`.
    pub fn new(
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Vec<u8>>,
    ) -> FileUpload {
        FileUpload {
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }
}

/// A downloaded file: the bytes and the headers they came with.
#[derive(Debug, Clone)]
pub struct Download {
    /// The response headers (`Content-Type`, `Content-Disposition`, ...).
    pub headers: HeaderMap,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

impl Download {
    /// One response header as text, when present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A `multipart/form-data` body, built by hand so the SDK needs no multipart dependency.
#[derive(Debug, Default)]
pub struct Multipart {
    boundary: String,
    body: Vec<u8>,
}

impl Multipart {
    /// An empty body with a fresh boundary.
    pub fn new() -> Multipart {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Multipart {
            boundary: format!("tributary-sdk-{nanos:x}"),
            body: Vec::new(),
        }
    }

    /// Adds a text field.
    pub fn text(mut self, name: &str, value: &str) -> Multipart {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                self.boundary,
                quote(name)
            )
            .as_bytes(),
        );
        self
    }

    /// Adds a file field, with its file name and content type.
    pub fn file(mut self, name: &str, file: &FileUpload) -> Multipart {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                self.boundary,
                quote(name),
                quote(&file.file_name),
                file.content_type
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(&file.bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// Every field of a JSON object, nested objects as `a[b][c]` and arrays of scalars as
    /// `a[]` (as Rails-style form clients send them). Arrays of objects (thread `fields`,
    /// `actions`) have no form encoding: send those in a JSON post.
    pub fn fields(mut self, v: &Value) -> Multipart {
        fn walk(m: &mut Multipart, key: &str, v: &Value) {
            match v {
                Value::Null => {}
                Value::Object(o) => {
                    for (k, v) in o {
                        let k = if key.is_empty() {
                            k.clone()
                        } else {
                            format!("{key}[{k}]")
                        };
                        walk(m, &k, v);
                    }
                }
                Value::Array(items) => {
                    for item in items.iter().filter(|i| !i.is_object() && !i.is_array()) {
                        walk(m, &format!("{key}[]"), item);
                    }
                }
                Value::String(s) => *m = std::mem::take(m).text(key, s),
                other => *m = std::mem::take(m).text(key, &other.to_string()),
            }
        }
        walk(&mut self, "", v);
        self
    }

    /// The `Content-Type` header to send with the body (it names the boundary).
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    /// The body, closed with the final boundary.
    pub fn finish(mut self) -> Vec<u8> {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        self.body
    }
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Uploads and downloads, as a user.
pub struct Files<'a> {
    pub(crate) client: &'a Client,
}

impl Files<'_> {
    /// `POST /flows/:org/:flow/messages` with `event=file` and the file in the multipart part
    /// `content`, as Flowdock's own clients upload. The stored `file` message comes back.
    pub async fn upload(&self, org: &str, flow: &str, file: &FileUpload) -> Result<Message, Error> {
        self.upload_to(&format!("/flows/{org}/{flow}/messages"), file)
            .await
    }

    /// The same, into a thread: `POST /flows/:org/:flow/threads/:id/messages`.
    pub async fn upload_to_thread(
        &self,
        org: &str,
        flow: &str,
        thread: &str,
        file: &FileUpload,
    ) -> Result<Message, Error> {
        self.upload_to(
            &format!("/flows/{org}/{flow}/threads/{thread}/messages"),
            file,
        )
        .await
    }

    async fn upload_to(&self, path: &str, file: &FileUpload) -> Result<Message, Error> {
        let form = Multipart::new().text("event", "file").file("content", file);
        let res = self
            .client
            .request(Method::POST, path)
            .header(CONTENT_TYPE, form.content_type())
            .body(form.finish())
            .send()
            .await?;
        decode(res).await
    }

    /// `POST /flows/:org/:flow/messages` with `event=file` and the file as base64 `data` in a
    /// JSON `content`, the other encoding flowdock/api-docs docs/messages.md describes.
    pub async fn upload_base64(
        &self,
        org: &str,
        flow: &str,
        file: &FileUpload,
    ) -> Result<Message, Error> {
        use base64_encode as b64;
        let body = json!({
            "event": "file",
            "content": {
                "data": b64(&file.bytes),
                "content_type": file.content_type,
                "file_name": file.file_name,
            }
        });
        self.client
            .send_json(
                Method::POST,
                &format!("/flows/{org}/{flow}/messages"),
                &body,
            )
            .await
    }

    /// `GET <path>` (an attachment's `path`), following the one redirect to the signed URL.
    pub async fn download(&self, path: &str) -> Result<Download, Error> {
        let first = self.client.request(Method::GET, path).send().await?;
        if first.status() != StatusCode::FOUND {
            return finish(first).await;
        }
        let location = first
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Decode("a 302 without a Location".into()))?
            .to_owned();
        let url = if location.starts_with('/') {
            format!("{}{location}", self.client.base_url())
        } else {
            location
        };
        // The signed URL needs no credentials; it may point at another host (a CDN).
        let res = plain_client().get(url).send().await?;
        finish(res).await
    }
}

/// A client that never follows redirects: downloads follow exactly one, by hand.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

async fn finish(res: reqwest::Response) -> Result<Download, Error> {
    if !res.status().is_success() {
        return Err(decode::<serde::de::IgnoredAny>(res)
            .await
            .err()
            .unwrap_or_else(|| Error::Decode("unexpected status".into())));
    }
    let headers = res.headers().clone();
    let bytes = res.bytes().await?.to_vec();
    Ok(Download { headers, bytes })
}

/// Standard base64 with padding; the SDK needs it only here.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Integration {
    /// `POST /messages` with a `flow_token` as multipart, with `attachments[<id>]` parts that
    /// the body may reference as `cid:<id>` (flowdock/api-docs docs/files.md). Waits for the stored message
    /// (`X-flowdock-wait-for-message`). Thread `fields` and `actions` cannot travel in a
    /// form; post them in a JSON message.
    pub async fn post_with_attachments(
        &self,
        message: &PostMessage,
        attachments: &[(&str, FileUpload)],
    ) -> Result<Message, Error> {
        let fields =
            serde_json::to_value(self.body(message)).map_err(|e| Error::Decode(e.to_string()))?;
        let mut form = Multipart::new().fields(&fields);
        for (id, file) in attachments {
            form = form.file(&format!("attachments[{id}]"), file);
        }
        let res = self
            .http()
            .post(format!("{}/messages", self.base()))
            .header("X-flowdock-wait-for-message", "true")
            .header(CONTENT_TYPE, form.content_type())
            .body(form.finish())
            .send()
            .await?;
        decode(res).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn nested_fields_use_brackets() {
        let form = Multipart::new().fields(&json!({"a": "1", "thread": {"title": "T", "status": {"color": "red"}}, "tags": ["x", "y"]}));
        let body = String::from_utf8(form.finish()).unwrap();
        for name in [
            "\"a\"",
            "\"thread[title]\"",
            "\"thread[status][color]\"",
            "\"tags[]\"",
        ] {
            assert!(body.contains(name), "{name} in {body}");
        }
    }
}
