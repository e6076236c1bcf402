//! Downloads: `GET /files/:flow/:id/:name`, the `path` of an attachment.
//!
//! A flow member gets a 302 to the same path with `expires` and `signature` added; that URL
//! answers 200 with the bytes, without credentials, until it expires. Anything else is 403.
//! The bytes are served so that the browser never runs them: the upload's `Content-Type` with
//! `nosniff`, `attachment` disposition unless the file is a raster image, and a CSP that
//! allows nothing and sandboxes the document (an HTML or SVG upload cannot script our origin).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::Extension;

use super::mime;
use super::signing::{self, Check};
use crate::auth::{self, CallerSlot, Scopes};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{encode_segment, file_path, private_participants, FileRecord, FlowRecord};

/// The CSP of every download: no sources at all, and a sandbox (an opaque origin, no script).
pub const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";

fn not_found() -> ApiError {
    ApiError::NotFound("File not found".into())
}

fn now_secs() -> i64 {
    crate::store::now_millis() / 1000
}

/// GET /files/:flow/:id/:name
pub async fn get_file(
    State(state): State<AppState>,
    Path((flow_id, id, _name)): Path<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
) -> ApiResult<Response> {
    let mut expires = None;
    let mut signature = None;
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "expires" => expires = Some(v.into_owned()),
            "signature" => signature = Some(v.into_owned()),
            _ => {}
        }
    }
    match (expires, signature) {
        (None, None) => redirect(&state, &flow_id, &id, &headers, &uri, slot.as_deref()).await,
        (Some(expires), Some(signature)) => {
            let expires: i64 = expires
                .parse()
                .map_err(|_| ApiError::Forbidden("This download link is invalid".into()))?;
            let secret = signing::key(&state).await?;
            match signing::verify(&secret, &flow_id, &id, expires, &signature, now_secs()) {
                Check::Valid => serve(&state, &flow_id, &id).await,
                Check::Expired => Err(ApiError::Forbidden(
                    "This download link has expired; request the file's path again".into(),
                )),
                Check::Invalid => Err(ApiError::Forbidden("This download link is invalid".into())),
            }
        }
        _ => Err(ApiError::Forbidden("This download link is invalid".into())),
    }
}

/// GET /private/:user_id/:user_id/files/:id/:name
///
/// The attachment `path` as flowdock/api-docs docs/Private-Messages.md writes it: the two
/// participants' ids, in either order. It leads to the same check and 302 as the
/// `/files/private-<lo>-<hi>/...` path Tributary gives attachments.
pub async fn get_private_file(
    State(state): State<AppState>,
    Path((a, b, id, _name)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
    slot: Option<Extension<CallerSlot>>,
) -> ApiResult<Response> {
    let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) else {
        return Err(not_found());
    };
    let flow_id = crate::store::private_flow_id(a, b);
    redirect(&state, &flow_id, &id, &headers, &uri, slot.as_deref()).await
}

/// A member's request: 302 to the signed URL.
async fn redirect(
    state: &AppState,
    flow_id: &str,
    id: &str,
    headers: &HeaderMap,
    uri: &Uri,
    slot: Option<&CallerSlot>,
) -> ApiResult<Response> {
    let principal = auth::authenticate(state, auth::credential(headers, uri.query())).await?;
    if let Some(slot) = slot {
        slot.record(principal.user.id);
    }
    let me = principal.user.id;
    // A private conversation's files (`/files/private-<lo>-<hi>/...`) are its participants'.
    if let Some((lo, hi)) = private_participants(flow_id) {
        principal.require(Scopes::PRIVATE, "private")?;
        let other = if me == lo { hi } else { lo };
        let ours =
            (me == lo || me == hi) && state.store.private_conversation(me, other).await?.is_some();
        let flow = match ours {
            true => state.store.flow_by_id(flow_id).await?,
            false => None,
        };
        return member_redirect(state, flow.ok_or_else(not_found)?, id).await;
    }
    principal.require(Scopes::FLOW, "flow")?;
    let flow = crate::flows::visible_flow_by_id(&state.store, me, flow_id).await?;
    member_redirect(state, crate::flows::require_joined(flow)?, id).await
}

/// The 302 to the signed URL of file `id`, for a caller who is a member of `flow` (checked
/// with `flows::require_joined`). The API's `GET /files/...` and the pages' download route
/// (`web::files`) both end here, so there is one signer and one access rule.
pub async fn member_redirect(state: &AppState, flow: FlowRecord, id: &str) -> ApiResult<Response> {
    let file = state
        .store
        .file_by_id(&flow.id, id)
        .await?
        .ok_or_else(not_found)?;
    let expires = now_secs() + state.files.url_ttl_secs;
    let secret = signing::key(state).await?;
    let signature = signing::sign(&secret, &file.flow_id, &file.id, expires);
    let location = format!(
        "{}{}?expires={expires}&signature={signature}",
        state.urls.base(),
        file_path(&file.flow_id, &file.id, &file.file_name)
    );
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::FOUND;
    let h = res.headers_mut();
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// A signed request: the bytes.
async fn serve(state: &AppState, flow_id: &str, id: &str) -> ApiResult<Response> {
    let file = state
        .store
        .file_by_id(flow_id, id)
        .await?
        .ok_or_else(not_found)?;
    let stream = state.blobs.get(&file.id).await?.ok_or_else(|| {
        ApiError::internal(format!(
            "the blob of file {}/{} is missing",
            file.flow_id, file.id
        ))
    })?;
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static(mime::OCTET_STREAM));
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(header::CONTENT_DISPOSITION, disposition(&file));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOWNLOAD_CSP),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    Ok(res)
}

/// `inline` for raster images, `attachment` for everything else; the name both as plain
/// ASCII and, for the rest of it, as RFC 6266's `filename*`.
pub fn disposition(file: &FileRecord) -> HeaderValue {
    let kind = if mime::is_inline_image(&file.content_type) {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let value = format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        encode_segment(&file.file_name)
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content_type: &str) -> FileRecord {
        FileRecord {
            flow_id: "f".into(),
            id: "i".into(),
            message_id: 1,
            file_name: name.into(),
            content_type: content_type.into(),
            size: 1,
            created_at: 0,
        }
    }

    #[test]
    fn only_raster_images_are_inline() {
        assert_eq!(
            disposition(&file("a b.png", "image/png")),
            "inline; filename=\"a b.png\"; filename*=UTF-8''a%20b.png"
        );
        assert!(disposition(&file("x.svg", "image/svg+xml"))
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert_eq!(
            disposition(&file("é\".html", "text/html")),
            "attachment; filename=\"__.html\"; filename*=UTF-8''%C3%A9%22.html"
        );
    }
}
