//! Plain HTML: one layout, escaping, and the error page.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `body` (already HTML). `user` is the signed-in name, if any.
pub fn page(title: &str, user: Option<&str>, body: &str) -> Response {
    let who = match user {
        Some(name) => format!(
            "Signed in as <strong id=\"whoami\">{}</strong>",
            escape(name)
        ),
        None => "<a href=\"/login\">Sign in</a>".into(),
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Polldock</title></head><body>\
         <header><a href=\"/\">Polldock</a> · <a href=\"/integrations\">Flows</a> · {who}</header>\
         <main>{body}</main></body></html>",
        title = escape(title),
    ))
    .into_response()
}

/// What went wrong, as a page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> PageError {
        PageError {
            status,
            message: message.into(),
        }
    }

    pub fn not_found() -> PageError {
        PageError::new(StatusCode::NOT_FOUND, "Not found")
    }
}

impl From<rusqlite::Error> for PageError {
    fn from(e: rusqlite::Error) -> Self {
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("database: {e}"))
    }
}

impl From<tributary_sdk::Error> for PageError {
    fn from(e: tributary_sdk::Error) -> Self {
        PageError::new(StatusCode::BAD_GATEWAY, format!("Tributary: {e}"))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = format!(
            "<h1>Something went wrong</h1><p id=\"error\">{}</p>",
            escape(&self.message)
        );
        let mut res = page("Error", None, &body);
        *res.status_mut() = self.status;
        res
    }
}

pub type PageResult = Result<Response, PageError>;
