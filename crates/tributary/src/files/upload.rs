//! Reading a post whose body may carry files: multipart (the file in `content`, inbox
//! attachments in `attachments[<id>]`), or JSON whose `content` holds a base64 `data`.
//!
//! Files stream into spool files of the blob store, never whole into memory (a JSON upload is
//! necessarily in memory once, bounded by the limit). Every other field lands in [`Params`]
//! exactly as in any other post, so validation, `flow_token`s and idempotency work the same.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use super::{image, mime, FileSettings};
use crate::error::{ApiError, ApiResult};
use crate::input::{merge_body, merge_form, Params};
use crate::state::AppState;
use crate::store::blobs::{new_key, Spool, SpooledFile};
use crate::store::DynBlobStore;

/// Longest kept file name, in characters.
const MAX_NAME_CHARS: usize = 255;

/// Base64 as clients send it: padded or not (whitespace is removed first).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
        let mut params = Map::new();
        if let Some(query) = req.uri().query() {
            merge_form(&mut params, query.as_bytes());
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let limits = &state.files;
        if content_type
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
        {
            let files = super::multipart::read_multipart(
                req.into_body(),
                &content_type,
                &mut params,
                limits,
                &state.blobs,
            )
            .await?;
            return Ok(PostBody {
                params: Params(params),
                files,
            });
        }
        // Only JSON can carry a file; form bodies keep to the plain body limit.
        let lowered = content_type.to_ascii_lowercase();
        let may_carry_file = lowered.is_empty() || lowered.contains("json");
        let limit = if may_carry_file {
            json_limit(limits)
        } else {
            limits.max_body_bytes
        };
        let body = read_limited(req.into_body(), limit).await?.ok_or_else(|| {
            if may_carry_file {
                ApiError::PayloadTooLarge(format!(
                    "Request body is too large: the limit is {limit} bytes, room for a \
                         file of at most {} bytes (the upload limit) in base64 and the other \
                         fields",
                    limits.max_upload_bytes
                ))
            } else {
                body_too_large(limits)
            }
        })?;
        merge_body(&mut params, &content_type.to_ascii_lowercase(), &body)?;
        let is_file = params.get("event").and_then(Value::as_str).map(str::trim) == Some("file");
        if body.len() > limits.max_body_bytes && !is_file {
            return Err(body_too_large(limits));
        }
        drop(body);
        let files = if is_file {
            json_file(&mut params, limits, &state.blobs).await?
        } else {
            Vec::new()
        };
        Ok(PostBody {
            params: Params(params),
            files,
        })
    }
}

/// The largest JSON body: the other fields plus a file at the limit in base64 (4/3 of it, and
/// room for the line breaks some encoders add).
fn json_limit(l: &FileSettings) -> usize {
    let file = l.max_upload_bytes.saturating_mul(4) / 3 + l.max_upload_bytes / 16;
    l.max_body_bytes
        .saturating_add(usize::try_from(file).unwrap_or(usize::MAX))
}

pub(super) fn body_too_large(l: &FileSettings) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "Request body is too large: the limit is {} bytes without files",
        l.max_body_bytes
    ))
}

pub(super) fn file_too_large(field: &str, l: &FileSettings) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "File too large: `{field}` is larger than the upload limit of {} bytes",
        l.max_upload_bytes
    ))
}

pub(super) fn spool_error(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("cannot spool an upload: {e}"))
}

/// The whole body, or `None` when it is longer than `limit`.
async fn read_limited(body: Body, limit: usize) -> ApiResult<Option<Vec<u8>>> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::BadRequest("Could not read the request body".into()))?;
        if out.len() + chunk.len() > limit {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

/// The base64 file of a JSON `file` post. Its `data` is replaced by its digest, so the
/// parameters stay small and the idempotency hash still covers the file.
async fn json_file(
    params: &mut Map<String, Value>,
    limits: &FileSettings,
    blobs: &DynBlobStore,
) -> ApiResult<Vec<Upload>> {
    let Some(Value::Object(content)) = params.get_mut("content") else {
        return Ok(Vec::new());
    };
    let Some(Value::String(data)) = content.get("data") else {
        return Ok(Vec::new());
    };
    let compact: Vec<u8> = data.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let bytes = BASE64
        .decode(&compact)
        .map_err(|_| ApiError::field("content.data", "must be base64"))?;
    drop(compact);
    if bytes.len() as u64 > limits.max_upload_bytes {
        return Err(file_too_large("content", limits));
    }
    let name = content
        .get("file_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let given = content
        .get("content_type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut spool = Spool::create(blobs.spool_dir())
        .await
        .map_err(spool_error)?;
    spool.write(&bytes).await.map_err(spool_error)?;
    let spooled = spool.finish().await.map_err(spool_error)?;
    content.insert("data".into(), json!({ "sha256": spooled.sha256 }));
    Ok(vec![Upload::new(
        Part::Content,
        &name,
        given.as_deref(),
        spooled,
        blobs.clone(),
    )])
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
