//! Answers whose JSON is already made: stored messages and threads keep the JSON they were
//! serialised to once, when they were written, and reads join it as it is.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

/// A response whose JSON body is already serialised.
pub fn response(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

/// A JSON array of serialised documents, joined without re-serialising.
pub fn array<'a>(items: impl ExactSizeIterator<Item = &'a str> + Clone) -> String {
    let len = items.clone().map(|j| j.len() + 1).sum::<usize>() + 2;
    let mut body = String::with_capacity(len);
    body.push('[');
    for (i, json) in items.enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(json);
    }
    body.push(']');
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_join_the_documents_as_they_are() {
        assert_eq!(array([].into_iter()), "[]");
        assert_eq!(array([r#"{"a":1}"#, "2"].into_iter()), r#"[{"a":1},2]"#);
    }
}
