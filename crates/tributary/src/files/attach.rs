//! Uploaded files as message attachments: the attachment JSON clients read, which events take
//! which files, and `cid:<id>` references in inbox bodies.

use serde_json::{json, Value};

use super::image;
use super::upload::{Part, Upload};
use crate::error::err;
use crate::error::FieldErrors;
use crate::store::file_path;

/// The longer side of a thumbnail, in pixels (Flowdock's thumbnails were 100 wide).
pub const THUMBNAIL_PX: u32 = 100;

/// One attachment as flowdock/api-docs docs/message-types.md shows it: `path`, `file_name`, `file_size`,
/// `content_type`, `content_id` for `attachments[<id>]` parts, and for raster images
/// `image: {width, height}` and a `thumbnail`. The thumbnail's `path` is the image itself,
/// with the width and height to show it at: Tributary does not resize images.
pub fn attachment(flow_id: &str, u: &Upload) -> Value {
    let path = file_path(flow_id, &u.key, &u.file_name);
    let mut a = json!({
        "path": path,
        "file_name": u.file_name,
        "file_size": u.size,
        "content_type": u.content_type,
    });
    if let Some(id) = u.content_id() {
        a["content_id"] = json!(id);
    }
    if let Some((w, h)) = u.dimensions {
        let (tw, th) = image::fit(w, h, THUMBNAIL_PX);
        a["image"] = json!({"width": w, "height": h});
        a["thumbnail"] = json!({"path": path, "width": tw, "height": th});
    }
    a
}

/// Checks that the files fit the event: a `file` event takes exactly one file, in `content`;
/// `activity` and `discussion` take any number of `attachments`; other events take none.
pub fn check(event: &str, files: &[Upload], errors: &mut FieldErrors) {
    let contents = files.iter().filter(|f| f.part == Part::Content).count();
    let attachments = files.len() - contents;
    match event {
        "file" => {
            if contents != 1 {
                err(
                    errors,
                    "content",
                    "must be one file: a multipart part named `content`, or base64 `data` in JSON",
                );
            }
            if attachments > 0 {
                err(
                    errors,
                    "attachments",
                    "are only for activity and discussion events",
                );
            }
        }
        "activity" | "discussion" => {
            if contents > 0 {
                err(
                    errors,
                    "content",
                    "can't be a file; use `attachments[<id>]` parts",
                );
            }
            let named = files.iter().filter(|f| f.content_id().is_some()).count();
            if named != 0 && named != attachments {
                // flowdock/api-docs docs/files.md: "either all attachments must have an id or ... none".
                err(errors, "attachments", "either all have an id or none has");
            }
            let mut ids: Vec<&str> = files.iter().filter_map(Upload::content_id).collect();
            ids.sort_unstable();
            if ids.windows(2).any(|w| w[0] == w[1]) {
                err(errors, "attachments", "ids must be unique");
            }
        }
        _ if !files.is_empty() => {
            err(
                errors,
                "event",
                "only file, activity and discussion events carry files",
            );
        }
        _ => {}
    }
}

/// The `cid:` id of each named attachment and the path it becomes.
pub fn cid_paths(flow_id: &str, files: &[Upload]) -> Vec<(String, String)> {
    files
        .iter()
        .filter_map(|f| {
            let id = f.content_id()?;
            Some((id.to_owned(), file_path(flow_id, &f.key, &f.file_name)))
        })
        .collect()
}

/// Rewrites each `cid:<id>` reference in an inbox body to its attachment's path. An id is
/// matched whole: `cid:file1` does not touch `cid:file10`. Unknown ids are left as they are,
/// and the sanitiser then drops them (it keeps no `cid:` URLs).
pub fn rewrite_cids(body: &str, paths: &[(String, String)]) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find("cid:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(after.len());
        let id = &after[..end];
        match paths.iter().find(|(cid, _)| cid == id) {
            Some((_, path)) => out.push_str(path),
            None => {
                out.push_str("cid:");
                out.push_str(id);
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cids_are_rewritten_whole() {
        let paths = vec![
            ("file1".to_owned(), "/files/f/a/x.png".to_owned()),
            ("file10".to_owned(), "/files/f/b/y.png".to_owned()),
        ];
        assert_eq!(
            rewrite_cids(
                r#"<img src="cid:file1"><img src='cid:file10'> cid:nope"#,
                &paths
            ),
            r#"<img src="/files/f/a/x.png"><img src='/files/f/b/y.png'> cid:nope"#
        );
        assert_eq!(rewrite_cids("no refs", &paths), "no refs");
        assert_eq!(rewrite_cids("cid:", &paths), "cid:");
    }
}
