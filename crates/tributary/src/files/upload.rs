//! Reading a post whose body may carry files: multipart (the file in `content`, inbox
//! attachments in `attachments[<id>]`), or JSON whose `content` holds a base64 `data`.
//!
//! Files stream into spool files of the blob store, never whole into memory, multipart parts
//! (`multipart`) and base64 alike (`json_upload`). Every other field lands in [`Params`]
//! exactly as in any other post, so validation, `flow_token`s and idempotency work the same.
//! A body larger than the plain limit is read on only past the [`Gate`]: authenticated from
//! outside the body, and in its turn.

use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{json, Map, Value};
use tokio::sync::OwnedSemaphorePermit;

use super::gate::Gate;
use super::{image, mime};
use crate::auth::flow_token::check_before_body;
use crate::auth::poster::Poster;
use crate::error::{ApiError, ApiResult};
use crate::input::{merge_form, Params};
use crate::state::AppState;
use crate::state::FileSettings;
use crate::store::blobs::{new_key, SpooledFile};
use crate::store::DynBlobStore;

/// Longest kept file name, in characters.
const MAX_NAME_CHARS: usize = 255;

/// Where in the request a file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// `content`: the file of a `file` event.
    Content,
    /// `attachments[<id>]` (or `attachments[]`): a file attached to an inbox item, which its
    /// body may reference as `cid:<id>`.
    Attachment(Option<String>),
}

/// One uploaded file, complete in its spool file, not yet stored.
pub struct Upload {
    pub part: Part,
    /// Its blob key and file id, chosen now so that the message can name it.
    pub key: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Width and height, for raster images whose header tells them.
    pub dimensions: Option<(u32, u32)>,
    spooled: SpooledFile,
    blobs: DynBlobStore,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("part", &self.part)
            .field("key", &self.key)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Upload {
    pub(super) fn new(
        part: Part,
        file_name: &str,
        given_type: Option<&str>,
        spooled: SpooledFile,
        blobs: DynBlobStore,
    ) -> Upload {
        let file_name = clean_name(file_name);
        let content_type = mime::content_type(given_type, &file_name);
        let dimensions = if mime::is_inline_image(&content_type) {
            image::dimensions(&spooled.head)
        } else {
            None
        };
        Upload {
            part,
            key: new_key(),
            content_type,
            size: spooled.size,
            sha256: spooled.sha256.clone(),
            dimensions,
            file_name,
            spooled,
            blobs,
        }
    }

    /// Makes the file durable in the blob store and returns its key.
    pub async fn store(self) -> ApiResult<String> {
        let Upload {
            key,
            spooled,
            blobs,
            ..
        } = self;
        blobs.put(&key, spooled).await?;
        Ok(key)
    }

    /// The blob store the file goes to.
    pub fn blob_store(&self) -> DynBlobStore {
        self.blobs.clone()
    }

    /// The `cid:` id of an attachment.
    pub fn content_id(&self) -> Option<&str> {
        match &self.part {
            Part::Attachment(Some(id)) => Some(id),
            _ => None,
        }
    }
}

/// A post's parameters and files.
#[derive(Debug, Default)]
pub struct PostBody {
    pub params: Params,
    pub files: Vec<Upload>,
    /// Who posts, when the body was larger than the plain limit and so was authenticated
    /// before it was read (see `gate`); otherwise the handler resolves it.
    pub poster: Option<Poster>,
    /// The upload's turn (`FileSettings::uploads`), held until the post is answered.
    pub upload_permit: Option<OwnedSemaphorePermit>,
}

impl PostBody {
    /// The parameters as the idempotency hash sees them: the files count by their digests, so
    /// the same key with another file is a different request.
    pub fn hash_params(&self) -> Params {
        let mut p = self.params.clone();
        if !self.files.is_empty() {
            let files: Vec<Value> = self
                .files
                .iter()
                .map(|f| json!({"part": format!("{:?}", f.part), "file_name": f.file_name, "sha256": f.sha256}))
                .collect();
            p.0.insert("_files".into(), Value::Array(files));
        }
        p
    }
}

impl FromRequest<AppState> for PostBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let mut params = Map::new();
        if let Some(query) = parts.uri.query() {
            merge_form(&mut params, query.as_bytes());
        }
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let lowered = content_type.to_ascii_lowercase();
        let gate = Gate::new(state, &parts, &params);
        let read = if lowered.starts_with("multipart/form-data") {
            super::multipart::read_multipart(body, &content_type, &mut params, &gate, state).await
        } else {
            super::json_upload::read_json(body, &lowered, &mut params, &gate, state).await
        };
        let files = match read {
            Ok(files) => files,
            // Authentication before validation: a removed source's token is told so.
            Err(e) => {
                let token = params.get("flow_token").and_then(Value::as_str);
                return Err(check_before_body(&state.store, token, e).await);
            }
        };
        let (poster, upload_permit) = match gate.finish(&params)? {
            Some(passed) => (Some(passed.poster), Some(passed.permit)),
            None => (None, None),
        };
        Ok(PostBody {
            params: Params(params),
            files,
            poster,
            upload_permit,
        })
    }
}

pub(super) fn body_too_large(l: &FileSettings) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "Request body is too large: the limit is {} bytes without files",
        l.max_body_bytes
    ))
}

pub(super) fn file_too_large(field: &str, max_upload_bytes: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "File too large: `{field}` is larger than the upload limit of {max_upload_bytes} bytes"
    ))
}

pub(super) fn spool_error(e: std::io::Error) -> ApiError {
    ApiError::internal(format!("cannot spool an upload: {e}"))
}

/// The last path component of a client's file name (some send full paths), without control
/// characters, at most [`MAX_NAME_CHARS`]; `file` when nothing is left.
pub fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_directories() {
        assert_eq!(clean_name("C:\\Users\\ann\\shot.png"), "shot.png");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\n.txt"), "ab.txt");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(".."), "file");
    }
}
