//! Files in the pages: the download route a signed-in browser uses, and how attachments
//! show (image thumbnails, or a download link with the name and size).
//!
//! The session cookie is not an API credential, so the pages cannot link to an attachment's
//! `path` (`GET /files/...`). They link to `<flow page>/files/<id>/<name>` instead, which checks
//! the session and the flow membership like the API does and answers the same 302 to the same
//! short-lived signed URL (`files::download::member_redirect`). The route lives under the flow's
//! page rather than at `/app/files/<flow id>/...`, where an organization named `files` would
//! shadow it.

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;
use tributary_types::Message;

use super::error::WebError;
use crate::auth::session::SignedIn;
use crate::files::{attach::THUMBNAIL_PX, download, image, mime};
use crate::state::AppState;
use crate::store::encode_segment;

/// The largest thumbnail side a page shows, whatever the stored attachment says.
const MAX_THUMBNAIL_PX: u32 = 400;

/// GET /app/:org/:flow/files/:id/:name
pub async fn download_file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path((org, flow, id, _name)): Path<(String, String, String, String)>,
) -> Result<Response, WebError> {
    let flow = crate::flows::joined(&state.store, signed.user.id, &org, &flow).await?;
    Ok(download::member_redirect(&state, flow, &id).await?)
}

/// An image shown inline.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail {
    pub src: String,
    pub width: u32,
    pub height: u32,
}

/// One attachment as a page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileView {
    pub name: String,
    /// The page download route (escaped by the template).
    pub href: String,
    /// The size, for people: `512 B`, `1.5 KB`, `3.2 MB`.
    pub size: String,
    pub thumbnail: Option<Thumbnail>,
}

/// The attachments of `m` that are files of its flow: a `file` message's content, or the
/// `attachments` of any message. Anything else (a path elsewhere, a malformed entry) is left
/// out rather than linked.
pub fn file_views(m: &Message, flow_path: &str) -> Vec<FileView> {
    let mut list: Vec<&Value> = m.attachments.iter().collect();
    if list.is_empty() && m.event == "file" && m.content.is_object() {
        list.push(&m.content);
    }
    list.into_iter()
        .filter_map(|a| file_view(a, &m.flow, flow_path))
        .collect()
}

fn file_view(a: &Value, flow_id: &str, flow_path: &str) -> Option<FileView> {
    let name = a.get("file_name")?.as_str()?.to_owned();
    let href = page_href(a.get("path")?.as_str()?, flow_id, flow_path)?;
    let size = a.get("file_size").and_then(Value::as_u64).unwrap_or(0);
    let content_type = a.get("content_type").and_then(Value::as_str).unwrap_or("");
    let dims = |v: Option<&Value>| -> Option<(u32, u32)> {
        let v = v?;
        let w = u32::try_from(v.get("width")?.as_u64()?).ok()?;
        let h = u32::try_from(v.get("height")?.as_u64()?).ok()?;
        (w > 0 && h > 0).then_some((w, h))
    };
    let thumbnail = if mime::is_inline_image(content_type) {
        let thumb = a.get("thumbnail");
        let sized = dims(thumb)
            .or_else(|| dims(a.get("image")).map(|(w, h)| image::fit(w, h, THUMBNAIL_PX)));
        sized.map(|(w, h)| {
            let (width, height) = image::fit(w, h, MAX_THUMBNAIL_PX);
            let src = thumb
                .and_then(|t| t.get("path"))
                .and_then(Value::as_str)
                .and_then(|p| page_href(p, flow_id, flow_path))
                .unwrap_or_else(|| href.clone());
            Thumbnail { src, width, height }
        })
    } else {
        None
    };
    Some(FileView {
        name,
        href,
        size: human_size(size),
        thumbnail,
    })
}

/// `/files/<flow id>/<id>/<name>` of this flow as `<flow page>/files/<id>/<name>`; `None` for
/// any other path. The segments stay percent-encoded as stored, and must look it.
fn page_href(path: &str, flow_id: &str, flow_path: &str) -> Option<String> {
    let rest = path.strip_prefix(&format!("/files/{}/", encode_segment(flow_id)))?;
    let (id, name) = rest.split_once('/')?;
    let segment = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'%'))
    };
    (segment(id) && segment(name)).then(|| format!("{flow_path}/files/{id}/{name}"))
}

/// Inbox bodies whose `cid:` references became attachment paths (`src="/files/<flow>/..."`)
/// point at the page route instead, so that their images load in a signed-in browser. Runs on
/// sanitised HTML, where attribute values are always double-quoted.
pub fn page_links(html: &str, flow_id: &str, flow_path: &str) -> String {
    html.replace(
        &format!("=\"/files/{}/", encode_segment(flow_id)),
        &format!("=\"{flow_path}/files/"),
    )
}

/// A byte count for people, in binary units with one decimal: `512 B`, `1.5 KB`, `3.0 MB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(event: &str, content: Value, attachments: Vec<Value>) -> Message {
        serde_json::from_value(json!({
            "id": 1, "event": event, "flow": "f-1", "content": content, "tags": [],
            "attachments": attachments, "user": "1", "sent": 0,
            "created_at": "2024-05-01T12:34:56.789Z", "app": "chat", "uuid": null
        }))
        .unwrap()
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
        assert_eq!(human_size(5 * 1024u64.pow(5)), "5120.0 TB");
    }

    #[test]
    fn images_get_thumbnails_and_other_files_links() {
        let png = json!({
            "path": "/files/f-1/k1/a%20b.png", "file_name": "a b.png", "file_size": 2048,
            "content_type": "image/png", "image": {"width": 1920, "height": 1087},
            "thumbnail": {"path": "/files/f-1/k1/a%20b.png", "width": 100, "height": 57}
        });
        let m = message("file", png.clone(), vec![png]);
        let views = file_views(&m, "/app/acme/main");
        assert_eq!(
            views,
            [FileView {
                name: "a b.png".into(),
                href: "/app/acme/main/files/k1/a%20b.png".into(),
                size: "2.0 KB".into(),
                thumbnail: Some(Thumbnail {
                    src: "/app/acme/main/files/k1/a%20b.png".into(),
                    width: 100,
                    height: 57
                }),
            }]
        );
        // An SVG is a document: a link, never an <img>; a file event's content is enough.
        let svg = json!({"path": "/files/f-1/k2/x.svg", "file_name": "x.svg",
            "file_size": 10, "content_type": "image/svg+xml",
            "image": {"width": 10, "height": 10}});
        let views = file_views(&message("file", svg, vec![]), "/app/acme/main");
        assert_eq!(views[0].thumbnail, None);
        assert_eq!(views[0].size, "10 B");
    }

    #[test]
    fn inbox_bodies_link_files_through_the_page_route() {
        assert_eq!(
            page_links(
                "<img src=\"/files/f-1/k1/a.png\"> /files/f-1/x <a href=\"/files/f-2/k/b\">b</a>",
                "f-1",
                "/app/o/f"
            ),
            "<img src=\"/app/o/f/files/k1/a.png\"> /files/f-1/x <a href=\"/files/f-2/k/b\">b</a>"
        );
    }

    #[test]
    fn paths_outside_the_flow_or_with_odd_characters_are_not_linked() {
        for path in [
            "/files/other/k1/a.txt",
            "https://evil.example/files/f-1/k1/a.txt",
            "/files/f-1/k1/a\".txt",
            "/files/f-1/k1/a/b.txt",
            "/files/f-1/k1/",
        ] {
            let a = json!({"path": path, "file_name": "a.txt", "file_size": 1,
                "content_type": "text/plain"});
            assert!(
                file_views(&message("activity", json!(""), vec![a]), "/app/o/f").is_empty(),
                "{path}"
            );
        }
    }
}
