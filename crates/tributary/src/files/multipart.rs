//! Multipart uploads: text fields go to the parameters by the form rules, file parts
//! (`content` with a file name, `attachments[<id>]`) stream into spool files, each within the
//! upload limit. Past `max_body_bytes` of body the request must pass the [`Gate`], with the
//! credential outside the body or a `flow_token` field before that point.

use axum::body::Body;
use serde_json::{Map, Value};

use super::gate::{gated, pull, Gate};
use super::upload::{body_too_large, file_too_large, spool_error, Part, Upload};
use crate::error::{ApiError, ApiResult};
use crate::input::merge_field;
use crate::state::AppState;
use crate::state::FileSettings;
use crate::store::blobs::Spool;

/// Longest `attachments[<id>]` id.
const MAX_CONTENT_ID_CHARS: usize = 64;

/// Which file part a multipart field is, if it is one: `content` with a file name, or any
/// `attachments[...]` part.
fn file_part(name: &str, has_file_name: bool) -> ApiResult<Option<Part>> {
    if name == "content" {
        return Ok(has_file_name.then_some(Part::Content));
    }
    let Some(rest) = name.strip_prefix("attachments") else {
        return if has_file_name {
            Err(ApiError::field(
                name,
                "files go in `content` or `attachments[<id>]`",
            ))
        } else {
            Ok(None)
        };
    };
    let id = match rest {
        "" | "[]" => None,
        _ => {
            let id = rest
                .strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .filter(|id| {
                    !id.is_empty()
                        && id.len() <= MAX_CONTENT_ID_CHARS
                        && id
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                })
                .ok_or_else(|| {
                    ApiError::field("attachments", "ids are letters, digits, `-`, `_` and `.`")
                })?;
            Some(id.to_owned())
        }
    };
    Ok(Some(Part::Attachment(id)))
}

pub(super) async fn read_multipart(
    body: Body,
    content_type: &str,
    params: &mut Map<String, Value>,
    gate: &Gate<'_>,
    state: &AppState,
) -> ApiResult<Vec<Upload>> {
    let (limits, blobs) = (&state.files, &state.blobs);
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ApiError::BadRequest("A multipart body needs a boundary".into()))?;
    // Room for the files at the limit plus the other fields; a body beyond that is refused
    // as soon as it gets there.
    let whole = limits
        .max_upload_bytes
        .saturating_add(limits.max_body_bytes as u64)
        .saturating_add(64 * 1024);
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(whole));
    let mut multipart =
        multer::Multipart::with_constraints(gated(gate, body), boundary, constraints);
    // A refusal of the gate (401, 410, 503) rather than the error multer makes of it.
    let error = |e: multer::Error| gate.refusal().unwrap_or_else(|| multipart_error(e, limits));
    let mut files = Vec::new();
    let mut field_bytes = 0usize;
    // A file over the limit is read to the end and dropped, so that the client, which is
    // still sending, gets the 413 rather than a reset connection.
    let mut too_large: Option<ApiError> = None;
    while let Some(mut field) = pull(gate, multipart.next_field()).await.map_err(error)? {
        let name = field.name().unwrap_or("").to_owned();
        let part = file_part(&name, field.file_name().is_some())?;
        let Some(part) = part else {
            let mut text = Vec::new();
            while let Some(chunk) = pull(gate, field.chunk()).await.map_err(error)? {
                field_bytes += chunk.len();
                if field_bytes > limits.max_body_bytes {
                    return Err(body_too_large(limits));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::field(&name, "must be UTF-8 text"))?;
            merge_field(params, &name, text);
            if name == "flow_token" {
                gate.note_flow_token(params);
            }
            continue;
        };
        let file_name = field.file_name().unwrap_or("").to_owned();
        let given = field.content_type().map(|m| m.to_string());
        let mut spool = Some(
            Spool::create(blobs.spool_dir())
                .await
                .map_err(spool_error)?,
        );
        while let Some(chunk) = pull(gate, field.chunk()).await.map_err(error)? {
            let Some(s) = spool.as_mut() else { continue };
            if s.size() + chunk.len() as u64 > limits.max_upload_bytes {
                spool = None;
                too_large.get_or_insert_with(|| file_too_large(&name, limits.max_upload_bytes));
                continue;
            }
            s.write(&chunk).await.map_err(spool_error)?;
        }
        if let Some(s) = spool {
            let spooled = s.finish().await.map_err(spool_error)?;
            files.push(Upload::new(
                part,
                &file_name,
                given.as_deref(),
                spooled,
                blobs.clone(),
            ));
        }
    }
    match too_large {
        Some(e) => Err(e),
        None => Ok(files),
    }
}

fn multipart_error(e: multer::Error, limits: &FileSettings) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::PayloadTooLarge(format!(
                "Request body is too large: files may hold {} bytes each",
                limits.max_upload_bytes
            ))
        }
        other => ApiError::BadRequest(format!("Malformed multipart body: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_parts_are_content_and_attachments() {
        assert_eq!(file_part("content", true).unwrap(), Some(Part::Content));
        assert_eq!(file_part("content", false).unwrap(), None);
        assert_eq!(
            file_part("attachments[file1]", true).unwrap(),
            Some(Part::Attachment(Some("file1".into())))
        );
        assert_eq!(
            file_part("attachments[]", true).unwrap(),
            Some(Part::Attachment(None))
        );
        assert!(file_part("attachments[a\"b]", true).is_err());
        assert!(file_part("upload", true).is_err());
        assert_eq!(file_part("event", false).unwrap(), None);
    }
}
