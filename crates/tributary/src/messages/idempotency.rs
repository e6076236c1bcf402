//! Idempotent posts (DESIGN §3.2): an `Idempotency-Key` header, or else the message `uuid`,
//! names a post within the poster's scope. The first post records its answer in the same
//! transaction as the message; a replay within 24 hours gets that answer back and writes
//! nothing, and the same key with a different request is refused with 422.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::input::Params;
use crate::raw_json;
use crate::store::{DynStore, IdempotencyClaim, IdempotentResponse};

const MAX_KEY_CHARS: usize = 255;

/// The key a request names, if any: the header wins over the `uuid`.
pub fn key(headers: &HeaderMap, params: &Params) -> ApiResult<Option<String>> {
    let header = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map(|s| s.trim().to_owned())
                .map_err(|_| ApiError::BadRequest("Idempotency-Key must be visible ASCII".into()))
        })
        .transpose()?
        .filter(|s| !s.is_empty());
    let key = match header {
        Some(k) => Some(format!("key:{k}")),
        None => match params.0.get("uuid") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(format!("uuid:{}", s.trim())),
            Some(Value::Number(n)) => Some(format!("uuid:{n}")),
            _ => None,
        },
    };
    if key
        .as_ref()
        .is_some_and(|k| k.chars().count() > MAX_KEY_CHARS)
    {
        return Err(ApiError::field(
            "Idempotency-Key",
            format!("is at most {MAX_KEY_CHARS} characters"),
        ));
    }
    Ok(key)
}

/// A digest of what the request asks for: the route and every parameter except credentials,
/// with object keys sorted so that key order does not matter.
pub fn request_hash(route: &str, params: &Params) -> String {
    let mut map = params.0.clone();
    map.remove("flow_token");
    map.remove("access_token");
    let mut canonical = String::new();
    write_canonical(&Value::Object(map), &mut canonical);
    let mut h = Sha256::new();
    h.update(route.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// What a post with a key does: answer again as remembered, or go on and record its answer.
pub enum Claimed {
    Replay(Response),
    New(IdempotencyClaim),
}

/// Looks the key up in the poster's scope: a remembered answer is replayed (or refused, see
/// [`replay`]); otherwise the post claims the key for the answer it is about to give.
pub async fn replay_or_claim(
    store: &DynStore,
    scope: String,
    key: String,
    request_hash: String,
    status: StatusCode,
    body_is_message: bool,
) -> ApiResult<Claimed> {
    if let Some(r) = store.idempotent_response(&scope, &key).await? {
        return replay(r, &request_hash).map(Claimed::Replay);
    }
    Ok(Claimed::New(IdempotencyClaim {
        scope,
        key,
        request_hash,
        status: status.as_u16(),
        body_is_message,
    }))
}

/// The remembered answer, or 422 when the key was used for another request.
pub fn replay(r: IdempotentResponse, request_hash: &str) -> ApiResult<Response> {
    if r.request_hash != request_hash {
        return Err(ApiError::Unprocessable(
            "This idempotency key was already used with a different request".into(),
        ));
    }
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut res = raw_json::response(status, r.body);
    res.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        match v {
            Value::Object(m) => Params(m),
            _ => unreachable!(),
        }
    }

    #[test]
    fn the_hash_ignores_key_order_and_credentials() {
        let a = params(json!({"event": "message", "content": "x", "flow_token": "a"}));
        let b = params(json!({"content": "x", "event": "message", "flow_token": "b"}));
        let c = params(json!({"content": "y", "event": "message"}));
        assert_eq!(request_hash("r", &a), request_hash("r", &b));
        assert_ne!(request_hash("r", &a), request_hash("r", &c));
        assert_ne!(request_hash("r", &a), request_hash("s", &a));
    }

    #[test]
    fn the_header_wins_over_the_uuid() {
        let mut h = HeaderMap::new();
        let p = params(json!({"uuid": "u1"}));
        assert_eq!(key(&h, &p).unwrap().as_deref(), Some("uuid:u1"));
        h.insert("idempotency-key", HeaderValue::from_static("k1"));
        assert_eq!(key(&h, &p).unwrap().as_deref(), Some("key:k1"));
    }
}
