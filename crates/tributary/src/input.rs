//! Request input: one extractor that merges the query string and the body.
//!
//! Flowdock clients put parameters wherever they like: list filters arrive as a JSON body on a
//! GET, `flow_token` arrives in the query, the form or the JSON. [`Params`] gathers all of them
//! into one JSON object (the body wins over the query) and [`Input`] turns that into a typed
//! value, answering bad input with a 400 that names the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Every parameter of the request, query and body merged.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Map<String, Value>);

/// The parameters, deserialized into `T`.
#[derive(Debug)]
pub struct Input<T>(pub T);

/// A body that could not be read or parsed, with the `flow_token` the request named all the
/// same (in the query, or found in the body that did not parse), so that a handler that
/// takes `flow_token`s can check it first: authentication comes before validation, and a
/// removed source learns so whatever its body holds (`auth::flow_token::params_or_gone`).
#[derive(Debug)]
pub struct BodyRejection {
    pub error: ApiError,
    pub flow_token: Option<String>,
}

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        self.error.into_response()
    }
}

impl From<BodyRejection> for ApiError {
    fn from(r: BodyRejection) -> ApiError {
        r.error
    }
}

/// [`Params`] for a handler that takes `flow_token`s: a body that fails is a
/// [`BodyRejection`], which keeps the token the request named.
#[derive(Debug, Default, Clone)]
pub struct TokenParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_params(req, state).await.map_err(ApiError::from)
    }
}

impl<S: Send + Sync> FromRequest<S> for TokenParams {
    type Rejection = BodyRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_params(req, state).await.map(TokenParams)
    }
}

async fn read_params<S: Send + Sync>(req: Request, state: &S) -> Result<Params, BodyRejection> {
    let mut params = Map::new();
    if let Some(query) = req.uri().query() {
        merge_form(&mut params, query.as_bytes());
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let read = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("Request body is too large".into())
        } else {
            ApiError::BadRequest("Could not read the request body".into())
        }
    });
    match read.and_then(|body| merge_body(&mut params, &content_type, &body)) {
        Ok(()) => Ok(Params(params)),
        Err(error) => Err(BodyRejection {
            error,
            flow_token: params
                .get("flow_token")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }),
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Input<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Params::from_request(req, state).await?.parse().map(Input)
    }
}

impl Params {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        // Deserialised from the borrowed map: cloning the whole map (and dropping the
        // clone) was a tenth of a post's request-side CPU.
        serde_path_to_error::deserialize(&self.0).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            let (field, reason) = match inner.strip_prefix("missing field `") {
                Some(rest) => (
                    rest.trim_end_matches('`').to_owned(),
                    "is required".to_owned(),
                ),
                None => (path, inner),
            };
            ApiError::field(field.trim_start_matches('.'), reason)
        })
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
}

/// Merges the body's parameters into `params`. A body that does not parse is an error, and
/// then `params` gains the `flow_token` it seems to hold ([`flow_token_in`]), if `params`
/// has none yet, for the caller to check before it answers with the error.
pub(crate) fn merge_body(
    params: &mut Map<String, Value>,
    content_type: &str,
    body: &[u8],
) -> Result<(), ApiError> {
    let merged = parse_body(params, content_type, body);
    if merged.is_err() && !params.contains_key("flow_token") {
        if let Some(token) = flow_token_in(body) {
            params.insert("flow_token".into(), Value::String(token));
        }
    }
    merged
}

/// A `flow_token` in a body that did not parse: `"flow_token": "..."` as JSON writes it, or
/// `flow_token=...` as a form does. Only to tell a removed source so; never to post with.
pub(crate) fn flow_token_in(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    if let Some(at) = text.find("\"flow_token\"") {
        let rest = text[at + "\"flow_token\"".len()..].trim_start();
        let rest = rest.strip_prefix(':')?.trim_start().strip_prefix('"')?;
        let token = &rest[..rest.find('"')?];
        return (!token.is_empty()).then(|| token.to_owned());
    }
    url::form_urlencoded::parse(body)
        .find(|(k, v)| k == "flow_token" && !v.is_empty())
        .map(|(_, v)| v.into_owned())
}

fn parse_body(
    params: &mut Map<String, Value>,
    content_type: &str,
    body: &[u8],
) -> Result<(), ApiError> {
    let trimmed = body.trim_ascii();
    if trimmed.is_empty() {
        return Ok(());
    }
    let looks_json = trimmed.starts_with(b"{") || trimmed.starts_with(b"[");
    if content_type.contains("json") || (looks_json && !content_type.contains("form")) {
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(Value::Object(map)) => params.extend(map),
            Ok(_) => {
                return Err(ApiError::BadRequest(
                    "The JSON body must be an object".into(),
                ))
            }
            Err(e) => return Err(ApiError::BadRequest(format!("Invalid JSON: {e}"))),
        }
    } else if content_type.is_empty()
        || content_type.contains("x-www-form-urlencoded")
        || content_type.contains("text/plain")
    {
        merge_form(params, trimmed);
    } else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Unsupported content type {content_type}: send JSON or a form"
        )));
    }
    Ok(())
}

/// Parses `a=1&b[]=2&b[]=3&c[d]=4`: repeated keys and `[]` build arrays, `k[sub]` builds one
/// level of object, as Rails-style form clients send.
pub(crate) fn merge_form(params: &mut Map<String, Value>, raw: &[u8]) {
    for (key, value) in url::form_urlencoded::parse(raw) {
        merge_field(params, &key, value.into_owned());
    }
}

/// One form field by the rules of [`merge_form`]; multipart text fields go through it too.
pub(crate) fn merge_field(params: &mut Map<String, Value>, key: &str, value: String) {
    let value = Value::String(value);
    if let Some(base) = key.strip_suffix("[]") {
        push(params, base, value, true);
    } else if let Some((base, sub)) = key.strip_suffix(']').and_then(|k| k.split_once('[')) {
        let slot = params
            .entry(base.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(obj) = slot {
            push(obj, sub, value, false);
        }
    } else {
        push(params, key, value, false);
    }
}

fn push(map: &mut Map<String, Value>, key: &str, value: Value, always_array: bool) {
    match map.get_mut(key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None if always_array => {
            map.insert(key.to_owned(), Value::Array(vec![value]));
        }
        None => {
            map.insert(key.to_owned(), value);
        }
    }
}

/// Deserializers that accept what form and query clients send: `"1"`, `"true"`, `1`, `true`.
pub mod lenient {
    use serde::de::{Deserialize, Deserializer, Error};
    use serde_json::Value;

    fn to_bool(v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => n.as_i64().map(|n| n != 0),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Some(true),
                "0" | "false" | "no" | "off" | "" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(v) => to_bool(&v)
                .map(Some)
                .ok_or_else(|| D::Error::custom("must be true or false")),
        }
    }

    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        opt_bool(d).map(|b| b.unwrap_or(false))
    }

    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| D::Error::custom("must be an integer")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom("must be an integer")),
            Some(_) => Err(D::Error::custom("must be an integer")),
        }
    }

    /// A string, or a number given where a string id is expected.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Option::<Value>::deserialize(d)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(D::Error::custom("must be a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_arrays_and_nested_keys() {
        let mut m = Map::new();
        merge_form(
            &mut m,
            b"a=1&tags[]=x&tags[]=y&t=1&t=2&thread[title]=Hi&thread[body]=B",
        );
        assert_eq!(
            Value::Object(m),
            serde_json::json!({
                "a": "1", "tags": ["x", "y"], "t": ["1", "2"], "thread": {"title": "Hi", "body": "B"}
            })
        );
    }

    #[test]
    fn body_wins_over_query_and_bad_json_is_a_400() {
        let mut m = Map::new();
        merge_form(&mut m, b"users=0");
        merge_body(&mut m, "application/json", br#"{"users": 1}"#).unwrap();
        assert_eq!(m["users"], 1);
        let err = merge_body(&mut m, "application/json", b"{nope").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let err = merge_body(&mut m, "application/json", b"[1]").unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_body_that_does_not_parse_still_names_its_flow_token() {
        let mut m = Map::new();
        merge_body(&mut m, "application/json", br#"{"flow_token" : "abc", "#).unwrap_err();
        assert_eq!(m["flow_token"], "abc");
        let mut m = Map::new();
        merge_body(&mut m, "text/xml", b"event=x&flow_token=def").unwrap_err();
        assert_eq!(m["flow_token"], "def");
        let mut m = Map::new();
        merge_form(&mut m, b"flow_token=query");
        merge_body(&mut m, "application/json", br#"{"flow_token":"body""#).unwrap_err();
        assert_eq!(m["flow_token"], "query", "the query's stays");
        let mut m = Map::new();
        merge_body(&mut m, "application/json", b"{nope").unwrap_err();
        assert!(m.is_empty());
    }

    #[test]
    fn untyped_json_body_on_get_is_read_as_json() {
        let mut m = Map::new();
        merge_body(&mut m, "", b"{}").unwrap();
        assert!(m.is_empty());
        merge_body(&mut m, "", br#"{"users":"1"}"#).unwrap();
        assert_eq!(m["users"], "1");
    }
}
