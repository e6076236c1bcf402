//! Validating and sanitising the `thread` object of a post.

use serde_json::Value;
use tributary_types::{ThreadField, ThreadStatus, ThreadUpdate, THREAD_STATUS_COLORS};

use super::sanitize;
use crate::error::{limited, FieldErrors};
// `files::attach` still imports `err` from here; the re-export goes once it names
// `crate::error` itself.
pub use crate::error::err;

pub const MAX_TITLE_CHARS: usize = 1000;
pub const MAX_BODY_CHARS: usize = 100_000;
const MAX_FIELDS: usize = 50;
const MAX_ACTIONS: usize = 20;

fn string_at<'a>(errors: &mut FieldErrors, field: &str, v: Option<&'a Value>) -> Option<&'a str> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            err(errors, field, "must be a string");
            None
        }
    }
}

/// Parses `thread`; `None` when absent. Errors are collected under `thread.*` names.
pub fn parse(v: &Value, errors: &mut FieldErrors) -> Option<ThreadUpdate> {
    let v = super::input::unflatten(v);
    let map = match &v {
        Value::Null => return None,
        Value::Object(m) => m,
        _ => {
            err(errors, "thread", "must be an object");
            return None;
        }
    };
    let mut u = ThreadUpdate::default();
    let title =
        string_at(errors, "thread.title", map.get("title")).filter(|t| !t.trim().is_empty());
    if let Some(t) = title {
        if limited(errors, "thread.title", t, MAX_TITLE_CHARS) {
            u.title = Some(sanitize::inline(t));
        }
    }
    if let Some(b) = string_at(errors, "thread.body", map.get("body")) {
        if limited(errors, "thread.body", b, MAX_BODY_CHARS) {
            u.body = Some(sanitize::body(b));
        }
    }
    if let Some(url) = string_at(errors, "thread.external_url", map.get("external_url")) {
        u.external_url = crate::urls::check_web(errors, "thread.external_url", url);
    }
    match map.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::Object(s)) => {
            let color = string_at(errors, "thread.status.color", s.get("color"));
            let value = string_at(errors, "thread.status.value", s.get("value"));
            match color {
                Some(c) if THREAD_STATUS_COLORS.contains(&c) => {}
                _ => err(
                    errors,
                    "thread.status.color",
                    format!("must be one of {}", THREAD_STATUS_COLORS.join(", ")),
                ),
            }
            match value {
                Some(v) if !v.trim().is_empty() => {
                    if let Some(c) = color.filter(|c| THREAD_STATUS_COLORS.contains(c)) {
                        u.status = Some(ThreadStatus {
                            color: c.to_owned(),
                            value: sanitize::inline(v),
                        });
                    }
                }
                _ => err(errors, "thread.status.value", "is required"),
            }
        }
        Some(_) => err(
            errors,
            "thread.status",
            "must be an object with color and value",
        ),
    }
    match map.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.len() <= MAX_FIELDS => {
            let mut fields = Vec::with_capacity(items.len());
            for item in items {
                let label = item.get("label").and_then(Value::as_str);
                let value = item.get("value").and_then(Value::as_str);
                match (label, value) {
                    (Some(l), Some(v)) => fields.push(ThreadField {
                        label: sanitize::inline(l),
                        value: sanitize::inline(v),
                    }),
                    _ => {
                        err(
                            errors,
                            "thread.fields",
                            "each field needs a string label and value",
                        );
                        break;
                    }
                }
            }
            u.fields = Some(fields);
        }
        Some(_) => err(
            errors,
            "thread.fields",
            format!("must be a list of at most {MAX_FIELDS} {{label, value}} objects"),
        ),
    }
    match map.get("actions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) if items.len() <= MAX_ACTIONS => {
            if items.iter().all(|a| a.is_object() && safe_action(a)) {
                u.actions = Some(items.clone());
            } else {
                err(
                    errors,
                    "thread.actions",
                    "each action must be an object whose URLs are http or https",
                );
            }
        }
        Some(_) => err(
            errors,
            "thread.actions",
            format!("must be a list of at most {MAX_ACTIONS} actions"),
        ),
    }
    Some(u)
}

/// Every string in an action that could be followed as a link must be a web URL, and no
/// string may carry markup: the UI renders actions as buttons and links.
fn safe_action(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().all(|(k, v)| match v {
            Value::String(s) => {
                let key = k.to_ascii_lowercase();
                let is_link = key.contains("url") || key == "image" || key == "target";
                (!is_link || sanitize::is_web_url(s)) && !s.contains('<')
            }
            other => safe_action(other),
        }),
        Value::Array(items) => items.iter().all(safe_action),
        _ => true,
    }
}
