//! JSON `file` posts (flowdock/api-docs docs/messages.md, "File Upload"): the base64 `content.data` is decoded
//! into a spool file as it arrives, never held whole in memory.
//!
//! A body within `max_body_bytes` is parsed as any other, and its `data` decoded from the
//! parsed string. A larger one has passed the [`Gate`] and streams through [`DataSplitter`],
//! which decodes `content.data` on the way and leaves the rest, within the plain body limit,
//! to serde_json. An upload then costs a few chunks of memory, whatever its size.

use axum::body::{Body, BodyDataStream, Bytes};
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use super::base64_spool::Base64Spool;
use super::gate::Gate;
use super::json_split::DataSplitter;
use super::upload::{body_too_large, Part, Upload};
use crate::error::{ApiError, ApiResult};
use crate::input::merge_body;
use crate::state::AppState;
use crate::state::FileSettings;
use crate::store::blobs::SpooledFile;
use crate::store::DynBlobStore;

/// Reads a post that is not multipart. Within the plain limit it is any post (JSON or form);
/// beyond it, only past the gate, and only JSON, with its file streamed.
pub(super) async fn read_json(
    body: Body,
    content_type: &str,
    params: &mut Map<String, Value>,
    gate: &Gate<'_>,
    state: &AppState,
) -> ApiResult<Vec<Upload>> {
    let limits = &state.files;
    let may_carry_file = content_type.is_empty() || content_type.contains("json");
    if gate.declared_too_long() {
        // Decided before a byte is read (and before `100 Continue`).
        if !may_carry_file {
            return Err(body_too_large(limits));
        }
        gate.open().await?;
    }
    let mut chunks = body.into_data_stream();
    let mut head = Vec::new();
    let overflow = loop {
        match next_chunk(&mut chunks).await? {
            None => break None,
            Some(c) if head.len() + c.len() > limits.max_body_bytes => break Some(c),
            Some(c) => head.extend_from_slice(&c),
        }
    };
    let Some(overflow) = overflow else {
        merge_body(params, content_type, &head)?;
        drop(head);
        if !is_file(params) {
            return Ok(Vec::new());
        }
        return small_file(params, limits, &state.blobs).await;
    };
    if !may_carry_file {
        return Err(body_too_large(limits));
    }
    gate.open().await?;
    let limit = json_limit(limits);
    let mut splitter = DataSplitter::create(&state.blobs, limits).await?;
    let mut total = head.len() + overflow.len();
    let mut failed = splitter.feed(&head).await.err();
    drop(head);
    if failed.is_none() {
        failed = splitter.feed(&overflow).await.err();
    }
    drop(overflow);
    while let Some(chunk) = next_chunk(&mut chunks).await? {
        total += chunk.len();
        if total > limit {
            return Err(json_too_large(limits, limit));
        }
        // After a refusal the rest is still read (within the limit), so that the client,
        // which is still sending, gets the answer rather than a reset connection.
        if failed.is_none() {
            failed = splitter.feed(&chunk).await.err();
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let (rest, spooled) = splitter.finish().await?;
    merge_body(params, "application/json", &rest)?;
    if !is_file(params) {
        return Err(body_too_large(limits));
    }
    match spooled {
        Some(spooled) => streamed_file(params, spooled, &state.blobs),
        // No plain string at `content.data` (an escaped key, say): what there is came with
        // the rest, within the plain limit.
        None => small_file(params, limits, &state.blobs).await,
    }
}

async fn next_chunk(chunks: &mut BodyDataStream) -> ApiResult<Option<Bytes>> {
    match chunks.next().await {
        None => Ok(None),
        Some(Ok(c)) => Ok(Some(c)),
        Some(Err(_)) => Err(ApiError::BadRequest(
            "Could not read the request body".into(),
        )),
    }
}

fn is_file(params: &Map<String, Value>) -> bool {
    params.get("event").and_then(Value::as_str).map(str::trim) == Some("file")
}

/// The largest JSON body: the other fields plus a file at the limit in base64 (4/3 of it, and
/// room for the line breaks some encoders add).
fn json_limit(l: &FileSettings) -> usize {
    let file = l.max_upload_bytes.saturating_mul(4) / 3 + l.max_upload_bytes / 16;
    l.max_body_bytes
        .saturating_add(usize::try_from(file).unwrap_or(usize::MAX))
}

fn json_too_large(l: &FileSettings, limit: usize) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "Request body is too large: the limit is {limit} bytes, room for a file of at most {} \
         bytes (the upload limit) in base64 and the other fields",
        l.max_upload_bytes
    ))
}

/// The file of a post whose body was parsed whole: `content.data` is decoded from the string.
async fn small_file(
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
    let mut decoder = Base64Spool::create(blobs, limits.max_upload_bytes).await?;
    decoder.take(data.as_bytes())?;
    let spooled = decoder.finish().await?;
    Ok(vec![file_upload(content, spooled, blobs)])
}

/// The file of a streamed post. The rest holds `content.data` emptied; anything else there
/// means a second `content` or `data`, and which one counts would be anyone's guess.
fn streamed_file(
    params: &mut Map<String, Value>,
    spooled: SpooledFile,
    blobs: &DynBlobStore,
) -> ApiResult<Vec<Upload>> {
    match params.get_mut("content") {
        Some(Value::Object(content)) if content.get("data") == Some(&json!("")) => {
            Ok(vec![file_upload(content, spooled, blobs)])
        }
        _ => Err(ApiError::field("content.data", "must appear once")),
    }
}

/// Its `data` is replaced by its digest, so the parameters stay small and the idempotency hash
/// still covers the file.
fn file_upload(
    content: &mut Map<String, Value>,
    spooled: SpooledFile,
    blobs: &DynBlobStore,
) -> Upload {
    let name = content
        .get("file_name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = name.to_owned();
    let given = content
        .get("content_type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    content.insert("data".into(), json!({ "sha256": spooled.sha256 }));
    Upload::new(
        Part::Content,
        &name,
        given.as_deref(),
        spooled,
        blobs.clone(),
    )
}
